package org.imednet.export.sinks.parquet;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.annotation.Nullable;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.metrics.ExportMetrics.Metric;
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

  private static final java.util.concurrent.ConcurrentMap<String, Object> COMMITS =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Local folders, or remote ones ({@code s3://…}) when {@code lake} is remote. */
  CommitLakeFn(
      String lake,
      String lakeRun,
      String metadata,
      String metadataRun,
      String runId,
      @Nullable LedgerRun ledger) {
    this.lake = lake;
    this.lakeRun = lakeRun;
    this.metadata = metadata;
    this.metadataRun = metadataRun;
    this.runId = runId;
    this.ledger = ledger;
  }

  @ProcessElement
  public void processElement(
      @Element KV<Integer, Iterable<StagedFile>> staged,
      OutputReceiver<String> out,
      PipelineOptions options)
      throws IOException {
    Map<String, Map<String, Long>> formRows;
    List<String> committed;
    if (LakeLocation.isRemote(lake)) {
      ObjectStoreLakeCommit commit =
          new ObjectStoreLakeCommit(lake, lakeRun, metadata, metadataRun, runId)
              .beforeEachStep(() -> RemoteFiles.useOptions(options));
      commit.commit(staged.getValue());
      commit.cleanUp();
      formRows = commit.formRows;
      committed = commit.committed;
    } else {
      // Several pipelines of one JVM (a backfill's windows) may commit into one lake: one at a
      // time.
      synchronized (COMMITS.computeIfAbsent(lake, k -> new Object())) {
        LakeCommit commit =
            new LakeCommit(
                Path.of(lake), Path.of(lakeRun), Path.of(metadata), Path.of(metadataRun), ledger);
        try {
          commit.commit(staged.getValue());
          if (ledger != null) {
            // After the swap: a run killed before this line is repeated from the previous mark.
            Map<String, Map<String, Long>> rows = new java.util.TreeMap<>(commit.formRows);
            ledger.studies().forEach(study -> rows.putIfAbsent(study, Map.of()));
            Map<String, java.time.LocalDateTime> formMarks = new java.util.TreeMap<>();
            Map<String, Map<String, java.time.LocalDateTime>> tableMarks =
                new java.util.TreeMap<>();
            commit.marks(staged.getValue(), formMarks, tableMarks);
            LakeLedger.record(Path.of(lake), ledger, rows, formMarks, tableMarks);
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
    committed.forEach(out::output);
  }
}
