package org.imednet.export.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.imednet.export.api.Secret;
import org.imednet.export.sinks.snowflake.SnowflakeSettings;
import org.imednet.export.testdata.snowflake.SnowflakeEmulator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code imednet emulator snowflake}: the bundled, DuckDB-backed Snowflake emulator on 127.0.0.1,
 * with a database, schema and stage ready, until Ctrl-C. It prints the {@code SNOWFLAKE_*} settings
 * (and the equivalent flags) that point {@code imednet export snowflake} at it.
 */
@Command(
    name = "snowflake",
    mixinStandardHelpOptions = true,
    header = "Run the local Snowflake emulator on 127.0.0.1, for `imednet export snowflake`.",
    description = {
      "Run the bundled Snowflake emulator (what the tests load into through the real",
      "snowflake-jdbc driver) on 127.0.0.1 over plain HTTP, create the database,",
      "schema and internal stage, and print the SNOWFLAKE_* settings that point",
      "`imednet export snowflake` at it. Only the printed user may log in, with the",
      "emulator's password (given as SNOWFLAKE_PASSWORD, never as an argument).",
      "Each Snowflake database is a DuckDB file DIR/databases/<DATABASE>.duckdb and",
      "stages are folders under DIR/stages/. Without --data-dir a temporary DIR is",
      "used and removed on exit; with it the data is kept (and served again on the",
      "next start) to inspect after Ctrl-C, e.g. with",
      "  imednet sql DIR/databases/IMEDNET_DB.duckdb \"SELECT ... FROM PUBLIC.T\"",
      "External stages (CREATE STAGE NAME URL = 's3://bucket/path/' STORAGE_INTEGRATION = I",
      "or CREDENTIALS = (...)) read their files from --s3-endpoint (an S3-compatible server",
      "such as MinIO; default AWS's own S3), signing with the stage's CREDENTIALS or, for a",
      "storage integration, with this process's AWS credentials (AWS_* variables, profile).",
      "Runs until Ctrl-C."
    })
final class SnowflakeEmulatorCommand implements Callable<Integer> {
  /** The emulator's well-known password, as the iMednet emulator has well-known keys. */
  static final String PASSWORD = "emulator-snowflake-password";

  /** Any warehouse name is accepted; this is the one printed. */
  static final String WAREHOUSE = "EMU_WH";

  static final String HOST = "127.0.0.1";

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*");

  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--port",
      paramLabel = "N",
      description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).",
      defaultValue = "8090")
  int port;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Keep the emulator's data here: one DuckDB file per database in DIR/databases/"
              + " (default: a temporary folder, removed on exit).")
  Path dataDir;

  @Option(
      names = "--user",
      paramLabel = "USER",
      description = "The user that may log in (default: ${DEFAULT-VALUE}).",
      defaultValue = "LOADER")
  String user;

  @Option(
      names = "--database",
      paramLabel = "DB",
      description = "Database to create if missing (default: ${DEFAULT-VALUE}).",
      defaultValue = "IMEDNET_DB")
  String database;

  @Option(
      names = "--schema",
      paramLabel = "SCHEMA",
      description = "Schema to create if missing (default: ${DEFAULT-VALUE}).",
      defaultValue = "PUBLIC")
  String schema;

  @Option(
      names = "--stage",
      paramLabel = "STAGE",
      description = "Internal stage to create if missing (default: ${DEFAULT-VALUE}).",
      defaultValue = "IMEDNET_STAGE")
  String stage;

  @Option(
      names = "--s3-endpoint",
      paramLabel = "URL",
      description =
          "S3 server that external stages' s3:// URLs are read from, e.g. http://127.0.0.1:9000"
              + " (default: AWS's S3 for --s3-region).")
  URI s3Endpoint;

  @Option(
      names = "--external-stage",
      paramLabel = "NAME=URL",
      description =
          "Also create external stage NAME on URL (e.g. EXT=s3://imednet/stage/), read from"
              + " --s3-endpoint with the AWS_* credentials of this process, as a storage"
              + " integration would; repeatable.")
  List<String> externalStages = new java.util.ArrayList<>();

  @Option(
      names = "--s3-path-style",
      description =
          "Path-style S3 requests (http://host:port/bucket/key), for servers reached by address.")
  boolean s3PathStyle;

  @Option(
      names = "--s3-region",
      paramLabel = "REGION",
      description = "Region S3 requests are signed for (default: ${DEFAULT-VALUE}).",
      defaultValue = "us-east-1")
  String s3Region;

  @Override
  public Integer call() throws Exception {
    String userName = identifier("--user", user);
    String db = identifier("--database", database);
    String sch = identifier("--schema", schema);
    String stg = identifier("--stage", stage);
    java.util.Map<String, String> external = new java.util.LinkedHashMap<>();
    for (String e : externalStages) {
      int eq = e.indexOf('=');
      if (eq < 1) {
        throw new IllegalArgumentException(
            "--external-stage takes NAME=URL (e.g. EXT=s3://imednet/stage/), was '" + e + "'");
      }
      String url = e.substring(eq + 1).strip();
      if (!url.matches("[a-z][a-z0-9+.-]*://[^'\\s]+")) {
        throw new IllegalArgumentException(
            "--external-stage " + e.substring(0, eq) + ": '" + url + "' is not a bucket URL");
      }
      external.put(identifier("--external-stage", e.substring(0, eq).strip()), url);
    }
    boolean temporary = dataDir == null;
    Path root =
        temporary
            ? Files.createTempDirectory("imednet-snowflake-emulator-")
            : dataDir.toAbsolutePath().normalize();
    SnowflakeEmulator emu;
    try {
      SnowflakeEmulator.Builder builder =
          SnowflakeEmulator.builder()
              .root(root)
              .credentials(userName, PASSWORD)
              .port(port)
              .s3PathStyle(s3PathStyle)
              .s3Region(s3Region);
      if (s3Endpoint != null) {
        builder.s3Endpoint(s3Endpoint);
      }
      emu = builder.build().start();
    } catch (IOException | RuntimeException e) {
      if (temporary) {
        EmulatorStop.deleteTree(root);
      }
      if (e.getCause() instanceof BindException) {
        throw new IllegalArgumentException(
            "port "
                + port
                + " of 127.0.0.1 is in use; choose another with --port N (0 picks a free one)");
      }
      throw e;
    }
    // Closing checkpoints every DuckDB file, so --data-dir can be read afterwards.
    EmulatorStop stopper = new EmulatorStop(emu::close, temporary ? root : null);
    Thread hook = new Thread(stopper::stop, "snowflake-emulator-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      SnowflakeSettings settings =
          SnowflakeSettings.builder()
              .host(HOST)
              .port(emu.port())
              .protocol("http")
              .account(emu.account())
              .user(userName)
              .password(Secret.of(PASSWORD))
              .database(db)
              .schema(sch)
              .warehouse(WAREHOUSE)
              .stage(stg)
              .build();
      // Through the real driver, as the exporter will connect: this also proves the settings.
      try (Connection c = settings.connect();
          Statement st = c.createStatement()) {
        st.execute("CREATE DATABASE IF NOT EXISTS " + db);
        st.execute("CREATE SCHEMA IF NOT EXISTS " + db + "." + sch);
        st.execute("CREATE STAGE IF NOT EXISTS " + db + "." + sch + "." + stg);
        for (java.util.Map.Entry<String, String> e : external.entrySet()) {
          st.execute(
              "CREATE OR REPLACE STAGE "
                  + db
                  + "."
                  + sch
                  + "."
                  + e.getKey()
                  + " URL = '"
                  + e.getValue()
                  + "' STORAGE_INTEGRATION = IMEDNET_EMULATOR");
        }
      }
      print(spec.commandLine().getOut(), emu, root, temporary, userName, db, sch, stg, external);
      try {
        stopper.stopped.await();
      } catch (InterruptedException e) {
        // Stopped in-process (a test, an embedding program): shut down like Ctrl-C.
        Thread.currentThread().interrupt();
      }
      return ImednetCli.EXIT_OK;
    } finally {
      stopper.stop();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // Ctrl-C: the hook is running or has run.
      }
    }
  }

  private static void print(
      PrintWriter out,
      SnowflakeEmulator emu,
      Path root,
      boolean temporary,
      String user,
      String db,
      String schema,
      String stage,
      java.util.Map<String, String> external) {
    int p = emu.port();
    out.println(
        "Snowflake emulator at http://"
            + HOST
            + ":"
            + p
            + " (account "
            + emu.account()
            + "), backed by DuckDB in "
            + root
            + (temporary ? " (removed on exit; --data-dir DIR keeps it)" : ""));
    out.println(
        "Database "
            + db
            + ", schema "
            + schema
            + " and stage "
            + stage
            + " are ready; user "
            + user
            + " may log in with the emulator's password.");
    out.println("Point `imednet export snowflake` at it with:");
    List<String[]> env =
        List.of(
            new String[] {"SNOWFLAKE_HOST", HOST},
            new String[] {"SNOWFLAKE_PORT", Integer.toString(p)},
            new String[] {"SNOWFLAKE_PROTOCOL", "http"},
            new String[] {"SNOWFLAKE_ACCOUNT", emu.account()},
            new String[] {"SNOWFLAKE_USER", user},
            new String[] {"SNOWFLAKE_PASSWORD", PASSWORD},
            new String[] {"SNOWFLAKE_DATABASE", db},
            new String[] {"SNOWFLAKE_SCHEMA", schema},
            new String[] {"SNOWFLAKE_WAREHOUSE", WAREHOUSE},
            new String[] {"SNOWFLAKE_STAGE", stage});
    for (String[] kv : env) {
      out.println("  export " + kv[0] + "=" + kv[1]);
    }
    out.println("  ./imednet export snowflake CARDIO01");
    out.println("or with flags (the password only from SNOWFLAKE_PASSWORD or --password-file):");
    out.println(
        "  ./imednet export snowflake CARDIO01 --host "
            + HOST
            + " --port "
            + p
            + " --protocol http --account "
            + emu.account()
            + " --user "
            + user
            + " --database "
            + db
            + " --schema "
            + schema
            + " --warehouse "
            + WAREHOUSE
            + " --stage "
            + stage);
    out.println(
        "The studies come from the iMednet API: `./imednet emulator` serves the samples"
            + " (CARDIO01, ONCO-22) and prints its IMEDNET_* settings.");
    for (java.util.Map.Entry<String, String> e : external.entrySet()) {
      out.println(
          "External stage "
              + e.getKey()
              + " reads "
              + e.getValue()
              + "; load through it with --stage @"
              + e.getKey()
              + " --stage-url "
              + e.getValue()
              + " (plus the S3 flags `imednet emulator s3` printed).");
    }
    out.println("JDBC URL: " + emu.jdbcUrl());
    if (!temporary) {
      Path file = root.resolve("databases").resolve(db + ".duckdb");
      out.println("After Ctrl-C, inspect what was loaded with:");
      out.println(
          "  ./imednet sql "
              + shellWord(file.toString())
              + " \"SELECT schema_name, table_name, estimated_size FROM duckdb_tables()"
              + " ORDER BY ALL\"");
    }
    out.println("Ctrl-C to stop.");
    out.flush();
  }

  /** A simple Snowflake identifier, upper-cased as Snowflake stores unquoted names. */
  private static String identifier(String option, String value) {
    if (!IDENTIFIER.matcher(value).matches()) {
      throw new IllegalArgumentException(
          option + " must be a simple identifier (letters, digits, _ or $), was '" + value + "'");
    }
    return value.toUpperCase(Locale.ROOT);
  }

  private static String shellWord(String v) {
    if (v.matches("[A-Za-z0-9_./:@%+=,-]+")) {
      return v;
    }
    return "'" + v.replace("'", "'\\''") + "'";
  }
}
