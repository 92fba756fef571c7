package org.imednet.export.sinks.staging;

import static org.imednet.export.sinks.staging.TestTables.formBatch;
import static org.imednet.export.sinks.staging.TestTables.metadataBatch;
import static org.imednet.export.sinks.staging.TestTables.query;
import static org.imednet.export.sinks.staging.TestTables.sqlString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.Pipeline.PipelineExecutionException;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.RowBatchCoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The staging writer, whose Parquet encoding runs on a thread of its own: every batch lands in its
 * table's file, in order, across files closed early to stay within {@link
 * WriteStagedParquetFn#MAX_OPEN_WRITERS}, and a failed write fails the run.
 */
class WriteStagedParquetFnTest {
  @TempDir Path dir;

  private static final Queue<StagedFile> EMITTED = new ConcurrentLinkedQueue<>();

  /** Keeps what the writer emitted (the DirectRunner runs in this JVM). */
  private static final class Collect extends DoFn<StagedFile, Void> {
    @ProcessElement
    public void process(@Element StagedFile file) {
      EMITTED.add(file);
    }
  }

  @Test
  void everyBatchLandsInAnEmittedFileOfItsTable() {
    // More tables than open writers, their batches interleaved: files are closed to make room,
    // and a table's later batches start a new file.
    int tables = WriteStagedParquetFn.MAX_OPEN_WRITERS + 4;
    List<RowBatch> batches = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (int t = 0; t < tables; t++) {
        batches.add(formBatch("S1", "F" + t, 1000L * t + 100 * round, 40 + t));
      }
    }
    batches.add(metadataBatch("S1", "columns", 7));
    Path forms = dir.resolve("forms");
    Path metadata = dir.resolve("metadata");
    Pipeline p = TestTables.pipeline();
    PCollection<StagedFile> files =
        p.apply(Create.of(batches).withCoder(RowBatchCoder.of()))
            .apply(ParDo.of(new WriteStagedParquetFn(forms.toString(), metadata.toString())))
            .setCoder(SerializableCoder.of(StagedFile.class));
    files.apply(ParDo.of(new Collect()));
    EMITTED.clear();
    p.run().waitUntilFinish();

    Map<String, Long> rows = new TreeMap<>();
    for (StagedFile f : EMITTED) {
      rows.merge(f.tableKey(), f.rowCount(), Long::sum);
      assertTrue(Files.exists(Path.of(f.path())), f.path());
    }
    Map<String, Long> expectedRows = new TreeMap<>();
    for (int t = 0; t < tables; t++) {
      expectedRows.put("F" + t, 3L * (40 + t));
    }
    expectedRows.put("columns", 7L);
    assertEquals(expectedRows, rows);
    // Every file on disk was emitted once: nothing written is left unreferenced.
    assertEquals(
        TestTables.tree(dir).size(), EMITTED.stream().map(StagedFile::path).distinct().count());
    assertEquals(EMITTED.size(), EMITTED.stream().map(StagedFile::path).distinct().count());

    // The rows themselves: every record id of every batch, once, in its table.
    String all =
        "read_parquet(" + sqlString(forms.resolve("*.parquet")) + ", union_by_name = true)";
    List<String> expected = new ArrayList<>();
    for (int t = 0; t < tables; t++) {
      long n = 3L * (40 + t);
      long sum = 0;
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 40 + t; i++) {
          sum += 1000L * t + 100 * round + i;
        }
      }
      expected.add("F" + t + "|" + n + "|" + n + "|" + sum);
    }
    expected.sort(null);
    List<String> actual =
        query(
            "SELECT form_key, count(*), count(DISTINCT record_id), sum(record_id) FROM "
                + all
                + " GROUP BY form_key");
    actual.sort(null);
    assertEquals(expected, actual);
    assertEquals(
        List.of("7"),
        query(
            "SELECT count(*) FROM read_parquet(" + sqlString(metadata.resolve("*.parquet")) + ")"));
  }

  @Test
  void aWriteThatFailsFailsTheRun() throws Exception {
    // The metadata directory cannot be created: a file is in its place.
    Path blocked = Files.createFile(dir.resolve("metadata"));
    Pipeline p = TestTables.pipeline();
    p.apply(
            Create.of(formBatch("S1", "F1", 1, 5), metadataBatch("S1", "columns", 3))
                .withCoder(RowBatchCoder.of()))
        .apply(
            ParDo.of(
                new WriteStagedParquetFn(dir.resolve("forms").toString(), blocked.toString())));
    PipelineExecutionException e =
        assertThrows(PipelineExecutionException.class, () -> p.run().waitUntilFinish());
    assertTrue(
        String.valueOf(e.getMessage()).contains(blocked.toString()),
        () -> "message names the directory: " + e.getMessage());
  }
}
