package org.imednet.export.sinks.duckdb;

import static org.imednet.export.sinks.duckdb.DuckDbTableNames.literal;
import static org.imednet.export.sinks.duckdb.DuckDbTableNames.quote;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import javax.annotation.Nullable;
import org.imednet.export.read.ReadStudyMetadataTables;
import org.imednet.export.rows.TableSchema;
import org.imednet.export.sinks.ledger.LedgerEntry;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.ledger.Shard;
import org.imednet.export.sinks.ledger.TableMarks;
import org.imednet.export.sinks.staging.StagedFile;

/**
 * The export ledger of a DuckDB file: table {@value #TABLE}, one row per study and committed run,
 * written in the same transaction as the rows it describes (so it can never claim rows the file
 * does not hold, nor miss rows it does).
 *
 * <p>Columns: {@code target} (what the run wrote: {@code table:<name>} or {@code by-form}), {@code
 * study_key}, {@code run_id}, {@code mode} ({@code full}, {@code incremental}, or {@code
 * invalidated} when a plain export replaced a table this study shared, so its next incremental run
 * reads it whole), {@code window_from} (the {@code dateModified} lower bound read, null when read
 * whole), {@code window_to} (the exclusive upper bound of a backfill shard), {@code
 * high_water_mark} (the latest {@code date_modified} the target holds for the study), {@code
 * started_at}, {@code committed_at} (UTC), {@code rows_written} and {@code rows_per_form} (JSON
 * object). The latest row of a study and target is its state; older rows are its history.
 */
public final class DuckDbLedger {
  /** The ledger table's name. */
  public static final String TABLE = "imednet_export_ledger";

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private DuckDbLedger() {}

  /** The target name of a single-table or by-form export ({@code singleTable} null). */
  public static String target(@Nullable String singleTable) {
    return singleTable == null ? "by-form" : "table:" + singleTable;
  }

  /**
   * Each study's latest ledger row for {@code target} in {@code db}, read-only; empty if the file
   * or its ledger does not exist yet.
   */
  public static Map<String, LedgerEntry> read(Path db, String target) throws SQLException {
    Map<String, LedgerEntry> out = new TreeMap<>();
    if (!Files.exists(db)) {
      return out;
    }
    Properties readOnly = new Properties();
    readOnly.setProperty("duckdb.read_only", "true");
    try (Connection c =
        DriverManager.getConnection("jdbc:duckdb:" + db.toAbsolutePath(), readOnly)) {
      return exists(c) ? latest(c, target) : out;
    }
  }

  /** The backfill shards the ledger of {@code db} records as committed for {@code target}. */
  public static Set<Shard> finishedShards(Path db, String target) throws SQLException {
    Set<Shard> out = new HashSet<>();
    if (!Files.exists(db)) {
      return out;
    }
    Properties readOnly = new Properties();
    readOnly.setProperty("duckdb.read_only", "true");
    try (Connection c =
        DriverManager.getConnection("jdbc:duckdb:" + db.toAbsolutePath(), readOnly)) {
      if (!exists(c)) {
        return out;
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT study_key, window_from, window_to FROM "
                  + quote(TABLE)
                  + " WHERE target = ? AND mode = 'backfill'")) {
        ps.setString(1, target);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new Shard(rs.getString(1), time(rs, 2), time(rs, 3)));
          }
        }
      }
    }
    return out;
  }

  /**
   * Records {@code run} for {@code target} inside the commit's transaction: one row per study the
   * run wrote, with its rows per form and its new high-water mark ({@code studyMaxModified}: the
   * latest {@code date_modified} among the rows written now; an incremental study keeps the larger
   * of that and its previous mark). A plain export ({@code !run.merge()}) replaced its tables
   * whole, so every other study of the same target is marked {@code invalidated}.
   */
  static void record(
      Statement st,
      String target,
      LedgerRun run,
      Map<String, Map<String, Long>> rowsPerForm,
      Map<String, LocalDateTime> studyMaxModified,
      Map<String, Map<String, LocalDateTime>> tableMarks)
      throws SQLException {
    st.execute(
        "CREATE TABLE IF NOT EXISTS "
            + quote(TABLE)
            + " (target VARCHAR NOT NULL, study_key VARCHAR NOT NULL, run_id VARCHAR NOT NULL,"
            + " mode VARCHAR NOT NULL, window_from TIMESTAMP, window_to TIMESTAMP,"
            + " high_water_mark TIMESTAMP,"
            + " started_at TIMESTAMP NOT NULL, committed_at TIMESTAMP NOT NULL,"
            + " rows_written BIGINT NOT NULL, rows_per_form VARCHAR NOT NULL,"
            + " table_marks VARCHAR)");
    Map<String, LedgerEntry> previous = latest(st.getConnection(), target);
    LocalDateTime now = LocalDateTime.now(ZoneOffset.UTC);
    try (PreparedStatement ps =
        st.getConnection()
            .prepareStatement(
                "INSERT INTO " + quote(TABLE) + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (Map.Entry<String, Map<String, Long>> study : rowsPerForm.entrySet()) {
        String key = study.getKey();
        LocalDateTime windowFrom = run.windowFrom(key);
        LedgerEntry before = previous.get(key);
        LocalDateTime mark =
            LedgerEntry.markAfter(before, windowFrom != null, studyMaxModified.get(key));
        long total = study.getValue().values().stream().mapToLong(Long::longValue).sum();
        Map<String, LocalDateTime> marks =
            TableMarks.after(before, windowFrom != null, tableMarks.getOrDefault(key, Map.of()));
        add(
            ps,
            target,
            key,
            run,
            run.mode(key),
            windowFrom,
            mark,
            now,
            total,
            study.getValue(),
            marks);
      }
      if (!run.merge()) {
        for (LedgerEntry other : previous.values()) {
          if (!rowsPerForm.containsKey(other.studyKey()) && !other.invalidated()) {
            add(
                ps,
                target,
                other.studyKey(),
                run,
                "invalidated",
                null,
                null,
                now,
                0,
                Map.of(),
                Map.of());
          }
        }
      }
      ps.executeBatch();
    }
  }

  private static void add(
      PreparedStatement ps,
      String target,
      String study,
      LedgerRun run,
      String mode,
      @Nullable LocalDateTime windowFrom,
      @Nullable LocalDateTime mark,
      LocalDateTime now,
      long total,
      Map<String, Long> perForm,
      Map<String, LocalDateTime> marks)
      throws SQLException {
    ps.setString(1, target);
    ps.setString(2, study);
    ps.setString(3, run.runId());
    ps.setString(4, mode);
    ps.setObject(5, windowFrom == null ? null : Timestamp.valueOf(windowFrom));
    ps.setObject(
        6, windowFrom == null || run.until() == null ? null : Timestamp.valueOf(run.until()));
    ps.setObject(7, mark == null ? null : Timestamp.valueOf(mark));
    ps.setObject(8, Timestamp.valueOf(run.startedAt()));
    ps.setObject(9, Timestamp.valueOf(now));
    ps.setLong(10, total);
    try {
      ps.setString(11, MAPPER.writeValueAsString(new LinkedHashMap<>(perForm)));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    ps.setString(12, TableMarks.toJson(marks));
    ps.addBatch();
  }

  private static Map<String, LedgerEntry> latest(Connection c, String target) throws SQLException {
    Map<String, LedgerEntry> out = new TreeMap<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT study_key, run_id, mode, window_from, high_water_mark, started_at,"
                    + " committed_at, table_marks FROM "
                    + quote(TABLE)
                    + " WHERE target = "
                    + literal(target)
                    + " QUALIFY row_number() OVER (PARTITION BY study_key"
                    + " ORDER BY committed_at DESC, run_id DESC) = 1")) {
      while (rs.next()) {
        String mode = rs.getString(3);
        out.put(
            rs.getString(1),
            new LedgerEntry(
                rs.getString(1),
                rs.getString(2),
                mode,
                time(rs, 4),
                time(rs, 5),
                time(rs, 6),
                time(rs, 7),
                "invalidated".equals(mode),
                TableMarks.fromJson(rs.getString(8))));
      }
    }
    return out;
  }

  /**
   * The latest value of {@code column} per study among the rows of {@code files} (staged Parquet,
   * read by name); studies without a non-null value are absent.
   */
  public static Map<String, LocalDateTime> maxPerStudy(
      Statement st, Collection<StagedFile> files, String column) throws SQLException {
    Map<String, List<String>> byStudy = new TreeMap<>();
    for (StagedFile f : files) {
      if (f.rowCount() > 0) {
        byStudy.computeIfAbsent(f.studyKey(), k -> new ArrayList<>()).add(f.path());
      }
    }
    Map<String, LocalDateTime> out = new TreeMap<>();
    for (Map.Entry<String, List<String>> study : byStudy.entrySet()) {
      String source =
          study.getValue().stream()
              .map(DuckDbTableNames::literal)
              .collect(Collectors.joining(", ", "read_parquet([", "], union_by_name = true)"));
      try (ResultSet rs = st.executeQuery("SELECT max(" + quote(column) + ") FROM " + source)) {
        rs.next();
        LocalDateTime t = time(rs, 1);
        if (t != null) {
          out.put(study.getKey(), t);
        }
      }
    }
    return out;
  }

  /**
   * The high-water marks of the form rows ({@code date_modified}) and of the windowed metadata
   * tables ({@link ReadStudyMetadataTables#windowColumn}) among {@code staged}, per study: {@code
   * forms} gets the former, {@code tables} (study to table key to mark) the latter.
   */
  public static void marks(
      Statement st,
      Collection<StagedFile> staged,
      Map<String, LocalDateTime> forms,
      Map<String, Map<String, LocalDateTime>> tables)
      throws SQLException {
    List<StagedFile> formFiles = new ArrayList<>();
    Map<String, List<StagedFile>> windowed = new TreeMap<>();
    for (StagedFile f : staged) {
      if (f.kind() == TableSchema.Kind.FORM) {
        formFiles.add(f);
      } else if (ReadStudyMetadataTables.windowColumn(f.tableKey()) != null) {
        windowed.computeIfAbsent(f.tableKey(), k -> new ArrayList<>()).add(f);
      }
    }
    forms.putAll(maxPerStudy(st, formFiles, "date_modified"));
    for (Map.Entry<String, List<StagedFile>> t : windowed.entrySet()) {
      String column = ReadStudyMetadataTables.windowColumn(t.getKey());
      maxPerStudy(st, t.getValue(), column)
          .forEach(
              (study, mark) ->
                  tables.computeIfAbsent(study, k -> new TreeMap<>()).put(t.getKey(), mark));
    }
  }

  private static boolean exists(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema ="
                    + " current_schema() AND table_name = "
                    + literal(TABLE))) {
      rs.next();
      return rs.getLong(1) > 0;
    }
  }

  private static @Nullable LocalDateTime time(ResultSet rs, int column) throws SQLException {
    Timestamp t = rs.getTimestamp(column);
    return t == null ? null : t.toLocalDateTime();
  }
}
