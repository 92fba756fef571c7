package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.metrics.ExportMetrics.Metric;
import org.junit.jupiter.api.Test;

class ProgressReporterTest {

  @Test
  void aLineCountsFetchedFlattenedAndCommittedRowsOfEveryForm() {
    Map<String, Long> counters =
        Map.of(
            ExportMetrics.name(Metric.API_TOTAL_ELEMENTS, "S1", "AE"), 700L,
            ExportMetrics.name(Metric.API_TOTAL_ELEMENTS, "S1", "DM"), 300L,
            ExportMetrics.name(Metric.RECORDS_FETCHED, "S1", "AE"), 500L,
            ExportMetrics.name(Metric.RECORDS_FETCHED, "S1", "DM"), 300L,
            ExportMetrics.name(Metric.ROWS_FLATTENED, "S1", "AE"), 499L,
            ExportMetrics.name(Metric.ROWS_FLATTENED, "S1", "DM"), 250L,
            ExportMetrics.name(Metric.RECORDS_FAILED, "S1", "AE"), 1L,
            ExportMetrics.name(Metric.PAGES_FETCHED, "S2", null), 3L);

    assertEquals(
        "progress: 2 studies, 2 forms, records fetched 800 of 1000, rows flattened 749, rows"
            + " written 0, failed 1",
        ProgressReporter.Snapshot.of(counters).line());
  }

  @Test
  void onARemoteClusterTheFirstLineNamesTheJobWhoseCountsArePolled() {
    CommonExportOptions remote = new CommonExportOptions();
    remote.runner = CommonExportOptions.Runner.FLINK;
    remote.progress = ProgressReporter.Mode.PLAIN;
    remote.beamArgs = List.of("--flinkMaster=127.0.0.1:1", "--parallelism=4", "--jobName=j1");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    remote.progress(out).close();
    assertEquals(
        "progress: the job runs on the Flink cluster at 127.0.0.1:1 as j1; counts come from its"
            + " REST API, a bundle (--maxBundleTimeMills) and the JobManager's metric refresh"
            + " behind the work\n",
        bytes.toString(StandardCharsets.UTF_8));

    CommonExportOptions local = new CommonExportOptions();
    local.runner = CommonExportOptions.Runner.FLINK;
    local.beamArgs = List.of("--flinkMaster=[local]");
    assertNull(local.remoteMaster());
    remote.runner = CommonExportOptions.Runner.DIRECT;
    assertNull(remote.remoteMaster());
  }

  @Test
  void anApiTotalBelowTheRecordsFetchedIsUnknownAndLeftOut() {
    Map<String, Long> counters =
        Map.of(
            ExportMetrics.name(Metric.RECORDS_FETCHED, "S1", "AE"), 500L,
            ExportMetrics.name(Metric.ROWS_FLATTENED, "S1", "AE"), 500L);

    assertEquals(
        "progress: 1 studies, 1 forms, records fetched 500, rows flattened 500, rows written 0,"
            + " failed 0",
        ProgressReporter.Snapshot.of(counters).line());
  }

  @Test
  void rowsWrittenAreTheDestinationFurthestAlongNotTheirSum() {
    Map<String, Long> counters =
        Map.of(
            ExportMetrics.name(Metric.ROWS_FLATTENED, "S1", "AE"), 700L,
            ExportMetrics.name(Metric.ROWS_WRITTEN_LAKE, "S1", "AE"), 700L,
            ExportMetrics.name(Metric.ROWS_WRITTEN_DUCKDB, "S1", "AE"), 400L);

    assertEquals(
        "progress: 1 studies, 1 forms, records fetched 0 of 0, rows flattened 700, rows written"
            + " 700, failed 0",
        ProgressReporter.Snapshot.of(counters).line());
  }
}
