package org.imednet.export.sinks.parquet;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.metrics.ExportMetrics.Metric;
import org.imednet.export.sinks.staging.StagedFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits all staged files of a run in one invocation (its input is a GroupByKey on a single key),
 * after every write has finished. See {@link LakeCommit} for the two phases.
 */
final class CommitLakeFn extends DoFn<KV<Integer, Iterable<StagedFile>>, String> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(CommitLakeFn.class);

  private final String lake;
  private final String lakeRun;
  private final String metadata;
  private final String metadataRun;

  CommitLakeFn(String lake, String lakeRun, String metadata, String metadataRun) {
    this.lake = lake;
    this.lakeRun = lakeRun;
    this.metadata = metadata;
    this.metadataRun = metadataRun;
  }

  @ProcessElement
  public void processElement(
      @Element KV<Integer, Iterable<StagedFile>> staged, OutputReceiver<String> out)
      throws IOException {
    LakeCommit commit =
        new LakeCommit(Path.of(lake), Path.of(lakeRun), Path.of(metadata), Path.of(metadataRun));
    commit.commit(staged.getValue());
    for (Map.Entry<String, Map<String, Long>> study : commit.formRows.entrySet()) {
      for (Map.Entry<String, Long> form : study.getValue().entrySet()) {
        ExportMetrics.counter(Metric.ROWS_WRITTEN_LAKE, study.getKey(), form.getKey())
            .inc(form.getValue());
      }
    }
    commit.cleanUp();
    LOG.info(
        "Committed {} studies and {} partitions into {}",
        commit.formRows.size(),
        commit.committed.size(),
        lake);
    commit.committed.forEach(out::output);
  }
}
