package org.imednet.export.sinks.duckdb;

import static org.imednet.export.sinks.staging.TestTables.formBatch;
import static org.imednet.export.sinks.staging.TestTables.metadataBatch;
import static org.imednet.export.sinks.staging.TestTables.pipeline;
import static org.imednet.export.sinks.staging.TestTables.query;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.metrics.ExportMetrics.Metric;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.RowBatchCoder;
import org.imednet.export.rows.TableSchema;
import org.imednet.export.sinks.staging.TestTables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteDuckDbFileTest {
  @TempDir Path dir;

  private static PipelineResult write(List<RowBatch> batches, WriteDuckDbFile write) {
    Pipeline p = pipeline();
    p.apply(Create.of(batches).withCoder(RowBatchCoder.of())).apply(write);
    PipelineResult result = p.run();
    result.waitUntilFinish();
    return result;
  }

  private static List<String> q(Path db, String sql) {
    return query("jdbc:duckdb:" + db, sql);
  }

  private static void exec(Path db, String... sql) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + db);
        Statement st = c.createStatement()) {
      for (String s : sql) {
        st.execute(s);
      }
    }
  }

  private static RowBatch extraForm(String study, int n) {
    TableSchema schema =
        TableSchema.form(
            study,
            "EXTRA",
            9L,
            List.of(
                Column.metadata("study_key", ColumnType.STRING),
                Column.metadata("form_key", ColumnType.STRING),
                Column.metadata("record_id", ColumnType.LONG),
                Column.variable("extra only", ColumnType.STRING, "X", "text", null)));
    List<Object[]> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(new Object[] {study, "EXTRA", 1000L + i, "x" + i});
    }
    return RowBatch.of(schema, rows);
  }

  private static List<String> allTables(Path db) {
    return q(db, "SELECT table_name FROM information_schema.tables ORDER BY 1");
  }

  @Test
  void singleTableIsTheWideUnionWithMetadataTables() {
    Path db = dir.resolve("sub/dir/clinical.duckdb");
    PipelineResult result =
        write(
            List.of(
                formBatch("S", "AE", 1, 3),
                formBatch("T", "AE", 1, 2),
                extraForm("S", 2),
                metadataBatch("S", "columns", 3),
                metadataBatch("S", "forms", 2),
                metadataBatch("T", "forms", 1)),
            WriteDuckDbFile.to(db).singleTable("study_records").withRunId("r1"));

    assertEquals(List.of("imednet_columns", "imednet_forms", "study_records"), allTables(db));
    assertEquals(
        List.of(
            "study_key|VARCHAR",
            "form_key|VARCHAR",
            "record_id|BIGINT",
            "Blood pressure (mmHg)|DOUBLE",
            "体重|BIGINT",
            "visit_date|DATE",
            "seen_at|TIMESTAMP",
            "ok|BOOLEAN",
            "note|VARCHAR",
            "extra only|VARCHAR"),
        q(db, "SELECT column_name, column_type FROM (DESCRIBE study_records)"));
    assertEquals(
        List.of("S|AE|3", "S|EXTRA|2", "T|AE|2"),
        q(db, "SELECT study_key, form_key, count(*) FROM study_records GROUP BY ALL ORDER BY ALL"));
    assertEquals(
        List.of(
            "S|AE|2|2.5|20|2024-01-03|2024-02-03 04:05:08.789|true|n2|null",
            "S|EXTRA|1001|null|null|null|null|null|null|x1"),
        q(
            db,
            "SELECT * FROM study_records WHERE record_id IN (2, 1001) AND study_key = 'S'"
                + " ORDER BY record_id"));
    assertEquals(
        List.of("S|columns_0|0", "S|columns_1|1", "S|columns_2|2"),
        q(db, "SELECT * FROM imednet_columns ORDER BY ALL"));
    assertEquals(
        List.of("S|forms_0|0", "S|forms_1|1", "T|forms_0|0"),
        q(db, "SELECT * FROM imednet_forms ORDER BY ALL"));
    // Staging is gone: only the database file is left in its folder.
    assertEquals(List.of("clinical.duckdb"), TestTables.tree(db.getParent()));
    assertEquals(3, committed(result, "S", "AE"));
    assertEquals(2, committed(result, "S", "EXTRA"));
  }

  @Test
  void byFormNamesTablesByFormKeyWithCaseSuffixes() {
    Path db = dir.resolve("by_form.duckdb");
    Pipeline p = pipeline();
    PCollection<String> tables =
        p.apply(
                Create.of(
                        formBatch("S", "ae", 1, 1),
                        formBatch("S", "AE", 1, 2),
                        formBatch("T", "AE", 1, 3),
                        formBatch("S", "a/b \"q\"", 1, 4),
                        formBatch("S", "imednet_forms", 1, 5),
                        metadataBatch("S", "forms", 1))
                    .withCoder(RowBatchCoder.of()))
            .apply(WriteDuckDbFile.to(db).byForm().withRunId("r1"));
    PAssert.that(tables)
        .containsInAnyOrder("AE", "ae_2", "a/b \"q\"", "imednet_forms_2", "imednet_forms");
    p.run().waitUntilFinish();

    assertEquals(
        List.of("AE", "a/b \"q\"", "ae_2", "imednet_forms", "imednet_forms_2"), allTables(db));
    assertEquals(
        List.of("S|AE|2", "T|AE|3"),
        q(db, "SELECT study_key, form_key, count(*) FROM \"AE\" GROUP BY ALL ORDER BY ALL"));
    assertEquals(
        List.of("S|ae|1"), q(db, "SELECT study_key, form_key, count(*) FROM ae_2 GROUP BY ALL"));
    assertEquals(List.of("4"), q(db, "SELECT count(*) FROM \"a/b \"\"q\"\"\""));
    assertEquals(List.of("5"), q(db, "SELECT count(*) FROM imednet_forms_2"));
  }

  @Test
  void reRunReplacesTablesAndOnlyTheExportedStudiesMetadata() throws Exception {
    Path db = dir.resolve("x.duckdb");
    write(
        List.of(
            formBatch("S", "AE", 1, 3),
            formBatch("T", "AE", 1, 2),
            metadataBatch("S", "forms", 2),
            metadataBatch("T", "forms", 1)),
        WriteDuckDbFile.to(db).singleTable("study_records").withRunId("r1"));
    exec(db, "CREATE TABLE user_notes AS SELECT 42 AS n");

    write(
        List.of(formBatch("S", "AE", 10, 4), metadataBatch("S", "forms", 3)),
        WriteDuckDbFile.to(db).singleTable("study_records").withRunId("r2"));

    assertEquals(List.of("imednet_forms", "study_records", "user_notes"), allTables(db));
    assertEquals(
        List.of("S|AE|4"),
        q(db, "SELECT study_key, form_key, count(*) FROM study_records GROUP BY ALL"));
    assertEquals(
        List.of("S|forms_0|0", "S|forms_1|1", "S|forms_2|2", "T|forms_0|0"),
        q(db, "SELECT * FROM imednet_forms ORDER BY ALL"));
    assertEquals(List.of("42"), q(db, "SELECT n FROM user_notes"));
  }

  @Test
  void withoutMetadataTablesOnlyFormTablesAreWritten() {
    Path db = dir.resolve("x.duckdb");
    write(
        List.of(formBatch("S", "AE", 1, 1), metadataBatch("S", "forms", 2)),
        WriteDuckDbFile.to(db).byForm().withMetadataTables(false).withRunId("r1"));
    assertEquals(List.of("AE"), allTables(db));
  }

  @Test
  void failedWriteLeavesTheFileUnchanged() throws Exception {
    Path own = Files.createTempDirectory("failed-duckdb");
    try {
      Path db = own.resolve("x.duckdb");
      write(
          List.of(formBatch("S", "AE", 1, 3), metadataBatch("S", "forms", 2)),
          WriteDuckDbFile.to(db).singleTable("study_records").withRunId("r1"));
      List<String> before = q(db, "SELECT * FROM study_records ORDER BY ALL");

      Pipeline p = pipeline();
      p.apply(
              Create.of(
                      formBatch("S", "AE", 10, 5),
                      metadataBatch("S", "forms", 9),
                      formBatch("S", "BOOM", 1, 1))
                  .withCoder(RowBatchCoder.of()))
          .apply(MapElements.via(new TestTables.FailOnTable("BOOM")))
          .apply(WriteDuckDbFile.to(db).singleTable("study_records").withRunId("r2"));
      Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
      assertTrue(String.valueOf(e.getMessage()).contains("injected failure at BOOM"), e.toString());

      assertEquals(before, q(db, "SELECT * FROM study_records ORDER BY ALL"));
      assertEquals(
          List.of("S|forms_0|0", "S|forms_1|1"), q(db, "SELECT * FROM imednet_forms ORDER BY ALL"));
    } finally {
      // The DirectRunner may still be finishing other bundles of the failed run; best effort.
      try (var walk = Files.walk(own)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  @Test
  void failedCommitIsRolledBack() throws Exception {
    Path db = dir.resolve("x.duckdb");
    // An incompatible existing metadata table makes the second statement of the load fail.
    exec(
        db,
        "CREATE TABLE study_records AS SELECT 'old' AS study_key",
        "CREATE TABLE imednet_forms AS SELECT 1 AS x");

    Exception e =
        assertThrows(
            Exception.class,
            () ->
                write(
                    List.of(formBatch("S", "AE", 1, 3), metadataBatch("S", "forms", 2)),
                    WriteDuckDbFile.to(db).singleTable("study_records").withRunId("r1")));
    assertTrue(String.valueOf(e.getMessage()).contains("failed and was rolled back"), e.toString());

    assertEquals(List.of("old"), q(db, "SELECT * FROM study_records"));
    assertEquals(List.of("1"), q(db, "SELECT * FROM imednet_forms"));
    assertFalse(allTables(db).contains("AE"));
  }

  @Test
  void aModeIsRequired() {
    Pipeline p = pipeline();
    PCollection<RowBatch> rows =
        p.apply(Create.of(formBatch("S", "A", 1, 1)).withCoder(RowBatchCoder.of()));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> rows.apply(WriteDuckDbFile.to(dir.resolve("x.duckdb"))));
    assertEquals("WriteDuckDbFile needs singleTable(name) or byForm()", e.getMessage());
  }

  @Test
  void settersValidate() {
    WriteDuckDbFile write = WriteDuckDbFile.to(dir.resolve("x.duckdb"));
    assertEquals(
        "singleTable name must not be blank nor start with imednet_ (kept for metadata tables),"
            + " was 'imednet_x'",
        assertThrows(IllegalArgumentException.class, () -> write.singleTable("imednet_x"))
            .getMessage());
    assertEquals(
        "memoryLimit must be a number and a unit (KB, MB, GB, TB, or KiB…), was lots",
        assertThrows(IllegalArgumentException.class, () -> write.withMemoryLimit("lots"))
            .getMessage());
  }

  private static long committed(PipelineResult result, String study, String form) {
    String name = ExportMetrics.name(Metric.ROWS_WRITTEN_DUCKDB, study, form);
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
}
