package org.imednet.export.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.imednet.export.testdata.generator.SyntheticStudyData;
import org.imednet.export.testdata.generator.SyntheticStudySpec;
import org.imednet.export.testdata.snowflake.SnowflakeEmulator;

/**
 * The small programs the benchmark scripts in {@code runners/bench/} need besides the {@code
 * imednet} command. Not part of the product; compiled by the scripts with javac against the
 * pipeline's class path.
 *
 * <pre>{@code
 * java -cp CP org.imednet.export.bench.BenchTool ndjson 42,1,20,30,1000000 records.ndjson
 * java -cp CP org.imednet.export.bench.BenchTool duckdb-copy records.ndjson out/  # prints millis
 * java -cp CP org.imednet.export.bench.BenchTool count-lake lake/                 # form rows
 * SNOWFLAKE_USER=u SNOWFLAKE_PASSWORD=p java -cp CP org.imednet.export.bench.BenchTool \
 *     snowflake-emulator ROOT PORT_FILE STATS_FILE
 * }</pre>
 *
 * <p>The Snowflake emulator runs until SIGTERM and then writes the row count of every table, so
 * a script can check what the server holds, not what the client believes it loaded. (The iMednet
 * emulator has its own main with {@code --stats-file}.)
 */
public final class BenchTool {
  private BenchTool() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      usage();
    }
    String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
    switch (args[0]) {
      case "ndjson":
        ndjson(rest);
        break;
      case "duckdb-copy":
        duckDbCopy(rest);
        break;
      case "count-lake":
        countLake(rest);
        break;
      case "snowflake-emulator":
        snowflakeEmulator(rest);
        break;
      default:
        usage();
    }
  }

  private static void usage() {
    System.err.println(
        "usage: BenchTool ndjson SPEC FILE | duckdb-copy NDJSON OUT_DIR | count-lake DIR"
            + " | snowflake-emulator ROOT PORT_FILE STATS_FILE");
    System.exit(2);
  }

  /** Writes the synthetic study as NDJSON, exactly the Record objects the API serves. */
  private static void ndjson(String[] args) throws IOException {
    SyntheticStudySpec spec = SyntheticStudySpec.parse(args[0]);
    Path file = Paths.get(args[1]);
    new SyntheticStudyData(spec).writeNdjson(file);
    System.out.println(
        "records=" + spec.studies() * spec.recordsPerStudy() + " bytes=" + Files.size(file));
  }

  /**
   * DuckDB's own NDJSON to Hive-partitioned Parquet, in process. Only the read_json → COPY
   * statement is timed; the row count is read back afterwards.
   */
  private static void duckDbCopy(String[] args) throws SQLException {
    String ndjson = args[0];
    String out = args[1];
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      String threads = System.getenv("DUCKDB_THREADS");
      if (threads != null && !threads.isBlank()) {
        st.execute("SET threads = " + Integer.parseInt(threads.trim()));
      }
      long started = System.nanoTime();
      st.execute(
          "COPY (SELECT studyKey AS study_key, formKey AS form_key, * FROM read_json("
              + quote(ndjson)
              + ", format = 'newline_delimited')) TO "
              + quote(out)
              + " (FORMAT parquet, PARTITION_BY (study_key, form_key))");
      long millis = (System.nanoTime() - started) / 1_000_000;
      long rows;
      try (ResultSet rs =
          st.executeQuery("SELECT count(*) FROM read_parquet(" + quote(out + "/**/*.parquet") + ")")) {
        rs.next();
        rows = rs.getLong(1);
      }
      System.out.println("rows=" + rows + " millis=" + millis);
    }
  }

  /** Rows of the form tables in a lake: every Parquet file under a form_key= partition. */
  private static void countLake(String[] args) throws SQLException {
    Path dir = Paths.get(args[0]);
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM read_parquet("
                    + quote(dir + "/study_key=*/form_key=*/*.parquet")
                    + ", union_by_name = true)")) {
      rs.next();
      System.out.println("rows=" + rs.getLong(1));
    }
  }

  /**
   * The Snowflake emulator with database BENCH, schema RAW and stage BENCH_STAGE, credentials from
   * SNOWFLAKE_USER / SNOWFLAKE_PASSWORD. Writes {@code SNOWFLAKE_PORT=…} and {@code
   * SNOWFLAKE_ACCOUNT=…} lines to PORT_FILE once ready; on SIGTERM
   * writes the row count of every table in BENCH.RAW to STATS_FILE as {@code TABLE=ROWS} lines.
   */
  private static void snowflakeEmulator(String[] args) throws Exception {
    Path root = Paths.get(args[0]);
    Path portFile = Paths.get(args[1]);
    Path statsFile = Paths.get(args[2]);
    String user = System.getenv("SNOWFLAKE_USER");
    String password = System.getenv("SNOWFLAKE_PASSWORD");
    if (user == null || password == null) {
      throw new IllegalArgumentException("set SNOWFLAKE_USER and SNOWFLAKE_PASSWORD");
    }
    SnowflakeEmulator emu =
        SnowflakeEmulator.builder().root(root).credentials(user, password).build().start();
    Properties p = new Properties();
    p.put("user", user);
    p.put("password", password);
    p.put("disablePlatformDetection", "true");
    try (Connection c = DriverManager.getConnection(emu.jdbcUrl(), p);
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE IF NOT EXISTS BENCH");
      st.execute("CREATE SCHEMA IF NOT EXISTS BENCH.RAW");
      st.execute("CREATE STAGE IF NOT EXISTS BENCH.RAW.BENCH_STAGE");
    }
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  StringBuilder out = new StringBuilder();
                  for (List<Object> t :
                      emu.query(
                          "SELECT table_name FROM information_schema.tables WHERE table_catalog"
                              + " = 'BENCH' AND table_schema = 'RAW' ORDER BY table_name")) {
                    String table = String.valueOf(t.get(0));
                    Object n =
                        emu.query("SELECT count(*) FROM BENCH.RAW.\"" + table + "\"").get(0).get(0);
                    out.append(table).append('=').append(n).append('\n');
                  }
                  write(statsFile, out.toString());
                  emu.close();
                  done.countDown();
                },
                "stats-writer"));
    write(portFile, "SNOWFLAKE_PORT=" + emu.port() + "\nSNOWFLAKE_ACCOUNT=" + emu.account() + "\n");
    System.out.println("Snowflake emulator at " + emu.jdbcUrl());
    System.out.flush();
    done.await();
  }

  private static void write(Path file, String text) {
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "''") + "'";
  }
}
