package org.imednet.export.sinks.parquet;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.annotation.Nullable;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.metrics.ExportMetrics.Metric;
import org.imednet.export.read.ReadStudyMetadataTables;
import org.imednet.export.sinks.ledger.HighWaterMarks;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.staging.RemoteFiles;
import org.imednet.export.sinks.staging.StagedFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits all staged files of a run in one invocation (its input is a GroupByKey on a single key),
 * after every write has finished. See {@link LakeCommit} for the two phases on a local file system,
 * {@link ObjectStoreLakeCommit} for the protocol on an object store.
 */
final class CommitLakeFn extends DoFn<KV<Integer, Iterable<StagedFile>>, String> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(CommitLakeFn.class);

  private final String lake;
  private final String lakeRun;
  private final String metadata;
  private final String metadataRun;
  private final String runId;
  private final @Nullable LedgerRun ledger;

  /**
   * The high-water marks of the staged rows ({@link
   * org.imednet.export.sinks.ledger.HighWaterMarks}, one view per staged collection) for the ledger
   * of a remote lake, whose staged objects DuckDB cannot read in place; empty otherwise.
   */
  private final List<PCollectionView<Map<String, Long>>> marks;

  private static final java.util.concurrent.ConcurrentMap<String, Object> COMMITS =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Local folders, or remote ones ({@code s3://…}) when {@code lake} is remote. */
  CommitLakeFn(
      String lake,
      String lakeRun,
      String metadata,
      String metadataRun,
      String runId,
      @Nullable LedgerRun ledger,
      List<PCollectionView<Map<String, Long>>> marks) {
    this.lake = lake;
    this.lakeRun = lakeRun;
    this.metadata = metadata;
    this.metadataRun = metadataRun;
    this.runId = runId;
    this.ledger = ledger;
    this.marks = marks;
  }

  @ProcessElement
  public void processElement(ProcessContext c) throws IOException {
    Iterable<StagedFile> staged = c.element().getValue();
    PipelineOptions options = c.getPipelineOptions();
    Map<String, Map<String, Long>> formRows;
    List<String> committed;
    // Several pipelines of one JVM (a backfill's windows) may commit into one lake: one at a time.
    // On an object store this also keeps one commit from finishing another's plan while it runs.
    synchronized (COMMITS.computeIfAbsent(lake, k -> new Object())) {
      if (LakeLocation.isRemote(lake)) {
        ObjectStoreLakeCommit commit =
            new ObjectStoreLakeCommit(lake, lakeRun, metadata, metadataRun, runId)
                .withLedger(ledger)
                .beforeEachStep(() -> RemoteFiles.useOptions(options));
        commit.commit(staged);
        if (ledger != null) {
          // After the plan's last partition: a run killed before this line is repeated from the
          // previous mark (its plan, if written, is finished by the next commit).
          Map<String, Long> seen = new java.util.HashMap<>();
          for (PCollectionView<Map<String, Long>> view : marks) {
            c.sideInput(view).forEach((k, v) -> seen.merge(k, v, Math::max));
          }
          Map<String, java.time.LocalDateTime> formMarks = new java.util.TreeMap<>();
          Map<String, Map<String, java.time.LocalDateTime>> tableMarks = new java.util.TreeMap<>();
          for (String study : ledger.studies()) {
            if (seen.containsKey(study)) {
              formMarks.put(study, HighWaterMarks.toTime(seen.get(study)));
            }
            for (String table : ReadStudyMetadataTables.windowedTables()) {
              Long mark = seen.get(HighWaterMarks.tableKey(study, table));
              if (mark != null) {
                tableMarks
                    .computeIfAbsent(study, k -> new java.util.TreeMap<>())
                    .put(table, HighWaterMarks.toTime(mark));
              }
            }
          }
          RemoteFiles.useOptions(options);
          LakeLedger.record(lake, ledger, rowsOfEveryStudy(commit.formRows), formMarks, tableMarks);
        }
        commit.cleanUp();
        formRows = commit.formRows;
        committed = commit.committed;
      } else {
        LakeCommit commit =
            new LakeCommit(
                Path.of(lake), Path.of(lakeRun), Path.of(metadata), Path.of(metadataRun), ledger);
        try {
          commit.commit(staged);
          if (ledger != null) {
            // After the swap: a run killed before this line is repeated from the previous mark.
            Map<String, java.time.LocalDateTime> formMarks = new java.util.TreeMap<>();
            Map<String, Map<String, java.time.LocalDateTime>> tableMarks =
                new java.util.TreeMap<>();
            commit.marks(staged, formMarks, tableMarks);
            LakeLedger.record(
                lake, ledger, rowsOfEveryStudy(commit.formRows), formMarks, tableMarks);
          }
        } finally {
          commit.closeDuckDb();
        }
        commit.cleanUp();
        formRows = commit.formRows;
        committed = commit.committed;
      }
    }
    for (Map.Entry<String, Map<String, Long>> study : formRows.entrySet()) {
      for (Map.Entry<String, Long> form : study.getValue().entrySet()) {
        ExportMetrics.counter(Metric.ROWS_WRITTEN_LAKE, study.getKey(), form.getKey())
            .inc(form.getValue());
      }
    }
    LOG.info(
        "Committed {} studies and {} partitions into {}", formRows.size(), committed.size(), lake);
    committed.forEach(c::output);
  }

  /** Rows per study and form, with every study of the run (an empty window is recorded too). */
  private Map<String, Map<String, Long>> rowsOfEveryStudy(Map<String, Map<String, Long>> formRows) {
    Map<String, Map<String, Long>> rows = new java.util.TreeMap<>(formRows);
    if (ledger != null) {
      ledger.studies().forEach(study -> rows.putIfAbsent(study, Map.of()));
    }
    return rows;
  }
}
