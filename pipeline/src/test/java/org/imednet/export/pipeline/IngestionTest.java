package org.imednet.export.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.Secret;
import org.imednet.export.history.DateWindow;
import org.imednet.export.sinks.duckdb.DuckDbHistory;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.imednet.export.testdata.emulator.Resource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bronze/silver workflow against the emulator, with the sample study swapped for its "next
 * day": values edited (later dateModified, new revisions), a record added, a record deleted.
 */
class IngestionTest {
  private static final String STUDY = "CARDIO01";
  private static final DateWindow DAY_1 = DateWindow.parse("2025-01-01", "2025-12-31");
  private static final DateWindow DAY_2 = DateWindow.parse("2026-01-01", "2026-01-31");
  private static final List<String> DIRECT = List.of("--runner=DirectRunner");

  @TempDir Path tmp;
  private FolderStudyData data;
  private ImednetEmulator emulator;

  @BeforeEach
  void start() {
    data = FolderStudyData.load(SampleStudies.root());
    emulator = ImednetEmulator.builder().data(data).port(0).build().start();
  }

  @AfterEach
  void stop() {
    emulator.close();
  }

  private Ingestion ingestion(Path db) {
    ApiConfig api =
        ApiConfig.builder()
            .baseUrl(emulator.baseUrl())
            .apiKey(Secret.of(emulator.apiKey()))
            .securityKey(Secret.of(emulator.securityKey()))
            .build();
    return Ingestion.create(api, db).withBeamArgs(DIRECT);
  }

  @Test
  void silverAndAuditFollowTheStudyFromOneDayToTheNext() throws Exception {
    Path db = tmp.resolve("central.duckdb");
    Ingestion workflow = ingestion(db);

    Ingestion.Result first = workflow.ingest(List.of(STUDY), DAY_1, DuckDbHistory.Mode.APPEND);
    assertEquals(190, first.revisionsInserted());
    assertEquals(191, first.recordsFetched());
    assertEquals(191, first.recordVersionsInserted());
    assertEquals(1530, first.valuesInserted());
    assertEquals(1530L, scalar(db, "SELECT count(*) FROM bronze_record_values"));

    // The same window again inserts nothing, through the Java API of the feature guide too.
    assertEquals(
        0,
        workflow.ingestRevisions(
            STUDY,
            LocalDate.parse("2025-01-01"),
            LocalDate.parse("2025-12-31"),
            DuckDbHistory.Mode.APPEND));
    assertEquals(1530L, scalar(db, "SELECT count(*) FROM bronze_record_values"));
    assertEquals(190L, scalar(db, "SELECT count(*) FROM bronze_record_revisions"));

    workflow.buildSilverView(STUDY);
    assertEquals(expectedCurrentState(), silver(db));
    assertEquals(List.of(), audit(db));

    nextDay();
    Ingestion.Result second = workflow.ingest(List.of(STUDY), DAY_2, DuckDbHistory.Mode.APPEND);
    assertEquals(2, second.revisionsInserted());
    assertEquals(4, second.recordsFetched());
    assertEquals(4, second.recordVersionsInserted());
    workflow.buildSilverView(STUDY);

    assertEquals(expectedCurrentState(), silver(db));
    assertEquals(
        List.of(
            "880001|HEIGHT|172|173|2026-01-12T14:30|2025-04-01T15:00|null|null|null|0",
            "880002|SYSBP|128|131|2026-01-10T09:00|2025-04-01T16:00|mlopez|Research Coordinator"
                + "|Transcription error|1",
            "880002|VSCOMM||Repeated after rest|2026-01-10T09:00|2025-04-01T16:00|mlopez"
                + "|Research Coordinator|Transcription error|1"),
        audit(db));
    // The edited version carries its revision numbers; typed values sit beside the raw text.
    assertEquals(
        List.of("3|2|131|131|false"),
        rows(
            db,
            "SELECT record_revision, data_revision, value, value_long, value_unparseable FROM"
                + " bronze_record_values WHERE record_id = 880002 AND variable_name = 'SYSBP'"
                + " AND date_modified = TIMESTAMP '2026-01-10 09:00:00'"));
    // The deleted record is observed as deleted, and gone from the current state.
    assertEquals(
        List.of("2025-04-01T17:00|false", "2026-01-15T08:00|true"),
        rows(
            db,
            "SELECT DISTINCT date_modified, deleted FROM bronze_record_values"
                + " WHERE record_id = 880003 ORDER BY 1"));
    assertEquals(
        0L, scalar(db, "SELECT count(*) FROM silver_current_state WHERE record_id = 880003"));
    assertEquals(
        List.of("append|190|1530|191", "append|0|0|0", "append|2|30|4"),
        rows(
            db,
            "SELECT mode, revisions_inserted, values_inserted, records_inserted"
                + " FROM bronze_ingest_runs ORDER BY loaded_at"));
  }

  @Test
  void windowsIngestedInAnyOrderGiveTheSameBronze() throws Exception {
    nextDay();
    Path inOrder = tmp.resolve("in-order.duckdb");
    Path reversed = tmp.resolve("reversed.duckdb");
    ingestion(inOrder).ingest(List.of(STUDY), DAY_1, DuckDbHistory.Mode.APPEND);
    ingestion(inOrder).ingest(List.of(STUDY), DAY_2, DuckDbHistory.Mode.APPEND);
    ingestion(reversed).ingest(List.of(STUDY), DAY_2, DuckDbHistory.Mode.APPEND);
    ingestion(reversed).ingest(List.of(STUDY), DAY_1, DuckDbHistory.Mode.APPEND);
    for (String table : List.of("bronze_record_values", "bronze_record_revisions")) {
      String rows = "SELECT * EXCLUDE (run_id, loaded_at) FROM ";
      try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
          Statement st = c.createStatement()) {
        st.execute("ATTACH '" + inOrder + "' AS a (READ_ONLY)");
        st.execute("ATTACH '" + reversed + "' AS b (READ_ONLY)");
        assertEquals(
            0L,
            scalar(
                st,
                "SELECT count(*) FROM ("
                    + rows
                    + "a."
                    + table
                    + " EXCEPT ALL "
                    + rows
                    + "b."
                    + table
                    + ")"),
            table);
        assertEquals(
            0L,
            scalar(
                st,
                "SELECT count(*) FROM ("
                    + rows
                    + "b."
                    + table
                    + " EXCEPT ALL "
                    + rows
                    + "a."
                    + table
                    + ")"),
            table);
        assertTrue(scalar(st, "SELECT count(*) FROM a." + table) > 190, table);
      }
    }
    // Day 1's window on day 2 holds the 188 records not changed since; day 2's the other 3 and 1
    // new.
    assertEquals(
        188L + 3 + 1,
        scalar(inOrder, "SELECT count(DISTINCT record_id) FROM bronze_record_values"));
    assertEquals(
        1L,
        scalar(
            reversed,
            "SELECT count(*) FROM bronze_record_values WHERE record_id = 880002"
                + " AND variable_name = 'SYSBP' AND record_revision = 3"));
  }

  @Test
  void replaceModeReplacesWhatTheWindowHolds() throws Exception {
    Path db = tmp.resolve("replace.duckdb");
    ingestion(db).ingest(List.of(STUDY), DAY_1, DuckDbHistory.Mode.APPEND);
    Ingestion.Result replaced =
        ingestion(db).ingest(List.of(STUDY), DAY_1, DuckDbHistory.Mode.REPLACE);
    assertEquals(190, replaced.revisionsInserted());
    assertEquals(1530, replaced.valuesInserted());
    assertEquals(1530L, scalar(db, "SELECT count(*) FROM bronze_record_values"));
    assertEquals(190L, scalar(db, "SELECT count(*) FROM bronze_record_revisions"));
    assertEquals(1L, scalar(db, "SELECT count(DISTINCT run_id) FROM bronze_record_values"));
  }

  @Test
  void aStudyTheApiDoesNotKnowFailsAndWritesNothing() throws Exception {
    Path db = tmp.resolve("unknown.duckdb");
    ingestion(db).ingest(List.of(STUDY), DAY_1, DuckDbHistory.Mode.APPEND);
    RuntimeException e =
        assertThrows(
            RuntimeException.class,
            () ->
                ingestion(db).ingest(List.of(STUDY, "NO_SUCH"), DAY_1, DuckDbHistory.Mode.APPEND));
    assertTrue(String.valueOf(rootMessage(e)).contains("NO_SUCH"), rootMessage(e));
    assertEquals(1L, scalar(db, "SELECT count(*) FROM bronze_ingest_runs"));
  }

  private static String rootMessage(Throwable t) {
    Throwable r = t;
    while (r.getCause() != null) {
      r = r.getCause();
    }
    return r.getMessage();
  }

  /**
   * Day 2 of the study, swapped in from {@code testdata/studies-next-day} (see its script): two
   * records edited, one deleted, one added; two new revisions.
   */
  private void nextDay() {
    FolderStudyData next = FolderStudyData.load(SampleStudies.nextDayRoot());
    data.setItems(STUDY, Resource.RECORDS, next.list(STUDY, Resource.RECORDS));
    data.setItems(STUDY, Resource.RECORD_REVISIONS, next.list(STUDY, Resource.RECORD_REVISIONS));
  }

  /**
   * The study's current state computed from the API's records directly: every value of every record
   * not deleted, as text, blanks left out, by record id and variable name.
   */
  private List<String> expectedCurrentState() {
    List<String> out = new ArrayList<>();
    for (JsonNode r : data.list(STUDY, Resource.RECORDS)) {
      if (r.path("deleted").asBoolean()) {
        continue;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = r.get("recordData").fields();
          it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().equals("dateCreated") || e.getKey().equals("dateModified")) {
          continue;
        }
        JsonNode v = e.getValue();
        String text = v.isNull() ? null : v.isTextual() ? v.textValue() : v.toString();
        if (text != null && !text.isBlank()) {
          out.add(r.get("recordId").asLong() + "|" + e.getKey() + "|" + text);
        }
      }
    }
    out.sort(
        (a, b) -> {
          String[] x = a.split("\\|", 3);
          String[] y = b.split("\\|", 3);
          int c = Long.compare(Long.parseLong(x[0]), Long.parseLong(y[0]));
          return c != 0 ? c : x[1].compareTo(y[1]);
        });
    return out;
  }

  private static List<String> silver(Path db) throws Exception {
    return rows(
        db,
        "SELECT record_id, variable_name, value FROM silver_current_state WHERE study_key = '"
            + STUDY
            + "' ORDER BY record_id, variable_name COLLATE \"binary\"");
  }

  private static List<String> audit(Path db) throws Exception {
    return rows(
        db,
        "SELECT record_id, variable_name, coalesce(old_value, ''), coalesce(new_value, ''),"
            + " changed_at, previous_observed_at,"
            + " \"user\", role, reason_for_change, revisions_between FROM audit_value_changes"
            + " ORDER BY record_id, variable_name");
  }

  static List<String> rows(Path db, String sql) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) {
          if (i > 1) {
            sb.append('|');
          }
          Object v = rs.getObject(i);
          if (v instanceof java.sql.Timestamp) {
            v = ((java.sql.Timestamp) v).toLocalDateTime();
          }
          sb.append(v);
        }
        out.add(sb.toString());
      }
    }
    return out;
  }

  private static long scalar(Path db, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + db);
        Statement st = c.createStatement()) {
      return scalar(st, sql);
    }
  }

  private static long scalar(Statement st, String sql) throws Exception {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
