package org.imednet.export.sinks.duckdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.imednet.export.history.DateWindow;
import org.imednet.export.history.RecordValues;
import org.imednet.export.read.ReadStudyMetadataTables;
import org.imednet.export.rows.Column;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ingest killed with SIGKILL inside its transaction, after its rows were inserted and before the
 * commit, leaves the DuckDB file exactly as it was, and the next ingest of the same window commits
 * normally.
 */
class DuckDbHistoryKillTest {
  private static final DateWindow DAY_1 = DateWindow.parse("2026-01-01", "2026-01-01");
  private static final DateWindow DAY_2 = DateWindow.parse("2026-01-02", "2026-01-02");

  @TempDir Path tmp;

  @Test
  void aKilledIngestLeavesTheFileAsItWas() throws Exception {
    Path db = tmp.resolve("central.duckdb");
    ingest(db, tmp.resolve("day1"), DAY_1, "run-1", 2_000, false);
    Map<String, String> before = digest(db);
    assertEquals("2000|200", before.get(DuckDbHistory.VALUES + " rows|revisions"));

    Process child =
        new ProcessBuilder(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Child.class.getName(),
                db.toString(),
                tmp.resolve("day2").toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null && !line.equals("INSIDE")) {
        // the child's other output
      }
      assertEquals("INSIDE", line, "the child reached the point inside its transaction");
      child.destroyForcibly();
      assertEquals(137, child.waitFor(), "killed by SIGKILL");
    }

    assertEquals(before, digest(db));
    assertFalse(digest(db).toString().contains("run-killed"));
    // The file is whole: the same window ingests and commits.
    ingest(db, tmp.resolve("day2-again"), DAY_2, "run-2", 30_000, false);
    assertEquals("32000|3200", digest(db).get(DuckDbHistory.VALUES + " rows|revisions"));
  }

  /** Runs one ingest of {@code values} generated value rows; with {@code pause}, never commits. */
  static void ingest(
      Path db, Path runDir, DateWindow window, String runId, int values, boolean pause)
      throws Exception {
    java.nio.file.Files.createDirectories(runDir);
    Path valueFile = runDir.resolve("values.parquet");
    Path revisionFile = runDir.resolve("revisions.parquet");
    String day = window.start().toString();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      Map<String, String> v = new TreeMap<>();
      v.put("study_key", "'S1'");
      v.put("form_key", "'VS'");
      v.put("form_id", "3101");
      v.put("record_id", "(i // 10)");
      v.put("deleted", "false");
      v.put("date_modified", "TIMESTAMP '" + day + " 08:00:00' + to_seconds(i // 10)");
      v.put("variable_name", "'V' || (i % 10)");
      v.put("value", "(i * 7)::VARCHAR");
      v.put("value_unparseable", "false");
      copy(st, RecordValues.COLUMNS, v, values, valueFile);
      Map<String, String> r = new TreeMap<>();
      r.put("study_key", "'S1'");
      r.put("record_revision_id", "i + " + (window.equals(DAY_1) ? 0 : 1_000_000));
      r.put("record_id", "i");
      r.put("record_revision", "2");
      r.put("data_revision", "1");
      r.put("user", "'mlopez'");
      r.put("date_created", "TIMESTAMP '" + day + " 08:00:00' + to_seconds(i)");
      copy(
          st,
          ReadStudyMetadataTables.RECORD_REVISIONS.schema("S1").columns(),
          r,
          values / 10,
          revisionFile);
    }
    DuckDbCommit.inOneTransaction(
        db,
        runDir,
        st -> {
          DuckDbHistory.ingest(
              st,
              List.of("S1"),
              window,
              DuckDbHistory.Mode.APPEND,
              runId,
              LocalDateTime.parse(day + "T23:00:00"),
              List.of(revisionFile.toString()),
              List.of(valueFile.toString()));
          if (pause) {
            System.out.println("INSIDE");
            System.out.flush();
            try {
              // Holds the transaction open until the parent kills this process.
              System.in.read();
            } catch (java.io.IOException e) {
              throw new IllegalStateException(e);
            }
            throw new IllegalStateException("the parent was to kill this process");
          }
          return null;
        });
  }

  private static void copy(
      Statement st, List<Column> columns, Map<String, String> values, int rows, Path file)
      throws Exception {
    List<String> select = new ArrayList<>();
    for (Column c : columns) {
      select.add(
          "("
              + values.getOrDefault(c.name(), "NULL")
              + ")::"
              + sqlType(c)
              + " AS "
              + DuckDbTableNames.quote(c.name()));
    }
    st.execute(
        "COPY (SELECT "
            + String.join(", ", select)
            + " FROM range("
            + rows
            + ") t(i)) TO '"
            + file
            + "' (FORMAT parquet)");
  }

  private static String sqlType(Column c) {
    switch (c.type()) {
      case STRING:
        return "VARCHAR";
      case LONG:
        return "BIGINT";
      default:
        return c.type().name();
    }
  }

  /** Row counts and a content hash of every table. */
  private static Map<String, String> digest(Path db) throws Exception {
    Map<String, String> out = new TreeMap<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + db);
        Statement st = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("SELECT table_name FROM duckdb_tables() ORDER BY 1")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      for (String t : tables) {
        try (ResultSet rs =
            st.executeQuery(
                "SELECT count(*), coalesce(sum(hash(x)), 0)::VARCHAR, string_agg(DISTINCT"
                    + " run_id, ',' ORDER BY run_id) FROM "
                    + t
                    + " x")) {
          rs.next();
          out.put(t, rs.getLong(1) + "|" + rs.getString(2) + "|" + rs.getString(3));
        }
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT (SELECT count(*) FROM "
                  + DuckDbHistory.VALUES
                  + ") || '|' || (SELECT count(*) FROM "
                  + DuckDbHistory.REVISIONS
                  + ")")) {
        rs.next();
        out.put(DuckDbHistory.VALUES + " rows|revisions", rs.getString(1));
      }
    }
    return out.entrySet().stream()
        .collect(
            Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
  }

  /** The killed process: an ingest of 30,000 value rows that stops inside its transaction. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      ingest(Path.of(args[0]), Path.of(args[1]), DAY_2, "run-killed", 30_000, true);
    }
  }
}
