package org.imednet.export.sinks.duckdb;

import static org.imednet.export.sinks.duckdb.DuckDbTableNames.literal;
import static org.imednet.export.sinks.duckdb.DuckDbTableNames.quote;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.annotation.Nullable;
import org.imednet.export.history.DateWindow;
import org.imednet.export.history.RecordValues;
import org.imednet.export.read.ReadStudyMetadataTables;
import org.imednet.export.rows.Column;

/**
 * The tables of the bronze/silver record history in a DuckDB file, and the SQL that loads and
 * derives them.
 *
 * <h2>Bronze (append-only observations)</h2>
 *
 * <ul>
 *   <li>{@value #REVISIONS}: every record revision the API listed for an ingested window ({@code
 *       dateCreated} inside it): all API fields, {@code _extra} (unknown fields, values that did
 *       not parse), {@code run_id}, {@code loaded_at}. Natural key (study_key, record_revision_id).
 *   <li>{@value #VALUES}: the observed content of every record whose {@code dateModified} fell in
 *       an ingested window, one row per {@code recordData} key ({@link RecordValues#COLUMNS}), plus
 *       {@code record_revision, data_revision} (from the latest revision of the record created at
 *       or before the version's {@code date_modified}, among the revisions bronze holds; recomputed
 *       whenever a run adds or replaces revisions of the record, so the order in which windows are
 *       ingested does not matter), {@code run_id}, {@code loaded_at}. Natural key (study_key,
 *       record_id, date_modified, variable_name).
 *   <li>{@value #RUNS}: one row per study and ingest run: window, mode, rows inserted.
 * </ul>
 *
 * <h2>Silver (derived, rebuilt by {@link #buildSilver})</h2>
 *
 * <ul>
 *   <li>{@value #SILVER}: the latest observed version of each record (greatest {@code
 *       date_modified}), without records whose latest version is deleted and without blank values
 *       (null, or only whitespace).
 *   <li>{@value #AUDIT}: each value that differs between two consecutive observed versions of a
 *       record (a key absent from one version counts as blank), with {@code old_value}, {@code
 *       new_value}, {@code changed_at} (the later version's {@code date_modified}) and {@code
 *       previous_observed_at}; and, from the latest revision of the record created after the
 *       earlier version and at or before the later one, {@code user, role, reason_for_change,
 *       record_revision, data_revision}, with {@code revisions_between} counting those revisions.
 *       Observations are snapshots: two changes of a value between two ingests show as one change
 *       (from the first observed value to the last), and {@code revisions_between} then says how
 *       many revisions lie between them.
 * </ul>
 */
public final class DuckDbHistory {
  public static final String REVISIONS = "bronze_record_revisions";
  public static final String VALUES = "bronze_record_values";
  public static final String RUNS = "bronze_ingest_runs";
  public static final String SILVER = "silver_current_state";
  public static final String AUDIT = "audit_value_changes";

  /** What an ingest does with what the window already holds. */
  public enum Mode {
    /** Insert only rows whose natural key is not there yet: re-ingesting inserts nothing. */
    APPEND,
    /** Remove what bronze holds for the window (of the ingested studies), then insert. */
    REPLACE
  }

  private DuckDbHistory() {}

  /** The rows an ingest inserted, per study. */
  public static final class Inserted {
    public final long revisions;
    public final long values;
    public final long records;

    Inserted(long revisions, long values, long records) {
      this.revisions = revisions;
      this.values = values;
      this.records = records;
    }
  }

  static String revisionsDdl() {
    List<Column> columns =
        new ArrayList<>(ReadStudyMetadataTables.RECORD_REVISIONS.schema("-").columns());
    return createTable(REVISIONS, columns, "run_id VARCHAR NOT NULL, loaded_at TIMESTAMP NOT NULL");
  }

  static String valuesDdl() {
    return createTable(
        VALUES,
        RecordValues.COLUMNS,
        "record_revision BIGINT, data_revision BIGINT, run_id VARCHAR NOT NULL,"
            + " loaded_at TIMESTAMP NOT NULL");
  }

  static String runsDdl() {
    return "CREATE TABLE IF NOT EXISTS "
        + RUNS
        + " (run_id VARCHAR NOT NULL, study_key VARCHAR NOT NULL, window_start DATE NOT NULL,"
        + " window_end DATE NOT NULL, mode VARCHAR NOT NULL, revisions_inserted BIGINT NOT NULL,"
        + " values_inserted BIGINT NOT NULL, records_inserted BIGINT NOT NULL,"
        + " loaded_at TIMESTAMP NOT NULL)";
  }

  private static String createTable(String table, List<Column> columns, String more) {
    return "CREATE TABLE IF NOT EXISTS "
        + table
        + " ("
        + columns.stream()
            .map(c -> quote(c.name()) + " " + sqlType(c))
            .collect(Collectors.joining(", "))
        + ", "
        + more
        + ")";
  }

  private static String sqlType(Column c) {
    switch (c.type()) {
      case STRING:
        return "VARCHAR";
      case LONG:
        return "BIGINT";
      case DOUBLE:
        return "DOUBLE";
      case BOOLEAN:
        return "BOOLEAN";
      case DATE:
        return "DATE";
      case TIMESTAMP:
        return "TIMESTAMP";
      default:
        throw new IllegalArgumentException("no SQL type for " + c);
    }
  }

  /**
   * Loads one run's staged files into bronze, inside the caller's transaction.
   *
   * @param revisionFiles Parquet files of {@code record_revisions} rows
   * @param valueFiles Parquet files of {@code record_values} rows
   */
  static Map<String, Inserted> ingest(
      Statement st,
      List<String> studies,
      DateWindow window,
      Mode mode,
      String runId,
      LocalDateTime loadedAt,
      List<String> revisionFiles,
      List<String> valueFiles)
      throws SQLException {
    st.execute(revisionsDdl());
    st.execute(valuesDdl());
    st.execute(runsDdl());
    String inStudies =
        "study_key IN ("
            + studies.stream().map(DuckDbTableNames::literal).collect(Collectors.joining(", "))
            + ")";
    String from = timestamp(window.from());
    String until = timestamp(window.until());
    String run = literal(runId) + " AS run_id, " + timestamp(loadedAt) + " AS loaded_at";
    // Records whose revision numbers are to be recomputed: those with revisions removed or added.
    st.execute(
        "CREATE OR REPLACE TEMP TABLE _touched_records (study_key VARCHAR, record_id BIGINT)");
    if (mode == Mode.REPLACE) {
      String revisionsInWindow =
          " WHERE " + inStudies + " AND date_created >= " + from + " AND date_created < " + until;
      st.execute(
          "INSERT INTO _touched_records SELECT DISTINCT study_key, record_id FROM "
              + REVISIONS
              + revisionsInWindow);
      st.execute("DELETE FROM " + REVISIONS + revisionsInWindow);
      st.execute(
          "DELETE FROM "
              + VALUES
              + " WHERE "
              + inStudies
              + " AND date_modified >= "
              + from
              + " AND date_modified < "
              + until);
    }
    if (!revisionFiles.isEmpty()) {
      // The list pages by offset, so a revision created while it was read may come twice.
      st.execute(
          "CREATE OR REPLACE TEMP TABLE _new_revisions AS SELECT s.* FROM (SELECT * FROM "
              + readParquet(revisionFiles)
              + " QUALIFY row_number() OVER (PARTITION BY study_key, record_revision_id"
              + " ORDER BY date_created DESC NULLS LAST) = 1) s WHERE NOT EXISTS (SELECT 1 FROM "
              + REVISIONS
              + " b WHERE b.study_key = s.study_key"
              + " AND b.record_revision_id = s.record_revision_id)");
      st.execute("INSERT INTO " + REVISIONS + " BY NAME SELECT *, " + run + " FROM _new_revisions");
      st.execute(
          "INSERT INTO _touched_records SELECT DISTINCT study_key, record_id FROM _new_revisions");
      st.execute("DROP TABLE _new_revisions");
    }
    // Revision numbers of stored versions, from every revision bronze now holds.
    st.execute(
        "UPDATE "
            + VALUES
            + " v SET record_revision = m.record_revision, data_revision = m.data_revision FROM"
            + " (SELECT k.study_key, k.record_id, k.date_modified, r.record_revision,"
            + " r.data_revision FROM (SELECT DISTINCT v2.study_key, v2.record_id,"
            + " v2.date_modified FROM "
            + VALUES
            + " v2 SEMI JOIN _touched_records t ON v2.study_key = t.study_key"
            + " AND v2.record_id = t.record_id) k ASOF LEFT JOIN "
            + revisionOrder()
            + " r ON k.study_key = r.study_key AND k.record_id = r.record_id"
            + " AND k.date_modified >= r.date_created) m"
            + " WHERE v.study_key = m.study_key AND v.record_id = m.record_id"
            + " AND v.date_modified = m.date_modified"
            + " AND (v.record_revision IS DISTINCT FROM m.record_revision"
            + " OR v.data_revision IS DISTINCT FROM m.data_revision)");
    st.execute("DROP TABLE _touched_records");
    if (!valueFiles.isEmpty()) {
      String columns =
          RecordValues.COLUMNS.stream()
              .map(c -> "s." + quote(c.name()))
              .collect(Collectors.joining(", "));
      st.execute(
          "INSERT INTO "
              + VALUES
              + " BY NAME SELECT "
              + columns
              + ", r.record_revision, r.data_revision, "
              + run
              + " FROM (SELECT * FROM "
              + readParquet(valueFiles)
              + " n WHERE NOT EXISTS (SELECT 1 FROM "
              + VALUES
              + " b WHERE b.study_key = n.study_key AND b.record_id = n.record_id"
              + " AND b.date_modified = n.date_modified AND b.variable_name = n.variable_name))"
              + " s ASOF LEFT JOIN "
              + revisionOrder()
              + " r ON s.study_key = r.study_key AND s.record_id = r.record_id"
              + " AND s.date_modified >= r.date_created");
    }
    Map<String, Inserted> inserted = new LinkedHashMap<>();
    for (String study : studies) {
      inserted.put(study, new Inserted(0, 0, 0));
    }
    try (ResultSet rs =
        st.executeQuery(
            "SELECT s.study_key, coalesce(r.n, 0), coalesce(v.n, 0), coalesce(v.records, 0) FROM"
                + " (SELECT unnest(["
                + studies.stream().map(DuckDbTableNames::literal).collect(Collectors.joining(", "))
                + "]) AS study_key) s LEFT JOIN (SELECT study_key, count(*) AS n FROM "
                + REVISIONS
                + " WHERE run_id = "
                + literal(runId)
                + " GROUP BY ALL) r USING (study_key) LEFT JOIN (SELECT study_key, count(*) AS n,"
                + " count(DISTINCT (record_id, date_modified)) AS records FROM "
                + VALUES
                + " WHERE run_id = "
                + literal(runId)
                + " GROUP BY ALL) v USING (study_key)")) {
      while (rs.next()) {
        inserted.put(rs.getString(1), new Inserted(rs.getLong(2), rs.getLong(3), rs.getLong(4)));
      }
    }
    for (Map.Entry<String, Inserted> e : inserted.entrySet()) {
      st.execute(
          "INSERT INTO "
              + RUNS
              + " VALUES ("
              + literal(runId)
              + ", "
              + literal(e.getKey())
              + ", DATE "
              + literal(window.start().toString())
              + ", DATE "
              + literal(window.end().toString())
              + ", "
              + literal(mode.name().toLowerCase(java.util.Locale.ROOT))
              + ", "
              + e.getValue().revisions
              + ", "
              + e.getValue().values
              + ", "
              + e.getValue().records
              + ", "
              + timestamp(loadedAt)
              + ")");
    }
    return inserted;
  }

  /** Bronze revisions with a total order among those created at the same instant. */
  private static String revisionOrder() {
    return "(SELECT study_key, record_id, date_created, record_revision, data_revision FROM "
        + REVISIONS
        + " WHERE date_created IS NOT NULL QUALIFY row_number() OVER (PARTITION BY study_key,"
        + " record_id, date_created ORDER BY record_revision_id DESC) = 1)";
  }

  /**
   * Rebuilds {@value #SILVER} and {@value #AUDIT} from bronze in one transaction: for {@code
   * studies} only (their rows replaced, other studies' kept), or for every study in bronze when
   * {@code studies} is null. Returns the silver row count of those studies.
   *
   * @throws IllegalStateException if the file holds no bronze tables, or a named study has no
   *     bronze rows
   */
  public static long buildSilver(Path dbFile, @Nullable Collection<String> studies)
      throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + dbFile.toAbsolutePath());
        Statement st = c.createStatement()) {
      if (!tableExists(st, VALUES)) {
        throw new IllegalStateException(
            dbFile + " holds no " + VALUES + " table: run ingest-revisions into it first");
      }
      if (studies != null) {
        for (String study : studies) {
          try (ResultSet rs =
              st.executeQuery(
                  "SELECT count(*) FROM " + RUNS + " WHERE study_key = " + literal(study))) {
            rs.next();
            if (rs.getLong(1) == 0) {
              throw new IllegalStateException(
                  "study '" + study + "' was never ingested into " + dbFile);
            }
          }
        }
      }
      String where =
          studies == null
              ? ""
              : " WHERE study_key IN ("
                  + studies.stream()
                      .map(DuckDbTableNames::literal)
                      .collect(Collectors.joining(", "))
                  + ")";
      c.setAutoCommit(false);
      try {
        replace(st, SILVER, silverQuery(where), where);
        replace(st, AUDIT, auditQuery(where), where);
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + SILVER + where)) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static void replace(Statement st, String table, String query, String where)
      throws SQLException {
    if (where.isEmpty() || !tableExists(st, table)) {
      st.execute("CREATE OR REPLACE TABLE " + table + " AS " + query);
    } else {
      st.execute("DELETE FROM " + table + where);
      st.execute("INSERT INTO " + table + " BY NAME " + query);
    }
  }

  static String silverQuery(String where) {
    return "SELECT v.study_key, v.form_key, v.form_id, v.record_id, v.record_oid, v.subject_id,"
        + " v.subject_key, v.site_id, v.interval_id, v.visit_id, v.record_status,"
        + " v.variable_name, v.variable_type, v.value, v.value_long, v.value_double,"
        + " v.value_boolean, v.value_date, v.value_timestamp, v.value_unparseable,"
        + " v.date_created, v.date_modified, v.record_revision, v.data_revision, v.run_id"
        + " FROM (SELECT * FROM "
        + VALUES
        + where
        + ") v SEMI JOIN (SELECT study_key, record_id, max(date_modified) AS date_modified FROM "
        + VALUES
        + where
        + " GROUP BY ALL) latest ON v.study_key = latest.study_key"
        + " AND v.record_id = latest.record_id AND v.date_modified = latest.date_modified"
        + " WHERE NOT coalesce(v.deleted, false) AND trim(coalesce(v.value, '')) <> ''";
  }

  static String auditQuery(String where) {
    String values =
        "(SELECT study_key, record_id, date_modified, variable_name, value FROM "
            + VALUES
            + where
            + ")";
    return "WITH versions AS (SELECT study_key, record_id, date_modified, form_key, subject_key,"
        + " lag(date_modified) OVER (PARTITION BY study_key, record_id ORDER BY date_modified)"
        + " AS previous_observed_at FROM (SELECT DISTINCT study_key, record_id, date_modified,"
        + " form_key, subject_key FROM "
        + VALUES
        + where
        + ")),"
        + " pairs AS (SELECT * FROM versions WHERE previous_observed_at IS NOT NULL),"
        + " cur AS (SELECT p.study_key, p.record_id, p.date_modified, v.variable_name, v.value"
        + " FROM pairs p JOIN "
        + values
        + " v ON v.study_key = p.study_key AND v.record_id = p.record_id"
        + " AND v.date_modified = p.date_modified),"
        + " prev AS (SELECT p.study_key, p.record_id, p.date_modified, v.variable_name, v.value"
        + " FROM pairs p JOIN "
        + values
        + " v ON v.study_key = p.study_key AND v.record_id = p.record_id"
        + " AND v.date_modified = p.previous_observed_at),"
        + " changes AS (SELECT coalesce(c.study_key, q.study_key) AS study_key,"
        + " coalesce(c.record_id, q.record_id) AS record_id,"
        + " coalesce(c.date_modified, q.date_modified) AS changed_at,"
        + " coalesce(c.variable_name, q.variable_name) AS variable_name,"
        + " q.value AS old_value, c.value AS new_value"
        + " FROM cur c FULL OUTER JOIN prev q ON c.study_key = q.study_key"
        + " AND c.record_id = q.record_id AND c.date_modified = q.date_modified"
        + " AND c.variable_name = q.variable_name"
        + " WHERE coalesce(c.value, '') IS DISTINCT FROM coalesce(q.value, '')),"
        + " matched AS (SELECT p.study_key, p.record_id, p.date_modified, r.\"user\", r.role,"
        + " r.reason_for_change, r.record_revision, r.data_revision,"
        + " count(*) OVER (PARTITION BY p.study_key, p.record_id, p.date_modified)"
        + " AS revisions_between FROM pairs p JOIN "
        + REVISIONS
        + " r ON r.study_key = p.study_key AND r.record_id = p.record_id"
        + " AND r.date_created > p.previous_observed_at AND r.date_created <= p.date_modified"
        + " QUALIFY row_number() OVER (PARTITION BY p.study_key, p.record_id, p.date_modified"
        + " ORDER BY r.date_created DESC, r.record_revision_id DESC) = 1)"
        + " SELECT ch.study_key, p.form_key, ch.record_id, p.subject_key, ch.variable_name,"
        + " ch.old_value, ch.new_value, ch.changed_at, p.previous_observed_at, m.\"user\", m.role,"
        + " m.reason_for_change, m.record_revision, m.data_revision,"
        + " coalesce(m.revisions_between, 0) AS revisions_between"
        + " FROM changes ch JOIN pairs p ON p.study_key = ch.study_key"
        + " AND p.record_id = ch.record_id AND p.date_modified = ch.changed_at"
        + " LEFT JOIN matched m ON m.study_key = ch.study_key AND m.record_id = ch.record_id"
        + " AND m.date_modified = ch.changed_at";
  }

  static boolean tableExists(Statement st, String table) throws SQLException {
    try (ResultSet rs =
        st.executeQuery(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
                + " AND table_name = "
                + literal(table))) {
      rs.next();
      return rs.getLong(1) > 0;
    }
  }

  private static String timestamp(LocalDateTime t) {
    return "TIMESTAMP " + literal(t.toString().replace('T', ' '));
  }

  private static String readParquet(List<String> files) {
    return "read_parquet(["
        + files.stream().sorted().map(DuckDbTableNames::literal).collect(Collectors.joining(", "))
        + "], union_by_name = true)";
  }
}
