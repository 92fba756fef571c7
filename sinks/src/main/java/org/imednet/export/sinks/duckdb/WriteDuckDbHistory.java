package org.imednet.export.sinks.duckdb;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.imednet.export.history.DateWindow;
import org.imednet.export.history.RecordValues;
import org.imednet.export.read.ReadStudyMetadataTables;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.sinks.staging.StagedFile;
import org.imednet.export.sinks.staging.WriteStagedParquetFn;

/**
 * Loads one ingest run (the {@code record_revisions} and {@code record_values} rows of a window)
 * into the bronze tables of a DuckDB file, in one transaction ({@link DuckDbHistory}).
 *
 * <pre>{@code
 * PCollectionList.of(revisionRows).and(valueRows).apply(Flatten.pCollections())
 *     .apply(WriteDuckDbHistory.to(db, studies, window, DuckDbHistory.Mode.APPEND, runId));
 * }</pre>
 *
 * <p>Rows are staged as Parquet in parallel under {@code .<file>.staging/<runId>/} (as {@link
 * WriteDuckDbFile} does), and one commit step loads them with bulk SQL. The commit runs exactly
 * once per run, also when the window holds nothing (its ledger row says so), and only after every
 * signal of {@link #withCommitAfter} is complete. A run that fails, or a process killed before the
 * commit ends, leaves the file as it was. Counters {@code bronzeRevisionsInserted} and {@code
 * bronzeValuesInserted} (namespace {@value #METRICS}) hold what the commit inserted.
 */
public final class WriteDuckDbHistory
    extends PTransform<PCollection<RowBatch>, PCollection<String>> {
  private static final long serialVersionUID = 1L;

  /** The metrics namespace of the counters. */
  public static final String METRICS = "org.imednet.export.history";

  private final String dbFile;
  private final List<String> studies;
  private final DateWindow window;
  private final DuckDbHistory.Mode mode;
  private final String runId;
  private final transient List<PCollection<?>> commitAfter;

  private WriteDuckDbHistory(
      String dbFile,
      List<String> studies,
      DateWindow window,
      DuckDbHistory.Mode mode,
      String runId,
      List<PCollection<?>> commitAfter) {
    this.dbFile = dbFile;
    this.studies = studies;
    this.window = window;
    this.mode = mode;
    this.runId = runId;
    this.commitAfter = commitAfter;
  }

  /** An ingest of {@code studies} for {@code window} into {@code dbFile} (created if missing). */
  public static WriteDuckDbHistory to(
      Path dbFile, List<String> studies, DateWindow window, DuckDbHistory.Mode mode, String runId) {
    checkArgumentNotNull(dbFile, "dbFile");
    Path file = dbFile.toAbsolutePath().normalize();
    if (file.getParent() == null || studies.isEmpty()) {
      throw new IllegalArgumentException("a DuckDB file and at least one study are required");
    }
    return new WriteDuckDbHistory(
        file.toString(),
        List.copyOf(studies),
        checkArgumentNotNull(window, "window"),
        checkArgumentNotNull(mode, "mode"),
        checkArgumentNotNull(runId, "runId"),
        List.of());
  }

  /** Commits only after {@code signal} is complete; if computing it fails, nothing is loaded. */
  public WriteDuckDbHistory withCommitAfter(PCollection<?> signal) {
    List<PCollection<?>> gates = new ArrayList<>(commitAfter);
    gates.add(checkArgumentNotNull(signal, "signal"));
    return new WriteDuckDbHistory(dbFile, studies, window, mode, runId, List.copyOf(gates));
  }

  @Override
  public PCollection<String> expand(PCollection<RowBatch> rows) {
    Path db = Path.of(dbFile);
    Path runDir = db.resolveSibling("." + db.getFileName() + ".staging").resolve(runId);
    String files = runDir.resolve("files").toString();
    PCollectionView<List<StagedFile>> staged =
        rows.apply("StageParquet", ParDo.of(new WriteStagedParquetFn(files, files)))
            .setCoder(SerializableCoder.of(StagedFile.class))
            .apply("AllStagedFiles", View.asList());
    PCollection<String> trigger =
        rows.getPipeline().apply("CommitOnce", Create.of(runId).withCoder(StringUtf8Coder.of()));
    if (!commitAfter.isEmpty()) {
      trigger = trigger.apply("WaitForCommitGate", Wait.on(commitAfter));
    }
    return trigger
        .apply(
            "LoadBronzeInOneTransaction",
            ParDo.of(new CommitFn(dbFile, runDir.toString(), studies, window, mode, staged))
                .withSideInputs(staged))
        .setCoder(StringUtf8Coder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("dbFile", dbFile))
        .add(DisplayData.item("studies", String.join(",", studies)))
        .add(DisplayData.item("window", window.toString()))
        .add(DisplayData.item("mode", mode.name()))
        .add(DisplayData.item("runId", runId));
  }

  /** Loads the run's staged files; emits one line per study with what it inserted. */
  static final class CommitFn extends DoFn<String, String> {
    private static final long serialVersionUID = 1L;
    private static final Counter REVISIONS = Metrics.counter(METRICS, "bronzeRevisionsInserted");
    private static final Counter VALUES = Metrics.counter(METRICS, "bronzeValuesInserted");
    private static final Counter RECORDS = Metrics.counter(METRICS, "bronzeRecordVersionsInserted");

    private final String dbFile;
    private final String runDir;
    private final List<String> studies;
    private final DateWindow window;
    private final DuckDbHistory.Mode mode;
    private final PCollectionView<List<StagedFile>> staged;

    CommitFn(
        String dbFile,
        String runDir,
        List<String> studies,
        DateWindow window,
        DuckDbHistory.Mode mode,
        PCollectionView<List<StagedFile>> staged) {
      this.dbFile = dbFile;
      this.runDir = runDir;
      this.studies = studies;
      this.window = window;
      this.mode = mode;
      this.staged = staged;
    }

    @ProcessElement
    public void process(@Element String runId, ProcessContext c) throws Exception {
      List<String> revisionFiles = new ArrayList<>();
      List<String> valueFiles = new ArrayList<>();
      for (StagedFile f : c.sideInput(staged)) {
        if (f.tableKey().equals(ReadStudyMetadataTables.RECORD_REVISIONS.tableKey())) {
          revisionFiles.add(f.path());
        } else if (f.tableKey().equals(RecordValues.TABLE_KEY)) {
          valueFiles.add(f.path());
        } else {
          throw new IllegalArgumentException(
              "WriteDuckDbHistory takes record_revisions and record_values rows, not "
                  + f.tableKey());
        }
      }
      Map<String, DuckDbHistory.Inserted> inserted =
          DuckDbCommit.inOneTransaction(
              Path.of(dbFile),
              Path.of(runDir),
              st ->
                  DuckDbHistory.ingest(
                      st,
                      studies,
                      window,
                      mode,
                      runId,
                      LocalDateTime.now(ZoneOffset.UTC),
                      revisionFiles,
                      valueFiles));
      for (Map.Entry<String, DuckDbHistory.Inserted> e : inserted.entrySet()) {
        REVISIONS.inc(e.getValue().revisions);
        VALUES.inc(e.getValue().values);
        RECORDS.inc(e.getValue().records);
        c.output(
            e.getKey()
                + ": "
                + e.getValue().revisions
                + " revisions, "
                + e.getValue().values
                + " values of "
                + e.getValue().records
                + " record versions");
      }
    }
  }
}
