package org.imednet.export.sinks.duckdb;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.TableSchema;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.staging.CollectStagedFiles;
import org.imednet.export.sinks.staging.StagedFile;
import org.imednet.export.sinks.staging.WriteStagedParquetFn;

/**
 * Writes {@link RowBatch}es into one DuckDB database file, replacing the tables it writes in a
 * single transaction.
 *
 * <pre>{@code
 * rows.apply(WriteDuckDbFile.to(Paths.get("out/clinical.duckdb")).singleTable("study_records"));
 * rows.apply(WriteDuckDbFile.to(Paths.get("out/by_form.duckdb")).byForm());
 * }</pre>
 *
 * <h2>Tables</h2>
 *
 * <ul>
 *   <li>{@link #singleTable(String)}: all form rows in one table, the union by column name of every
 *       form's columns ({@code study_key, form_key} first, a column missing from a form is null).
 *   <li>{@link #byForm()}: one table per form key, holding that form's rows of every exported
 *       study; naming (including keys that differ only by case) is described in {@link
 *       DuckDbTableNames}.
 *   <li>With {@link #withMetadataTables(boolean) metadata tables} (the default), each metadata
 *       resource goes to {@code imednet_<resource>}: {@code imednet_forms}, {@code
 *       imednet_variables}, {@code imednet_sites}, …, and {@code imednet_columns} (the column-name
 *       mapping).
 * </ul>
 *
 * Column types are exact (see {@link org.imednet.export.sinks.staging.ParquetSchemas}); a TIMESTAMP
 * column is a DuckDB {@code TIMESTAMP} holding UTC wall-clock time.
 *
 * <h2>Guarantees</h2>
 *
 * DuckDB allows one writer per file, so rows are first staged as Parquet in parallel (per bundle,
 * bounded memory; see {@link WriteStagedParquetFn}) under {@code .<file>.staging/<runId>/} beside
 * the database file, and then a single commit step (one DoFn invocation after a GroupByKey on one
 * key, on one worker) loads them with bulk SQL ({@code CREATE OR REPLACE TABLE … AS SELECT * FROM
 * read_parquet([…], union_by_name = true)}) in ONE transaction. DuckDB's memory is capped ({@link
 * #withMemoryLimit}) and spills to the staging folder.
 *
 * <ul>
 *   <li>Re-running replaces the data tables it writes entirely, and in each metadata table only the
 *       rows of the studies it exports; other tables in the file are untouched.
 *   <li>A run that fails before or during the commit leaves the file exactly as it was (the
 *       transaction is rolled back); its staged files stay under the staging folder. A successful
 *       run removes its staging folder. The file's parent folder is created.
 *   <li>{@code rowsWrittenDuckDb} counts the committed rows per study and form; the output lists
 *       the tables written.
 * </ul>
 */
public final class WriteDuckDbFile extends PTransform<PCollection<RowBatch>, PCollection<String>> {
  private static final long serialVersionUID = 1L;
  private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
  private static final Pattern MEMORY = Pattern.compile("[0-9]+(\\.[0-9]+)?\\s*[KMGT]i?B");

  private final String dbFile;
  private final @Nullable String singleTable;
  private final boolean byForm;
  private final boolean metadataTables;
  private final @Nullable String runId;
  private final String memoryLimit;
  private final @Nullable LedgerRun ledger;
  // Like Wait.OnSignal: pipeline-construction-time references, never serialized.
  private final transient List<PCollection<?>> commitAfter;

  private WriteDuckDbFile(
      String dbFile,
      @Nullable String singleTable,
      boolean byForm,
      boolean metadataTables,
      @Nullable String runId,
      String memoryLimit,
      @Nullable LedgerRun ledger,
      List<PCollection<?>> commitAfter) {
    this.commitAfter = commitAfter;
    this.ledger = ledger;
    this.dbFile = dbFile;
    this.singleTable = singleTable;
    this.byForm = byForm;
    this.metadataTables = metadataTables;
    this.runId = runId;
    this.memoryLimit = memoryLimit;
  }

  /** Writes into {@code dbFile}, created (with its parent folders) if missing. */
  public static WriteDuckDbFile to(Path dbFile) {
    checkArgumentNotNull(dbFile, "dbFile");
    Path file = dbFile.toAbsolutePath().normalize();
    if (file.getParent() == null) {
      throw new IllegalArgumentException("dbFile must be a file, was " + dbFile);
    }
    return new WriteDuckDbFile(file.toString(), null, false, true, null, "1GB", null, List.of());
  }

  /** All forms in one table of this name (not starting with {@code imednet_}). */
  public WriteDuckDbFile singleTable(String table) {
    checkArgumentNotNull(table, "table");
    if (table.isBlank() || table.toLowerCase(java.util.Locale.ROOT).startsWith("imednet_")) {
      throw new IllegalArgumentException(
          "singleTable name must not be blank nor start with imednet_ (kept for metadata tables),"
              + " was '"
              + table
              + "'");
    }
    return new WriteDuckDbFile(
        dbFile, table, false, metadataTables, runId, memoryLimit, ledger, commitAfter);
  }

  /** One table per form key. */
  public WriteDuckDbFile byForm() {
    return new WriteDuckDbFile(
        dbFile, null, true, metadataTables, runId, memoryLimit, ledger, commitAfter);
  }

  /** Whether metadata tables ({@code imednet_*}) are written; default true. */
  public WriteDuckDbFile withMetadataTables(boolean enabled) {
    return new WriteDuckDbFile(
        dbFile, singleTable, byForm, enabled, runId, memoryLimit, ledger, commitAfter);
  }

  /** Names this run's staging folder; default a fresh timestamp-UUID id. Same rules as the lake. */
  public WriteDuckDbFile withRunId(String runId) {
    checkArgumentNotNull(runId, "runId");
    if (!RUN_ID.matcher(runId).matches()) {
      throw new IllegalArgumentException(
          "runId must be 1..100 of [A-Za-z0-9._-] starting with a letter or digit, was " + runId);
    }
    return new WriteDuckDbFile(
        dbFile, singleTable, byForm, metadataTables, runId, memoryLimit, ledger, commitAfter);
  }

  /** DuckDB's memory limit during the load, such as {@code 512MB} or {@code 2GB}; default 1GB. */
  public WriteDuckDbFile withMemoryLimit(String limit) {
    checkArgumentNotNull(limit, "limit");
    if (!MEMORY.matcher(limit).matches()) {
      throw new IllegalArgumentException(
          "memoryLimit must be a number and a unit (KB, MB, GB, TB, or KiB…), was " + limit);
    }
    return new WriteDuckDbFile(
        dbFile, singleTable, byForm, metadataTables, runId, limit, ledger, commitAfter);
  }

  /**
   * Loads only after {@code signal} is complete; if computing it fails, nothing is loaded and the
   * file stays as it was. Default: no gate.
   */
  public WriteDuckDbFile withCommitAfter(PCollection<?> signal) {
    checkArgumentNotNull(signal, "signal");
    List<PCollection<?>> gates = new java.util.ArrayList<>(commitAfter);
    gates.add(signal);
    return new WriteDuckDbFile(
        dbFile,
        singleTable,
        byForm,
        metadataTables,
        runId,
        memoryLimit,
        ledger,
        List.copyOf(gates));
  }

  /**
   * Records the run in the file's export ledger ({@link DuckDbLedger}), in the commit's
   * transaction; with {@link LedgerRun#merge()} the data tables are upserted by {@code (study_key,
   * record_id)} instead of replaced (an incremental export). Default: no ledger, tables replaced.
   */
  public WriteDuckDbFile withLedger(LedgerRun run) {
    checkArgumentNotNull(run, "run");
    return new WriteDuckDbFile(
        dbFile, singleTable, byForm, metadataTables, runId, memoryLimit, run, commitAfter);
  }

  @Override
  public PCollection<String> expand(PCollection<RowBatch> rows) {
    if (singleTable == null && !byForm) {
      throw new IllegalArgumentException("WriteDuckDbFile needs singleTable(name) or byForm()");
    }
    Path db = Path.of(dbFile);
    String run = runId != null ? runId : ledger != null ? ledger.runId() : LedgerRun.newRunId();
    Path runDir = db.resolveSibling("." + db.getFileName() + ".staging").resolve(run);
    String files = runDir.resolve("files").toString();

    PCollection<RowBatch> selected =
        metadataTables
            ? rows
            : rows.apply(
                "FormsOnly", Filter.by((RowBatch b) -> b.schema().kind() == TableSchema.Kind.FORM));
    PCollection<KV<Integer, Iterable<StagedFile>>> collected =
        selected
            .apply("StageParquet", ParDo.of(new WriteStagedParquetFn(files, files)))
            .setCoder(SerializableCoder.of(StagedFile.class))
            .apply("CollectStagedFiles", CollectStagedFiles.create());
    if (!commitAfter.isEmpty()) {
      collected = collected.apply("WaitForCommitGate", Wait.on(commitAfter));
    }
    return collected
        .apply(
            "LoadInOneTransaction",
            ParDo.of(
                new CommitDuckDbFn(dbFile, runDir.toString(), singleTable, memoryLimit, ledger)))
        .setCoder(StringUtf8Coder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("dbFile", dbFile))
        .add(DisplayData.item("mode", singleTable != null ? "singleTable" : "byForm"))
        .addIfNotNull(DisplayData.item("singleTable", singleTable))
        .add(DisplayData.item("metadataTables", metadataTables))
        .addIfNotNull(DisplayData.item("runId", runId))
        .add(DisplayData.item("memoryLimit", memoryLimit))
        .addIfNotNull(DisplayData.item("ledgerRun", ledger == null ? null : ledger.toString()));
  }
}
