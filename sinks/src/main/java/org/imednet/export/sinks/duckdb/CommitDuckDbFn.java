package org.imednet.export.sinks.duckdb;

import static org.imednet.export.sinks.duckdb.DuckDbTableNames.quote;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.annotation.Nullable;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.metrics.ExportMetrics.Metric;
import org.imednet.export.read.ReadStudyMetadataTables;
import org.imednet.export.rows.TableSchema;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.staging.StagedFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads every staged file of a run into the DuckDB file in one transaction. Runs once per run: its
 * input is a GroupByKey on a single key, so on Flink or Dataflow it executes on one worker, which
 * must see the staging folder and the DuckDB file (a local or shared file system).
 *
 * <p>The connection is opened here rather than in {@code @Setup}: DuckDB allows one writer per
 * file, and holding the file for the lifetime of a worker would lock out every other process.
 */
final class CommitDuckDbFn extends DoFn<KV<Integer, Iterable<StagedFile>>, String> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(CommitDuckDbFn.class);

  private final String dbFile;
  private final String runDir;
  private final @Nullable String singleTable;
  private final String memoryLimit;
  private final @Nullable LedgerRun ledger;

  CommitDuckDbFn(
      String dbFile,
      String runDir,
      @Nullable String singleTable,
      String memoryLimit,
      @Nullable LedgerRun ledger) {
    this.dbFile = dbFile;
    this.runDir = runDir;
    this.singleTable = singleTable;
    this.memoryLimit = memoryLimit;
    this.ledger = ledger;
  }

  @ProcessElement
  public void processElement(
      @Element KV<Integer, Iterable<StagedFile>> staged, OutputReceiver<String> out)
      throws IOException, SQLException {
    // table name -> files, in a stable order; metadata tables also remember their studies.
    Map<String, List<StagedFile>> dataTables = new TreeMap<>();
    Map<String, List<StagedFile>> metadataTables = new TreeMap<>();
    SortedSet<String> formKeys = new TreeSet<>();
    List<StagedFile> formFiles = new ArrayList<>();
    List<StagedFile> allFiles = new ArrayList<>();
    for (StagedFile f : staged.getValue()) {
      allFiles.add(f);
      if (f.kind() == TableSchema.Kind.FORM) {
        formKeys.add(f.tableKey());
        formFiles.add(f);
      } else {
        metadataTables
            .computeIfAbsent(DuckDbTableNames.metadataTable(f.tableKey()), k -> new ArrayList<>())
            .add(f);
      }
    }
    Map<String, String> formTables =
        singleTable == null
            ? DuckDbTableNames.formTables(formKeys, metadataTables.keySet())
            : Map.of();
    for (StagedFile f : formFiles) {
      String table = singleTable != null ? singleTable : formTables.get(f.tableKey());
      dataTables.computeIfAbsent(table, k -> new ArrayList<>()).add(f);
    }

    Path db = Path.of(dbFile);
    DuckDbCommit.inOneTransaction(
        db,
        Path.of(runDir),
        memoryLimit,
        st -> {
          for (Map.Entry<String, List<StagedFile>> t : dataTables.entrySet()) {
            if (ledger != null && ledger.merge()) {
              merge(st, t.getKey(), t.getValue(), "record_id", s -> ledger.windowFrom(s) == null);
            } else {
              st.execute(
                  "CREATE OR REPLACE TABLE "
                      + quote(t.getKey())
                      + " AS SELECT * FROM "
                      + readParquet(t.getValue()));
            }
          }
          for (Map.Entry<String, List<StagedFile>> t : metadataTables.entrySet()) {
            if (ledger != null && ledger.merge()) {
              // Windowed tables (subjects, visits, revisions) of windowed studies hold only the
              // items of the window: upserted by their id. Other tables replace the study's rows.
              String key = ReadStudyMetadataTables.windowKey(t.getValue().get(0).tableKey());
              merge(
                  st,
                  t.getKey(),
                  t.getValue(),
                  key,
                  s -> key == null || ledger.windowFrom(s) == null);
            } else {
              replaceStudies(st.getConnection(), st, t.getKey(), t.getValue());
            }
          }
          if (ledger != null) {
            recordInLedger(st, allFiles, ledger);
          }
          return null;
        });

    for (StagedFile f : formFiles) {
      ExportMetrics.counter(Metric.ROWS_WRITTEN_DUCKDB, f.studyKey(), f.tableKey())
          .inc(f.rowCount());
    }
    LOG.info(
        "Loaded {} data and {} metadata tables into {}",
        dataTables.size(),
        metadataTables.size(),
        db);
    dataTables.keySet().forEach(out::output);
    metadataTables.keySet().forEach(out::output);
  }

  /**
   * Upserts the staged rows into {@code table}: studies {@code readWhole} replace all their rows,
   * the others replace the rows of the same {@code (study_key, key)}; columns the table lacks are
   * added first (a variable added to the study since the table was created).
   */
  private static void merge(
      Statement st,
      String table,
      List<StagedFile> files,
      @Nullable String key,
      java.util.function.Predicate<String> readWhole)
      throws SQLException {
    String source = readParquet(files);
    if (!tableExists(st.getConnection(), table)) {
      st.execute("CREATE TABLE " + quote(table) + " AS SELECT * FROM " + source);
      return;
    }
    Set<String> existing = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    try (ResultSet rs = st.executeQuery("DESCRIBE " + quote(table))) {
      while (rs.next()) {
        existing.add(rs.getString(1));
      }
    }
    List<String[]> added = new ArrayList<>();
    try (ResultSet rs = st.executeQuery("DESCRIBE SELECT * FROM " + source)) {
      while (rs.next()) {
        if (!existing.contains(rs.getString(1))) {
          added.add(new String[] {rs.getString(1), rs.getString(2)});
        }
      }
    }
    for (String[] column : added) {
      st.execute(
          "ALTER TABLE " + quote(table) + " ADD COLUMN " + quote(column[0]) + " " + column[1]);
    }
    String wholeStudies =
        files.stream()
            .map(StagedFile::studyKey)
            .filter(readWhole)
            .distinct()
            .sorted()
            .map(DuckDbTableNames::literal)
            .collect(Collectors.joining(", "));
    if (!wholeStudies.isEmpty()) {
      st.execute("DELETE FROM " + quote(table) + " WHERE study_key IN (" + wholeStudies + ")");
    }
    if (key != null) {
      st.execute(
          "DELETE FROM "
              + quote(table)
              + " AS t USING (SELECT DISTINCT study_key, "
              + quote(key)
              + " FROM "
              + source
              + ") AS s WHERE t.study_key = s.study_key AND t."
              + quote(key)
              + " = s."
              + quote(key));
    }
    st.execute("INSERT INTO " + quote(table) + " BY NAME SELECT * FROM " + source);
  }

  /** Adds this run's rows to the file's export ledger, in the commit's transaction. */
  private void recordInLedger(Statement st, List<StagedFile> staged, LedgerRun run)
      throws SQLException {
    Map<String, Map<String, Long>> rowsPerForm = new TreeMap<>();
    for (StagedFile f : staged) {
      if (f.kind() == TableSchema.Kind.FORM) {
        rowsPerForm
            .computeIfAbsent(f.studyKey(), k -> new TreeMap<>())
            .merge(f.tableKey(), f.rowCount(), Long::sum);
      }
    }
    for (String study : run.studies()) {
      rowsPerForm.computeIfAbsent(study, k -> new TreeMap<>());
    }
    Map<String, java.time.LocalDateTime> formMarks = new TreeMap<>();
    Map<String, Map<String, java.time.LocalDateTime>> tableMarks = new TreeMap<>();
    DuckDbLedger.marks(st, staged, formMarks, tableMarks);
    DuckDbLedger.record(
        st, DuckDbLedger.target(singleTable), run, rowsPerForm, formMarks, tableMarks);
  }

  /** Replaces the rows of the exported studies in a metadata table, keeping other studies'. */
  private static void replaceStudies(
      Connection connection, Statement st, String table, List<StagedFile> files)
      throws SQLException {
    if (!tableExists(connection, table)) {
      st.execute("CREATE TABLE " + quote(table) + " AS SELECT * FROM " + readParquet(files));
      return;
    }
    String studies =
        files.stream()
            .map(StagedFile::studyKey)
            .distinct()
            .sorted()
            .map(DuckDbTableNames::literal)
            .collect(Collectors.joining(", "));
    // Rebuilt rather than DELETE + INSERT so that new columns of this export are added too.
    st.execute(
        "CREATE OR REPLACE TABLE "
            + quote(table)
            + " AS SELECT * FROM "
            + quote(table)
            + " WHERE study_key NOT IN ("
            + studies
            + ") UNION ALL BY NAME SELECT * FROM "
            + readParquet(files));
  }

  private static boolean tableExists(Connection connection, String table) throws SQLException {
    try (java.sql.PreparedStatement ps =
        connection.prepareStatement(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
                + " AND lower(table_name) = lower(?)")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1) > 0;
      }
    }
  }

  /**
   * The first file decides the column order of a {@code union_by_name} read, and staged file names
   * carry per-run writer ids: ordering by study and table key first makes a table's columns come in
   * the same order every run (forms in key order, each adding the columns the earlier ones lack).
   */
  private static final Comparator<StagedFile> STABLE_ORDER =
      Comparator.comparing(StagedFile::studyKey)
          .thenComparing(StagedFile::tableKey)
          .thenComparing(StagedFile::path);

  private static String readParquet(List<StagedFile> files) {
    return "read_parquet(["
        + files.stream()
            .sorted(STABLE_ORDER)
            .map(StagedFile::path)
            .map(DuckDbTableNames::literal)
            .collect(Collectors.joining(", "))
        + "], union_by_name = true)";
  }
}
