package org.imednet.export.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.Secret;
import org.imednet.export.pipeline.ExportSpec;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.snowflake.LoadIntoSnowflake;
import org.imednet.export.sinks.snowflake.SnowflakeLedger;
import org.imednet.export.sinks.snowflake.SnowflakeLoadOptions;
import org.imednet.export.sinks.snowflake.SnowflakeSettings;
import org.imednet.export.sinks.staging.RemoteFiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/** {@code imednet export snowflake STUDY…}. */
@Command(
    name = "snowflake",
    mixinStandardHelpOptions = true,
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {
      "0:done; every form's rows reconcile with the API's totals",
      "1:error (the API, a destination, records that would be lost)",
      "2:usage: bad arguments; a study key, --forms or --vars the API lacks",
      "3:finished, but rows written differ from the API's totals"
    },
    header = "Load studies into Snowflake (staged Parquet, PUT, COPY INTO), exactly once.",
    description = {
      "Load studies into Snowflake: Parquet batches staged locally, PUT to an internal stage,",
      "COPY INTO ... FORCE = FALSE, then a keyed replace by (study_key, record_id), exactly once.",
      "With --stage-url the stage is an EXTERNAL stage: the workers write the",
      "batches to <URL>/<stage-prefix>/ themselves (no PUT; bucket credentials",
      "from the cloud's default chain: AWS_* variables, profile, instance role)",
      "and COPY reads them from the stage.",
      "One table per form by default (or --table for one table), plus the metadata tables.",
      "Connection: flags, SNOWFLAKE_* environment variables, or --connection NAME from",
      "connections.toml. The password comes from SNOWFLAKE_PASSWORD, --password-file or the",
      "TOML file, never from an argument; key-pair auth with --private-key-file.",
      "Example:",
      "  SNOWFLAKE_PASSWORD=... imednet export snowflake MY_STUDY --account myorg-myaccount \\",
      "      --user loader --database IMEDNET_DB --schema PUBLIC --warehouse COMPUTE_WH \\",
      "      --stage MY_STAGE --stage-prefix imednet/prod --manifest-path manifest.jsonl",
      "  ... --stage @EXT_STAGE --stage-url s3://bucket/stage      (an external stage)",
      "The Python SDK's positional form (STUDY ACCOUNT USER PASSWORD DATABASE SCHEMA WAREHOUSE",
      "STAGE TABLE) is refused with the equivalent flags: a password is never an argument.",
      "Try it locally against `imednet emulator snowflake`."
    })
class ExportSnowflakeCommand implements Callable<Integer> {
  /**
   * The original SDK's {@code snowflake STUDY_KEY ACCOUNT USER PASSWORD DATABASE SCHEMA WAREHOUSE
   * STAGE TABLE}: the flag for each position after the study key (null: the password, which has no
   * flag).
   */
  private static final String[] SDK_POSITIONAL_FLAGS = {
    null, "--account", "--user", null, "--database", "--schema", "--warehouse", "--stage", "--table"
  };

  private static final String[] SDK_POSITIONAL_NAMES = {
    "STUDY", "ACCOUNT", "USER", "PASSWORD", "DATABASE", "SCHEMA", "WAREHOUSE", "STAGE", "TABLE"
  };

  @Spec CommandLine.Model.CommandSpec spec;

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

  @Option(
      names = "--stage",
      paramLabel = "STAGE",
      description =
          "Stage name, NAME or @NAME: an internal stage, or with --stage-url an external one.")
  String stage;

  @Option(
      names = "--stage-url",
      paramLabel = "URL",
      description =
          "The URL of the EXTERNAL stage --stage names (s3://bucket/path, or another scheme"
              + " Beam has a FileSystem for): batch files are written to URL/<stage-prefix>/"
              + " by the workers and COPYed from the stage, with no PUT; loaded files are"
              + " deleted from there unless --keep-staged. The stage must exist: CREATE STAGE"
              + " NAME URL = 'URL/' STORAGE_INTEGRATION = ... (see the README). Bucket"
              + " credentials come from the cloud's default chain (AWS_* variables, profile,"
              + " instance role), never from arguments.")
  String stageUrl;

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

  @Option(
      names = "--keep-staged",
      description = "Leave loaded files in the Snowflake stage (with --stage-url: in the bucket).")
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
    return common.reporting(commandName(), this::export);
  }

  String commandName() {
    return "export snowflake";
  }

  private int export() throws Exception {
    String externalStageUrl = stageUrl == null ? null : checkStageUrl();
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
    SnowflakeSettings unvalidated = sb.build();
    // Before anything else can fail: the SDK's positional values must never become study keys.
    String refusal = sdkPositionalFormRefusal(studies, unvalidated);
    if (refusal != null) {
      spec.commandLine().getErr().println("error: " + refusal);
      spec.commandLine().getErr().flush();
      return ImednetCli.EXIT_USAGE;
    }
    SnowflakeSettings settings = unvalidated.validate();
    ApiConfig api = common.apiConfig();

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
    if (externalStageUrl != null) load = load.withStageUrl(externalStageUrl);

    List<String> studyKeys = common.studies(studies, api);
    if (common.dryRun) {
      ExportSpec export = common.spec(api, studyKeys).snowflake(load).build();
      return ExportCommand.runAndSummarize(export, common, System.out);
    }
    String runId = LedgerRun.newRunId();
    // The lock is taken before the ledger is read, so no other run moves the mark meanwhile.
    try (AutoCloseable lock = SnowflakeLedger.lock(settings, runId, common.lockStaleAfter)) {
      return exportLocked(settings, api, load, studyKeys, runId);
    }
  }

  /**
   * The {@code --stage-url}, normalised, once it is known to go with {@code --stage}, to be a
   * {@code scheme://bucket[/path]} and to have a Beam FileSystem with this job's options; else a
   * one-line {@link UsageError}.
   */
  private String checkStageUrl() {
    if (stage == null) {
      throw new UsageError(
          "--stage-url "
              + stageUrl
              + " needs --stage @NAME, the external stage whose URL it is (created once with"
              + " CREATE STAGE NAME URL = '"
              + stageUrl
              + "' STORAGE_INTEGRATION = ...)");
    }
    String url;
    try {
      url = SnowflakeLoadOptions.defaults().withStageUrl(stageUrl).stageUrl();
    } catch (IllegalArgumentException e) {
      throw new UsageError("--stage-url: " + e.getMessage());
    }
    // The registry the job will have: the same options register the same FileSystems.
    FileSystems.setDefaultPipelineOptions(
        PipelineOptionsFactory.fromArgs(common.beamArguments().toArray(new String[0])).create());
    try {
      RemoteFiles.checkScheme(url);
    } catch (IllegalArgumentException e) {
      throw new UsageError("--stage-url: " + e.getMessage());
    }
    return url;
  }

  /** The export, once the schema is locked and before its ledger is read. */
  int exportLocked(
      SnowflakeSettings settings,
      ApiConfig api,
      LoadIntoSnowflake load,
      List<String> studyKeys,
      String runId)
      throws Exception {
    LedgerRun run =
        common.ledgerRun(
            runId,
            studyKeys,
            SnowflakeLedger.read(settings, SnowflakeLedger.target(table)),
            System.out);
    ExportSpec export = common.spec(api, studyKeys).snowflake(load).ledger(run).build();
    return ExportCommand.runAndSummarize(export, common, System.out);
  }

  /**
   * Why these STUDY arguments look like the original SDK's positional form ({@code STUDY ACCOUNT
   * USER PASSWORD DATABASE SCHEMA WAREHOUSE STAGE TABLE}), as a one-line error showing the
   * equivalent flags; null when they are plain study keys. Nine values are that form when no
   * account is configured otherwise, or when the second or third is the configured account or user;
   * any blank value, or any value equal to the configured password, always is. The message never
   * contains the password.
   */
  static String sdkPositionalFormRefusal(List<String> values, SnowflakeSettings settings) {
    Secret pw = settings.password();
    String password = pw == null || pw.isEmpty() ? null : pw.reveal();
    boolean blank = values.stream().anyMatch(String::isBlank);
    boolean hasPassword = password != null && values.contains(password);
    boolean sdkForm = values.size() == SDK_POSITIONAL_FLAGS.length;
    if (sdkForm
        && !blank
        && !hasPassword
        && settings.account() != null
        && !values.get(1).equalsIgnoreCase(settings.account())
        && !values.get(2).equalsIgnoreCase(String.valueOf(settings.user()))) {
      return null; // nine study keys, with the connection configured by flags or environment
    }
    if (!sdkForm && !blank && !hasPassword) {
      return null;
    }
    StringBuilder flags = new StringBuilder("SNOWFLAKE_PASSWORD=... imednet export snowflake");
    if (sdkForm) {
      for (int i = 0; i < SDK_POSITIONAL_FLAGS.length; i++) {
        if (i == 0 || SDK_POSITIONAL_FLAGS[i] != null) {
          String v = values.get(i);
          flags.append(' ');
          if (i > 0) {
            flags.append(SDK_POSITIONAL_FLAGS[i]).append(' ');
          }
          // The password is never repeated, wherever it was given.
          flags.append(v.equals(password) ? SDK_POSITIONAL_NAMES[i] : shellWord(v));
        }
      }
    } else {
      flags.append(
          " STUDY... --account ACCOUNT --user USER --database DATABASE --schema SCHEMA"
              + " --warehouse WAREHOUSE --stage STAGE [--table TABLE]");
    }
    String why =
        hasPassword
            ? "a STUDY argument is the Snowflake password"
            : blank
                ? "a STUDY argument is blank (an unset \"$SNOWFLAKE_PASSWORD\"?)"
                : "these 9 arguments are the SDK's positional form";
    return why
        + ": `export snowflake STUDY ACCOUNT USER PASSWORD DATABASE SCHEMA WAREHOUSE STAGE TABLE`"
        + " is not supported (a password is never an argument; STUDY arguments are only study"
        + " keys). Use the flags, with the password from SNOWFLAKE_PASSWORD or --password-file: "
        + flags;
  }

  /** A value as one shell word: bare when safe, else single-quoted. */
  private static String shellWord(String v) {
    if (!v.isEmpty() && v.matches("[A-Za-z0-9_./:@%+=,-]+")) {
      return v;
    }
    return "'" + v.replace("'", "'\\''") + "'";
  }
}
