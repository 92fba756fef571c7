package org.imednet.export.sinks.parquet;

import static org.imednet.export.sinks.staging.TestTables.formBatch;
import static org.imednet.export.sinks.staging.TestTables.metadataBatch;
import static org.imednet.export.sinks.staging.TestTables.pipeline;
import static org.imednet.export.sinks.staging.TestTables.query;
import static org.imednet.export.sinks.staging.TestTables.snapshot;
import static org.imednet.export.sinks.staging.TestTables.sqlString;
import static org.imednet.export.sinks.staging.TestTables.tree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.SimpleFunction;
import org.apache.beam.sdk.values.PCollection;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.metrics.ExportMetrics.Metric;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.RowBatchCoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteHiveParquetTest {
  private static final String COUNTS =
      "SELECT study_key, form_key, count(*), typeof(study_key), typeof(form_key) FROM"
          + " read_parquet(%s, hive_partitioning = true, union_by_name = true)"
          + " GROUP BY ALL ORDER BY ALL";

  @TempDir Path dir;

  private PipelineResult write(Path lake, List<RowBatch> batches, String runId) {
    Pipeline p = pipeline();
    p.apply(Create.of(batches).withCoder(RowBatchCoder.of()))
        .apply(WriteHiveParquet.to(lake).withRunId(runId));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    return result;
  }

  private static List<String> counts(Path lake) {
    return query(String.format(COUNTS, sqlString(lake + "/**/*.parquet")));
  }

  private static long committed(PipelineResult result, String study, String form) {
    String name = ExportMetrics.name(Metric.ROWS_WRITTEN_LAKE, study, form);
    long sum = 0;
    for (MetricResult<Long> c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(ExportMetrics.NAMESPACE, name))
                    .build())
            .getCounters()) {
      sum += c.getCommitted();
    }
    return sum;
  }

  @Test
  void nastyKeysStayInsideTheLakeAndReadBackTrue() throws Exception {
    Path lake = dir.resolve("lake");
    List<String> forms = List.of("AE LOG", "a/b", "../x", "a=b", "é", "..", "", "50%");
    List<RowBatch> batches = new ArrayList<>();
    for (int i = 0; i < forms.size(); i++) {
      batches.add(formBatch("001", forms.get(i), 100 * i, i + 1));
    }
    batches.add(formBatch("../S", "F", 1, 2));
    batches.add(metadataBatch("001", "columns", 4));
    batches.add(metadataBatch("../S", "columns", 1));
    batches.add(metadataBatch("001", "forms", 2));

    PipelineResult result = write(lake, batches, "run1");

    // Only the lake and its metadata folder: no staging left, nothing escaped.
    try (Stream<Path> siblings = Files.list(dir)) {
      assertEquals(
          List.of("lake", "lake_metadata"),
          siblings.map(s -> s.getFileName().toString()).sorted().collect(Collectors.toList()));
    }
    assertEquals(
        List.of(
            "study_key=..%2FS/form_key=F/part-00000.parquet",
            "study_key=001/form_key=..%2Fx/part-00000.parquet",
            "study_key=001/form_key=../part-00000.parquet",
            "study_key=001/form_key=/part-00000.parquet",
            "study_key=001/form_key=50%25/part-00000.parquet",
            "study_key=001/form_key=AE LOG/part-00000.parquet",
            "study_key=001/form_key=a%2Fb/part-00000.parquet",
            "study_key=001/form_key=a%3Db/part-00000.parquet",
            "study_key=001/form_key=é/part-00000.parquet"),
        tree(lake));
    assertEquals(
        List.of(
            "columns/study_key=..%2FS/part-00000.parquet",
            "columns/study_key=001/part-00000.parquet", "forms/study_key=001/part-00000.parquet"),
        tree(dir.resolve("lake_metadata")));

    assertEquals(
        List.of(
            "../S|F|2|VARCHAR|VARCHAR",
            "001||7|VARCHAR|VARCHAR",
            "001|..|6|VARCHAR|VARCHAR",
            "001|../x|3|VARCHAR|VARCHAR",
            "001|50%|8|VARCHAR|VARCHAR",
            "001|AE LOG|1|VARCHAR|VARCHAR",
            "001|a/b|2|VARCHAR|VARCHAR",
            "001|a=b|4|VARCHAR|VARCHAR",
            "001|é|5|VARCHAR|VARCHAR"),
        counts(lake));
    // The query users get from HiveParquet gives the same rows.
    assertEquals(
        List.of("001|a/b|100|null", "001|a/b|101|101.5"),
        query(
            "SELECT study_key, form_key, record_id, \"Blood pressure (mmHg)\" FROM ("
                + HiveParquet.query(lake)
                + ") WHERE form_key = 'a/b' ORDER BY record_id"));
    assertEquals(
        List.of(
            "../S|columns_0|0",
            "001|columns_0|0",
            "001|columns_1|1",
            "001|columns_2|2",
            "001|columns_3|3"),
        query(
            "SELECT study_key, name, position FROM ("
                + HiveParquet.query(dir.resolve("lake_metadata").resolve("columns"))
                + ") ORDER BY ALL"));
    assertEquals(3, committed(result, "001", "../x"));
    assertEquals(2, committed(result, "../S", "F"));
  }

  @Test
  void reExportReplacesExportedFormsAndKeepsTheOthers() {
    Path lake = dir.resolve("lake");
    write(
        lake,
        List.of(formBatch("S", "A", 1, 3), formBatch("S", "B", 1, 2), formBatch("T", "A", 1, 1)),
        "run1");
    assertEquals(
        List.of("S|A|3|VARCHAR|VARCHAR", "S|B|2|VARCHAR|VARCHAR", "T|A|1|VARCHAR|VARCHAR"),
        counts(lake));

    // Only form A of study S, in two batches: B of S and all of T survive, A is replaced.
    write(lake, List.of(formBatch("S", "A", 10, 4), formBatch("S", "A", 20, 1)), "run2");
    List<String> expected =
        List.of("S|A|5|VARCHAR|VARCHAR", "S|B|2|VARCHAR|VARCHAR", "T|A|1|VARCHAR|VARCHAR");
    assertEquals(expected, counts(lake));
    List<String> files = tree(lake);
    assertTrue(files.contains("study_key=S/form_key=B/part-00000.parquet"), files.toString());

    // The same export again: no duplicates.
    write(lake, List.of(formBatch("S", "A", 10, 4), formBatch("S", "A", 20, 1)), "run3");
    assertEquals(expected, counts(lake));
    assertEquals(
        List.of("10", "11", "12", "13", "20"),
        query(
            "SELECT record_id FROM read_parquet("
                + sqlString(lake + "/study_key=S/form_key=A/*.parquet")
                + ") ORDER BY 1"));
  }

  /**
   * The DirectRunner reports a failure without waiting for bundles still running on other threads,
   * which may go on writing staging files after the test; so this test does not use the JUnit
   * temporary folder (whose strict clean-up would then fail) and removes its folder best-effort.
   */
  @Test
  void failedWriteLeavesThePreviousLakeByteIdentical() throws Exception {
    Path own = Files.createTempDirectory("failed-lake");
    try {
      failedWriteLeavesThePreviousLakeByteIdentical(own);
    } finally {
      try (Stream<Path> walk = Files.walk(own)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  private void failedWriteLeavesThePreviousLakeByteIdentical(Path dir) {
    Path lake = dir.resolve("lake");
    write(
        lake,
        List.of(
            formBatch("S", "A", 1, 3), formBatch("S", "B", 1, 2), metadataBatch("S", "forms", 2)),
        "run1");
    Map<String, List<Byte>> before = snapshot(lake);
    Map<String, List<Byte>> metadataBefore = snapshot(dir.resolve("lake_metadata"));

    Pipeline p = pipeline();
    PCollection<RowBatch> rows =
        p.apply(
                Create.of(
                        formBatch("S", "A", 10, 5),
                        metadataBatch("S", "forms", 9),
                        formBatch("S", "BOOM", 1, 1),
                        formBatch("S", "B", 10, 5))
                    .withCoder(RowBatchCoder.of()))
            .apply("FailOnBoom", MapElements.via(new FailOnBoom()));
    rows.apply(WriteHiveParquet.to(lake).withRunId("failed"));
    Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    assertTrue(String.valueOf(e.getMessage()).contains("injected failure"), e.toString());

    assertEquals(before, snapshot(lake));
    assertEquals(metadataBefore, snapshot(dir.resolve("lake_metadata")));
    // Whatever was staged stays under the run's staging folder, outside the lake.
    for (String f : tree(dir.resolve(".lake.staging"))) {
      assertTrue(f.startsWith("failed/files/"), f);
    }
  }

  /** Fails deterministically on the batch of form BOOM. */
  static final class FailOnBoom extends SimpleFunction<RowBatch, RowBatch> {
    @Override
    public RowBatch apply(RowBatch b) {
      if (b.schema().tableKey().equals("BOOM")) {
        throw new IllegalStateException("injected failure");
      }
      return b;
    }
  }

  @Test
  void aFailingCommitGateLeavesThePreviousLakeByteIdentical() throws Exception {
    Path own = Files.createTempDirectory("gated-lake");
    try {
      Path lake = own.resolve("lake");
      write(lake, List.of(formBatch("S", "A", 1, 3)), "run1");
      Map<String, List<Byte>> before = snapshot(lake);

      Pipeline p = pipeline();
      // Every row is fine; only the gate fails, as the export's data-loss check does.
      PCollection<RowBatch> gate =
          p.apply("Gate", Create.of(formBatch("S", "BOOM", 1, 1)).withCoder(RowBatchCoder.of()))
              .apply("FailOnBoom", MapElements.via(new FailOnBoom()));
      p.apply("Rows", Create.of(formBatch("S", "A", 10, 5)).withCoder(RowBatchCoder.of()))
          .apply(WriteHiveParquet.to(lake).withRunId("gated").withCommitAfter(gate));
      Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
      assertTrue(String.valueOf(e.getMessage()).contains("injected failure"), e.toString());
      assertEquals(before, snapshot(lake));
    } finally {
      try (Stream<Path> walk = Files.walk(own)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  @Test
  void aCompleteCommitGateLetsTheCommitThrough() {
    Path lake = dir.resolve("lake");
    Pipeline p = pipeline();
    PCollection<RowBatch> gate = p.apply("Gate", Create.empty(RowBatchCoder.of()));
    PCollection<String> out =
        p.apply("Rows", Create.of(formBatch("S", "A", 1, 1)).withCoder(RowBatchCoder.of()))
            .apply(WriteHiveParquet.to(lake).withRunId("r").withCommitAfter(gate));
    PAssert.that(out).containsInAnyOrder(lake.resolve("study_key=S/form_key=A").toString());
    p.run().waitUntilFinish();
  }

  @Test
  void outputListsCommittedPartitions() {
    Path lake = dir.resolve("lake");
    Pipeline p = pipeline();
    PCollection<String> out =
        p.apply(Create.of(formBatch("S", "A/1", 1, 1)).withCoder(RowBatchCoder.of()))
            .apply(WriteHiveParquet.to(lake).withMetadataDir(dir.resolve("meta")).withRunId("r"));
    PAssert.that(out).containsInAnyOrder(lake.resolve("study_key=S/form_key=A%2F1").toString());
    assertEquals(StringUtf8Coder.of(), out.getCoder());
    p.run().waitUntilFinish();
  }

  /** Rows from several collections are written in one run and one commit. */
  @Test
  void moreRowsAreStagedSeparatelyAndCommittedTogether() {
    Path lake = dir.resolve("lake");
    Pipeline p = pipeline();
    PCollection<RowBatch> forms =
        p.apply(
            "Forms",
            Create.of(formBatch("S", "A", 1, 3), formBatch("S", "B", 10, 2))
                .withCoder(RowBatchCoder.of()));
    PCollection<RowBatch> metadata =
        p.apply(
            "Metadata", Create.of(metadataBatch("S", "forms", 2)).withCoder(RowBatchCoder.of()));
    PCollection<RowBatch> more =
        p.apply("More", Create.of(formBatch("T", "A", 1, 4)).withCoder(RowBatchCoder.of()));
    PCollection<String> out =
        forms.apply(
            WriteHiveParquet.to(lake).withMoreRows(metadata).withMoreRows(more).withRunId("r"));
    PAssert.that(out)
        .containsInAnyOrder(
            lake.resolve("study_key=S/form_key=A").toString(),
            lake.resolve("study_key=S/form_key=B").toString(),
            lake.resolve("study_key=T/form_key=A").toString(),
            dir.resolve("lake_metadata/forms/study_key=S").toString());
    p.run().waitUntilFinish();

    assertEquals(
        List.of("S|A|3|VARCHAR|VARCHAR", "S|B|2|VARCHAR|VARCHAR", "T|A|4|VARCHAR|VARCHAR"),
        counts(lake));
    assertEquals(
        List.of("2"),
        query(
            "SELECT count(*) FROM read_parquet("
                + sqlString(dir.resolve("lake_metadata/forms/study_key=S/part-00000.parquet"))
                + ")"));
  }

  @Test
  void metadataDirInsideTheLakeIsRejected() {
    Path lake = dir.resolve("lake");
    Pipeline p = pipeline();
    PCollection<RowBatch> rows =
        p.apply(Create.of(formBatch("S", "A", 1, 1)).withCoder(RowBatchCoder.of()));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> rows.apply(WriteHiveParquet.to(lake).withMetadataDir(lake.resolve("meta"))));
    assertEquals(
        "withMetadataDir("
            + lake.resolve("meta")
            + ") must be outside the lake "
            + lake
            + " (and not contain it), or metadata rows would be read as form rows",
        e.getMessage());
  }

  @Test
  void invalidRunIdIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> WriteHiveParquet.to(dir).withRunId("../x"));
    assertEquals(
        "runId must be 1..100 of [A-Za-z0-9._-] starting with a letter or digit, was ../x",
        e.getMessage());
  }
}
