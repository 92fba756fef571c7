package org.imednet.export.sinks.snowflake;

import static org.imednet.export.sinks.snowflake.SnowflakeSql.literal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.annotation.Nullable;
import org.imednet.export.read.ReadStudyMetadataTables;
import org.imednet.export.sinks.ledger.HighWaterMarks;
import org.imednet.export.sinks.ledger.LedgerEntry;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.ledger.LockHolder;
import org.imednet.export.sinks.ledger.Shard;
import org.imednet.export.sinks.ledger.TableMarks;
import org.imednet.export.sinks.ledger.TargetLockedException;

/**
 * The export ledger and run lock of a Snowflake schema.
 *
 * <p>Ledger: table {@value #TABLE}, one row per study and committed run, written after every batch
 * of the run is loaded (so a run that fails writes none, and its next run repeats its window).
 * Columns as in the DuckDB ledger ({@code TARGET, STUDY_KEY, RUN_ID, MODE, WINDOW_FROM, WINDOW_TO,
 * HIGH_WATER_MARK, STARTED_AT, COMMITTED_AT, ROWS_WRITTEN, ROWS_PER_FORM}); times are UTC text
 * {@code YYYY-MM-DD HH:MM:SS.ffffff}, which sorts as time and casts with {@code ::TIMESTAMP_NTZ}.
 * {@code ROWS_WRITTEN} counts the rows of the run's form batches, loaded now or found already
 * loaded by the manifest.
 *
 * <p>Lock: table {@value #LOCK_TABLE}, created with its one row by {@code CREATE TABLE … AS SELECT}
 * (which fails if it exists, so two runs cannot both take it) and dropped when the run ends. A
 * second run is refused naming the holder; a lock of a dead process of this host is taken over.
 */
public final class SnowflakeLedger {
  public static final String TABLE = "IMEDNET_EXPORT_LEDGER";
  public static final String LOCK_TABLE = "IMEDNET_EXPORT_LOCK";

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

  private SnowflakeLedger() {}

  /** The target name of a per-form ({@code singleTable} null) or single-table load. */
  public static String target(@Nullable String singleTable) {
    return singleTable == null ? "per-study-form" : "table:" + singleTable;
  }

  /** Each study's latest ledger row for {@code target}; empty if there is no ledger yet. */
  public static Map<String, LedgerEntry> read(SnowflakeSettings settings, String target) {
    try (Connection c = settings.connect()) {
      return latest(c, settings, target);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "Reading " + TABLE + " failed: " + settings.redact(e.getMessage()),
          settings.redactedCopy(e));
    }
  }

  /** The backfill shards the ledger records as committed for {@code target}. */
  public static Set<Shard> finishedShards(SnowflakeSettings settings, String target) {
    Set<Shard> out = new HashSet<>();
    try (Connection c = settings.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT STUDY_KEY, WINDOW_FROM, WINDOW_TO FROM "
                    + qualified(settings, TABLE)
                    + " WHERE TARGET = "
                    + literal(target)
                    + " AND MODE = 'backfill'")) {
      while (rs.next()) {
        out.add(new Shard(rs.getString(1), parse(rs.getString(2)), parse(rs.getString(3))));
      }
    } catch (SQLException e) {
      if (!mentions(e, "does not exist")) {
        throw new IllegalStateException(
            "Reading " + TABLE + " failed: " + settings.redact(e.getMessage()),
            settings.redactedCopy(e));
      }
    }
    return out;
  }

  /** Takes the schema's run lock for {@code runId}; closing the result releases it. */
  public static AutoCloseable lock(SnowflakeSettings settings, String runId) {
    return lock(settings, runId, null);
  }

  /**
   * As {@link #lock(SnowflakeSettings, String)}, taking over a lock older than {@code staleAfter}.
   */
  public static AutoCloseable lock(
      SnowflakeSettings settings, String runId, @Nullable java.time.Duration staleAfter) {
    Connection c = settings.connect();
    String table = qualified(settings, LOCK_TABLE);
    LockHolder me = LockHolder.current(runId);
    try {
      for (int attempt = 0; attempt < 3; attempt++) {
        try (Statement st = c.createStatement()) {
          st.execute(
              "CREATE TABLE "
                  + table
                  + " AS SELECT "
                  + literal(me.runId())
                  + " AS RUN_ID, "
                  + literal(me.pid())
                  + " AS PID, "
                  + literal(me.host())
                  + " AS HOST, "
                  + literal(me.started())
                  + " AS STARTED");
          return () -> {
            try (Connection conn = c;
                Statement drop = conn.createStatement()) {
              drop.execute("DROP TABLE IF EXISTS " + table);
            }
          };
        } catch (SQLException e) {
          if (!mentions(e, "already exists")) {
            throw e;
          }
        }
        LockHolder holder = holder(c, table);
        if (holder != null && !holder.isStale(staleAfter)) {
          throw new TargetLockedException(
              holder.refusal(settings.database() + "." + settings.schema(), "DROP TABLE " + table));
        }
        try (Statement st = c.createStatement()) {
          st.execute("DROP TABLE IF EXISTS " + table);
        }
      }
      throw new TargetLockedException("could not take the lock " + table);
    } catch (SQLException | RuntimeException e) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // the failure below is the one to report
      }
      if (e instanceof RuntimeException) {
        throw (RuntimeException) e;
      }
      throw new IllegalStateException(
          "Taking the lock " + table + " failed: " + settings.redact(e.getMessage()),
          settings.redactedCopy((SQLException) e));
    }
  }

  private static @Nullable LockHolder holder(Connection c, String table) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT RUN_ID, PID, HOST, STARTED FROM " + table)) {
      if (!rs.next()) {
        return null;
      }
      return new LockHolder(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4));
    } catch (SQLException e) {
      if (mentions(e, "does not exist")) {
        return null; // released meanwhile
      }
      throw e;
    }
  }

  /**
   * Records the run: one row per study of {@code results}' form tables with its rows per form, and
   * the high-water mark {@code marks} gives (microseconds, UTC; an incremental study keeps the
   * larger of it and its previous mark).
   */
  static void record(
      Connection c,
      SnowflakeSettings settings,
      String target,
      LedgerRun run,
      List<LoadResult> results,
      Map<String, Long> marks)
      throws SQLException {
    Map<String, Map<String, Long>> rowsPerForm = new TreeMap<>();
    for (LoadResult r : results) {
      if (isFormTable(r)) {
        rowsPerForm
            .computeIfAbsent(r.studyKey(), k -> new TreeMap<>())
            .merge(r.tableKey(), r.batchRows(), Long::sum);
      }
    }
    for (String study : run.studies()) {
      rowsPerForm.computeIfAbsent(study, k -> new TreeMap<>());
    }
    String table = qualified(settings, TABLE);
    try (Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE IF NOT EXISTS "
              + table
              + " (TARGET VARCHAR, STUDY_KEY VARCHAR, RUN_ID VARCHAR, MODE VARCHAR,"
              + " WINDOW_FROM VARCHAR, WINDOW_TO VARCHAR, HIGH_WATER_MARK VARCHAR, STARTED_AT VARCHAR,"
              + " COMMITTED_AT VARCHAR, ROWS_WRITTEN NUMBER(38,0), ROWS_PER_FORM VARCHAR,"
              + " TABLE_MARKS VARCHAR)");
      Map<String, LedgerEntry> previous = latest(c, settings, target);
      String now = TIME.format(LocalDateTime.now(ZoneOffset.UTC));
      List<String> values = new ArrayList<>();
      for (Map.Entry<String, Map<String, Long>> study : rowsPerForm.entrySet()) {
        String key = study.getKey();
        LocalDateTime windowFrom = run.windowFrom(key);
        LedgerEntry before = previous.get(key);
        LocalDateTime mark =
            LedgerEntry.markAfter(
                before, windowFrom != null, HighWaterMarks.toTime(marks.get(key)));
        long total = study.getValue().values().stream().mapToLong(Long::longValue).sum();
        Map<String, LocalDateTime> nowMarks = new TreeMap<>();
        for (String windowed : ReadStudyMetadataTables.windowedTables()) {
          LocalDateTime t =
              HighWaterMarks.toTime(marks.get(HighWaterMarks.tableKey(key, windowed)));
          if (t != null) {
            nowMarks.put(windowed, t);
          }
        }
        String tableMarks =
            TableMarks.toJson(TableMarks.after(before, windowFrom != null, nowMarks));
        values.add(
            "("
                + String.join(
                    ", ",
                    literal(target),
                    literal(key),
                    literal(run.runId()),
                    literal(run.mode(key)),
                    time(windowFrom),
                    time(windowFrom == null ? null : run.until()),
                    time(mark),
                    time(run.startedAt()),
                    literal(now),
                    Long.toString(total),
                    literal(json(study.getValue())),
                    literal(tableMarks))
                + ")");
      }
      if (!values.isEmpty()) {
        st.execute("INSERT INTO " + table + " VALUES " + String.join(", ", values));
      }
    }
  }

  private static Map<String, LedgerEntry> latest(
      Connection c, SnowflakeSettings settings, String target) throws SQLException {
    Map<String, LedgerEntry> out = new TreeMap<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT STUDY_KEY, RUN_ID, MODE, WINDOW_FROM, HIGH_WATER_MARK, STARTED_AT,"
                    + " COMMITTED_AT, TABLE_MARKS FROM "
                    + qualified(settings, TABLE)
                    + " WHERE TARGET = "
                    + literal(target))) {
      while (rs.next()) {
        LedgerEntry e =
            new LedgerEntry(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                parse(rs.getString(4)),
                parse(rs.getString(5)),
                parse(rs.getString(6)),
                parse(rs.getString(7)),
                "invalidated".equals(rs.getString(3)),
                TableMarks.fromJson(rs.getString(8)));
        LedgerEntry.keepLatest(out, e);
      }
    } catch (SQLException e) {
      if (mentions(e, "does not exist")) {
        return out;
      }
      throw e;
    }
    return out;
  }

  /** Whether a result is of a form table (metadata tables are {@code <STUDY>_META_<RESOURCE>}). */
  static boolean isFormTable(LoadResult r) {
    String metadataTable =
        TableNames.sanitize(r.studyKey()) + "_META_" + TableNames.sanitize(r.tableKey());
    return !r.targetTable().endsWith("." + SnowflakeSql.identifier(metadataTable));
  }

  private static String qualified(SnowflakeSettings settings, String table) {
    return SnowflakeSql.qualifiedTable(settings.database(), settings.schema(), table);
  }

  private static String time(@Nullable LocalDateTime t) {
    return t == null ? "NULL" : literal(TIME.format(t));
  }

  private static @Nullable LocalDateTime parse(@Nullable String text) {
    if (text == null) {
      return null;
    }
    return LocalDateTime.parse(text.strip().replace(' ', 'T'));
  }

  private static String json(Map<String, Long> rows) {
    try {
      return MAPPER.writeValueAsString(rows);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean mentions(SQLException e, String words) {
    String m = e.getMessage();
    return m != null && m.toLowerCase(Locale.ROOT).contains(words);
  }
}
