package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.imednet.export.testdata.SampleStudies;

/** Runs the CLI in-process with captured output, and reads results back with DuckDB. */
final class CliFixture {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private CliFixture() {}

  /** The outcome of one command line. */
  static final class Run {
    final int exitCode;
    final String out;
    final String err;

    Run(int exitCode, String out, String err) {
      this.exitCode = exitCode;
      this.out = out;
      this.err = err;
    }

    String all() {
      return out + "\n" + err;
    }

    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
    }
  }

  /** Runs {@code imednet args…} capturing stdout and stderr (log lines included). */
  static synchronized Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      System.setOut(o);
      System.setErr(e);
      code =
          ImednetCli.newCommandLine()
              .setOut(new java.io.PrintWriter(o, true))
              .setErr(new java.io.PrintWriter(e, true))
              .execute(args);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
    Run run =
        new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    oldOut.println("imednet " + String.join(" ", args) + "\n" + run);
    return run;
  }

  /** An env file with the emulator's address and the given credentials. */
  static Path envFile(Path dir, String baseUrl, String apiKey, String securityKey)
      throws IOException {
    Path f = dir.resolve("imednet.env");
    Files.writeString(
        f,
        "IMEDNET_BASE_URL="
            + baseUrl
            + "\nIMEDNET_API_KEY="
            + apiKey
            + "\nIMEDNET_SECURITY_KEY="
            + securityKey
            + "\n");
    return f;
  }

  /** Records per form key of a bundled sample study, counted from its records.json. */
  static Map<String, Long> sampleRecordsPerForm(String studyKey) throws IOException {
    Map<String, Long> counts = new TreeMap<>();
    Path records = SampleStudies.root().resolve(studyKey).resolve("records.json");
    for (JsonNode r : MAPPER.readTree(records.toFile())) {
      counts.merge(r.get("formKey").asText(), 1L, Long::sum);
    }
    return counts;
  }

  /** {@code form_key → count(*)} of one study read back with DuckDB's own hive query. */
  static Map<String, Long> lakeCounts(Path lake, String studyKey) throws Exception {
    return counts(
        "SELECT form_key, count(*) FROM read_parquet('"
            + lake
            + "/**/*.parquet', hive_partitioning = true, union_by_name = true) WHERE study_key = '"
            + studyKey
            + "' GROUP BY ALL",
        null);
  }

  static Map<String, Long> counts(String sql, Path db) throws Exception {
    Map<String, Long> out = new TreeMap<>();
    try (Connection c =
            DriverManager.getConnection(db == null ? "jdbc:duckdb:" : "jdbc:duckdb:" + db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getLong(2));
      }
    }
    return out;
  }

  static List<List<Object>> query(Path db, String sql) throws Exception {
    List<List<Object>> rows = new ArrayList<>();
    try (Connection c =
            DriverManager.getConnection(db == null ? "jdbc:duckdb:" : "jdbc:duckdb:" + db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<Object> r = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          r.add(rs.getObject(i));
        }
        rows.add(r);
      }
    }
    return rows;
  }

  /** Path → sha256 of every file under {@code dir}, to prove a tree did not change. */
  static Map<String, String> treeDigest(Path dir) throws Exception {
    Map<String, String> out = new TreeMap<>();
    if (!Files.exists(dir)) {
      return out;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        out.put(
            dir.relativize(p).toString(),
            HexFormat.of().formatHex(md.digest(Files.readAllBytes(p))));
      }
    }
    return out;
  }

  /**
   * Every table of {@code expected} (but the ledger) is in {@code actual} with the same rows,
   * compared on the expected table's columns with EXCEPT ALL both ways; {@code formRows} is the
   * number of form rows in all.
   */
  static void assertSameTables(Path expected, Path actual, long formRows) throws Exception {
    assertSameTables(expected, actual, formRows, Map.of());
  }

  /**
   * As {@link #assertSameTables(Path, Path, long)}, comparing only the rows of table {@code t} that
   * match {@code where.get(t)} (an SQL condition) where one is given.
   */
  static void assertSameTables(Path expected, Path actual, long formRows, Map<String, String> where)
      throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      st.execute("ATTACH '" + expected + "' AS e (READ_ONLY)");
      st.execute("ATTACH '" + actual + "' AS a (READ_ONLY)");
      List<String> tables = new ArrayList<>();
      try (ResultSet rs =
          st.executeQuery(
              "SELECT table_name FROM duckdb_tables() WHERE database_name = 'e' AND table_name <>"
                  + " 'imednet_export_ledger' ORDER BY 1")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      assertTrue(tables.size() > 5, tables.toString());
      long rows = 0;
      for (String t : tables) {
        List<String> cols = new ArrayList<>();
        try (ResultSet rs =
            st.executeQuery(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = 'e' AND"
                    + " table_name = '"
                    + t
                    + "' ORDER BY column_index")) {
          while (rs.next()) {
            cols.add("\"" + rs.getString(1) + "\"");
          }
        }
        String select = "SELECT " + String.join(", ", cols) + " FROM ";
        for (String[] way : new String[][] {{"e", "a"}, {"a", "e"}}) {
          try (ResultSet rs =
              st.executeQuery(
                  "SELECT count(*) FROM ("
                      + select
                      + way[0]
                      + ".\""
                      + t
                      + "\""
                      + (where.containsKey(t) ? " WHERE " + where.get(t) : "")
                      + " EXCEPT ALL "
                      + select
                      + way[1]
                      + ".\""
                      + t
                      + "\""
                      + (where.containsKey(t) ? " WHERE " + where.get(t) : "")
                      + ")")) {
            rs.next();
            assertEquals(0L, rs.getLong(1), t + ": rows of " + way[0] + " missing in " + way[1]);
          }
        }
        if (!t.startsWith("imednet_")) {
          try (ResultSet rs = st.executeQuery("SELECT count(*) FROM e.\"" + t + "\"")) {
            rs.next();
            rows += rs.getLong(1);
          }
        }
      }
      assertEquals(formRows, rows, "form rows of " + tables);
    }
  }
}
