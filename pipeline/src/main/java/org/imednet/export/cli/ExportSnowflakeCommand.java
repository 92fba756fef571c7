package org.imednet.export.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.pipeline.ExportSpec;
import org.imednet.export.sinks.snowflake.LoadIntoSnowflake;
import org.imednet.export.sinks.snowflake.SnowflakeSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/** {@code imednet export snowflake STUDY…}. */
@Command(
    name = "snowflake",
    mixinStandardHelpOptions = true,
    header = "Load studies into Snowflake (staged Parquet, PUT, COPY INTO), exactly once.",
    description = {
      "Load studies into Snowflake: Parquet batches staged locally, PUT to an internal stage,",
      "COPY INTO ... FORCE = FALSE, then a keyed replace by (study_key, record_id), exactly once.",
      "One table per form by default (or --table for one table), plus the metadata tables.",
      "Connection: flags, SNOWFLAKE_* environment variables, or --connection NAME from",
      "connections.toml. The password comes from SNOWFLAKE_PASSWORD, --password-file or the",
      "TOML file, never from an argument; key-pair auth with --private-key-file.",
      "Example:",
      "  SNOWFLAKE_PASSWORD=... imednet export snowflake MY_STUDY --account myorg-myaccount \\",
      "      --user loader --database IMEDNET_DB --schema PUBLIC --warehouse COMPUTE_WH \\",
      "      --stage MY_STAGE --stage-prefix imednet/prod --manifest-path manifest.jsonl"
    })
final class ExportSnowflakeCommand implements Callable<Integer> {
  @Parameters(paramLabel = "STUDY", arity = "0..*", description = "Study keys.")
  List<String> studies = new ArrayList<>();

  @Option(
      names = "--connection",
      paramLabel = "NAME",
      description = "A connection in connections.toml.")
  String connection;

  @Option(names = "--account", paramLabel = "ACCOUNT")
  String account;

  @Option(names = "--user", paramLabel = "USER")
  String user;

  @Option(names = "--database", paramLabel = "DB")
  String database;

  @Option(names = "--schema", paramLabel = "SCHEMA")
  String schema;

  @Option(names = "--warehouse", paramLabel = "WH")
  String warehouse;

  @Option(names = "--role", paramLabel = "ROLE")
  String role;

  @Option(names = "--stage", paramLabel = "STAGE", description = "Internal stage name.")
  String stage;

  @Option(
      names = "--password-file",
      paramLabel = "FILE",
      description = "Read the password from this file.")
  Path passwordFile;

  @Option(
      names = "--private-key-file",
      paramLabel = "FILE",
      description = "Key-pair authentication (PKCS#8 PEM).")
  String privateKeyFile;

  @Option(
      names = "--host",
      paramLabel = "HOST",
      description = "Override the account host (e.g. a local emulator).")
  String host;

  @Option(names = "--port", paramLabel = "PORT")
  Integer port;

  @Option(names = "--protocol", paramLabel = "http|https")
  String protocol;

  @Option(
      names = "--table",
      paramLabel = "TABLE",
      description = "Load every form into this one table.")
  String table;

  @Option(
      names = "--stage-prefix",
      paramLabel = "PREFIX",
      description = "Path inside the stage (default: ${DEFAULT-VALUE}).",
      defaultValue = "imednet")
  String stagePrefix;

  @Option(
      names = "--batch-size",
      paramLabel = "ROWS",
      description = "Rows per staged Parquet file.")
  Integer batchSize;

  @Option(
      names = "--manifest-path",
      paramLabel = "FILE",
      description = "JSONL ledger of loaded batches, consulted on re-runs.")
  Path manifestPath;

  @Option(
      names = "--force-reload",
      description = "COPY with FORCE = TRUE (reload files Snowflake has seen).")
  boolean forceReload;

  @Option(
      names = "--local-staging-dir",
      paramLabel = "DIR",
      description = "Keep the staged Parquet files here.")
  Path localStagingDir;

  @Option(names = "--keep-staged", description = "Leave loaded files in the Snowflake stage.")
  boolean keepStaged;

  @Option(
      names = "--max-retries",
      paramLabel = "N",
      description = "Retries per batch (default: ${DEFAULT-VALUE}).",
      defaultValue = "3")
  int maxRetries;

  @Option(
      names = "--retry-backoff",
      paramLabel = "SECONDS",
      description = "Backoff base; waits base x 2^attempt (default: ${DEFAULT-VALUE}).",
      defaultValue = "1.0")
  double retryBackoffSeconds;

  @Mixin CommonExportOptions common;

  @Unmatched List<String> beamArgs = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    common.beamArgs = beamArgs;
    ApiConfig api = common.apiConfig();
    Map<String, String> env = common.environment();
    SnowflakeSettings.Builder sb =
        connection != null
            ? SnowflakeSettings.fromNamedConnection(connection, env)
            : SnowflakeSettings.fromEnvironment(env);
    if (account != null) sb.account(account);
    if (user != null) sb.user(user);
    if (database != null) sb.database(database);
    if (schema != null) sb.schema(schema);
    if (warehouse != null) sb.warehouse(warehouse);
    if (role != null) sb.role(role);
    if (stage != null) sb.stage(stage);
    if (passwordFile != null) sb.passwordFile(passwordFile);
    if (privateKeyFile != null) sb.privateKeyFile(privateKeyFile);
    if (host != null) sb.host(host);
    if (port != null) sb.port(port);
    if (protocol != null) sb.protocol(protocol);
    SnowflakeSettings settings = sb.build().validate();

    LoadIntoSnowflake load =
        LoadIntoSnowflake.to(settings)
            .withStagePrefix(stagePrefix)
            .withForceReload(forceReload)
            .withKeepStaged(keepStaged)
            .withMaxRetries(maxRetries)
            .withRetryBackoff(Duration.ofMillis(Math.round(retryBackoffSeconds * 1000)));
    if (batchSize != null) load = load.withBatchSize(batchSize);
    if (table != null) load = load.withSingleTable(table);
    if (manifestPath != null) load = load.withManifestPath(manifestPath);
    if (localStagingDir != null) load = load.withLocalStagingDir(localStagingDir);

    ExportSpec spec = common.spec(api, common.studies(studies, api)).snowflake(load).build();
    return ExportCommand.runAndSummarize(spec, common, System.out);
  }
}
