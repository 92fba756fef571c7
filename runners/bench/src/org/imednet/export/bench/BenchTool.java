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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import org.imednet.export.testdata.emulator.ImednetEmulator;
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
 * java -cp CP org.imednet.export.bench.BenchTool emulator --synthetic 42,1,20,30,1000 \
 *     --port 18080 --stats-file stats.json [--latency-ms 200] [--rps 20]
 * SNOWFLAKE_USER=u SNOWFLAKE_PASSWORD=p java -cp CP org.imednet.export.bench.BenchTool \
 *     snowflake-emulator ROOT PORT_FILE STATS_FILE
 * }</pre>
 *
 * <p>The emulators run until SIGTERM and then write their stats file (JSON), so a script can read
 * what the server saw, not what the client believes it sent.
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
      case "emulator":
        emulator(rest);
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
            + " | emulator ARGS... --stats-file FILE"
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
   * The iMednet emulator with a request summary: on SIGTERM it writes {@code {"requests": N,
   * "status429": N, "statuses": {...}, "firstRequestMillis": T0, "lastRequestMillis": T1}} where
   * the times are epoch milliseconds sampled every 50 ms.
   */
  private static void emulator(String[] args) throws Exception {
    ImednetEmulator.Builder b = ImednetEmulator.builder();
    Path stats = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      String value = args[i + 1];
      switch (args[i]) {
        case "--synthetic":
          b.data(new SyntheticStudyData(SyntheticStudySpec.parse(value)));
          break;
        case "--port":
          b.port(Integer.parseInt(value));
          break;
        case "--latency-ms":
          b.latency(Duration.ofMillis(Long.parseLong(value)));
          break;
        case "--rps":
          b.requestsPerSecond(Integer.parseInt(value));
          break;
        case "--workers":
          b.workers(Integer.parseInt(value));
          break;
        case "--stats-file":
          stats = Paths.get(value);
          break;
        default:
          throw new IllegalArgumentException("unknown emulator argument " + args[i]);
      }
    }
    if (stats == null) {
      throw new IllegalArgumentException("--stats-file is required");
    }
    ImednetEmulator emu = b.build().start();
    long[] window = {0, 0};
    int[] seen = {0};
    Thread sampler =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                int n = emu.requests().size();
                long now = System.currentTimeMillis();
                synchronized (window) {
                  if (n > seen[0]) {
                    if (seen[0] == 0) {
                      window[0] = now;
                    }
                    window[1] = now;
                    seen[0] = n;
                  }
                }
                try {
                  Thread.sleep(50);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "stats-sampler");
    sampler.setDaemon(true);
    sampler.start();
    Path statsFile = stats;
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  sampler.interrupt();
                  List<ImednetEmulator.RecordedRequest> requests = emu.requests();
                  Map<Integer, Integer> statuses = new TreeMap<>();
                  for (ImednetEmulator.RecordedRequest r : requests) {
                    statuses.merge(r.status(), 1, Integer::sum);
                  }
                  StringBuilder json = new StringBuilder();
                  json.append("{\"requests\": ").append(requests.size());
                  json.append(", \"status429\": ").append(statuses.getOrDefault(429, 0));
                  json.append(", \"statuses\": {");
                  String sep = "";
                  for (Map.Entry<Integer, Integer> e : statuses.entrySet()) {
                    json.append(sep).append('"').append(e.getKey()).append("\": ");
                    json.append(e.getValue());
                    sep = ", ";
                  }
                  synchronized (window) {
                    json.append("}, \"firstRequestMillis\": ").append(window[0]);
                    json.append(", \"lastRequestMillis\": ").append(window[1]);
                  }
                  json.append("}\n");
                  write(statsFile, json.toString());
                  emu.close();
                  done.countDown();
                },
                "stats-writer"));
    System.out.println("iMednet emulator at " + emu.baseUrl() + ImednetEmulator.API_PREFIX);
    System.out.flush();
    done.await();
  }

  /**
   * The Snowflake emulator with database BENCH, schema RAW and stage BENCH_STAGE, credentials from
   * SNOWFLAKE_USER / SNOWFLAKE_PASSWORD. Writes its port to PORT_FILE once ready; on SIGTERM
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
    write(portFile, emu.port() + "\n");
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
