package org.imednet.export.flatten;

import static org.imednet.export.flatten.FormSchemaTest.var;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.metrics.ExportMetrics.Metric;
import org.imednet.export.model.FormContext;
import org.imednet.export.model.FormInfo;
import org.imednet.export.model.RecordPage;
import org.imednet.export.model.RecordPageCoder;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.FailedRecord;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.TableSchema;
import org.junit.jupiter.api.Test;

class FlattenRecordsTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static final FormContext VS =
      new FormContext(
          new FormInfo("FLAT01", 3101, "VS", "Vital Signs", false),
          List.of(
              var(1, "SYSBP", "Integer", "Systolic"),
              var(2, "POS", "Lookup", "Systolic"),
              var(3, "NOTE", "text", null)));

  private static final FormContext AE =
      new FormContext(
          new FormInfo("FLAT01", 3102, "AE", "Adverse events", false),
          List.of(var(4, "AETERM", "Text", "Term"), var(5, "AESEV", "Severity", "Severity")));

  private static JsonNode json(String text) {
    try {
      return MAPPER.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Pipeline pipeline() {
    return Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
  }

  private static final String GOOD_1 =
      "{\"recordId\":1,\"studyKey\":\"FLAT01\",\"formKey\":\"VS\",\"formId\":3101,"
          + "\"deleted\":false,\"dateModified\":\"2025-05-21 09:12:40\","
          + "\"recordData\":{\"SYSBP\":\"128\",\"POS\":\"1\",\"NOTE\":\"ok\",\"X\":\"kept\"}}";
  private static final String GOOD_2 =
      "{\"recordId\":2,\"subjectKey\":\"12-004\",\"recordData\":{\"SYSBP\":\"12,8\"}}";
  private static final String MALFORMED =
      "{\"recordId\":\"R3\",\"recordData\":{\"SYSBP\":\"120\"}}";
  private static final String AE_1 = "{\"recordId\":10,\"recordData\":{\"AETERM\":\"Headache\"}}";

  private static List<RecordPage> pages() {
    return List.of(
        new RecordPage(
            VS,
            "records formId==3101 page 0",
            List.of(json(GOOD_1), json(MALFORMED), json(GOOD_2))),
        new RecordPage(VS, "records formId==3101 page 1", List.of()),
        new RecordPage(AE, "records formId==3102 page 0", List.of(json(AE_1))),
        new RecordPage(AE, "records formId==3102 page 1", List.of(json("[\"not a record\"]"))));
  }

  private static Object[] row(Object... valuesAfterMetadata) {
    Object[] row = new Object[17 + valuesAfterMetadata.length];
    System.arraycopy(valuesAfterMetadata, 0, row, 17, valuesAfterMetadata.length);
    return row;
  }

  private static Object[] withMetadata(Object[] row, Object... pairs) {
    for (int i = 0; i < pairs.length; i += 2) {
      int index = -1;
      for (int k = 0; k < FormSchema.METADATA_COLUMNS.size(); k++) {
        if (FormSchema.METADATA_COLUMNS.get(k).name().equals(pairs[i])) {
          index = k;
        }
      }
      row[index] = pairs[i + 1];
    }
    return row;
  }

  private static TableSchema vsTable(String sysbp, String pos) {
    List<Column> columns = new ArrayList<>(FormSchema.METADATA_COLUMNS);
    columns.add(Column.variable(sysbp, ColumnType.LONG, "SYSBP", "Integer", "Systolic"));
    columns.add(Column.variable(pos, ColumnType.STRING, "POS", "Lookup", "Systolic"));
    columns.add(Column.variable("NOTE", ColumnType.STRING, "NOTE", "text", null));
    columns.addAll(FormSchema.SYSTEM_COLUMNS);
    return TableSchema.form("FLAT01", "VS", 3101L, columns);
  }

  private static List<RowBatch> expectedRows(TableSchema vs, String aeTerm, String aeSev) {
    List<Column> ae = new ArrayList<>(FormSchema.METADATA_COLUMNS);
    ae.add(Column.variable(aeTerm, ColumnType.STRING, "AETERM", "Text", "Term"));
    ae.add(Column.variable(aeSev, ColumnType.STRING, "AESEV", "Severity", "Severity"));
    ae.addAll(FormSchema.SYSTEM_COLUMNS);
    return List.of(
        // The empty page 1 of VS.
        RowBatch.of(vs, List.of()),
        RowBatch.of(
            vs,
            List.of(
                withMetadata(
                    row(
                        128L,
                        "1",
                        "ok",
                        null,
                        "{\"SYSBP\":\"128\",\"POS\":\"1\",\"NOTE\":\"ok\",\"X\":\"kept\"}"),
                    "study_key",
                    "FLAT01",
                    "form_key",
                    "VS",
                    "form_id",
                    3101L,
                    "record_id",
                    1L,
                    "deleted",
                    false,
                    "date_modified",
                    LocalDateTime.of(2025, 5, 21, 9, 12, 40)),
                withMetadata(
                    row(
                        null,
                        null,
                        null,
                        "{\"" + vs.columns().get(17).name() + "\":\"12,8\"}",
                        "{\"SYSBP\":\"12,8\"}"),
                    "study_key",
                    "FLAT01",
                    "form_key",
                    "VS",
                    "form_id",
                    3101L,
                    "record_id",
                    2L,
                    "subject_key",
                    "12-004"))),
        RowBatch.of(
            TableSchema.form("FLAT01", "AE", 3102L, ae),
            List.<Object[]>of(
                withMetadata(
                    row("Headache", null, null, "{\"AETERM\":\"Headache\"}"),
                    "study_key",
                    "FLAT01",
                    "form_key",
                    "AE",
                    "form_id",
                    3102L,
                    "record_id",
                    10L))));
  }

  private static List<FailedRecord> expectedFailures() {
    return List.of(
        new FailedRecord(
            "FLAT01",
            "VS",
            FailedRecord.Reason.UNPROCESSABLE_RECORD,
            "records formId==3101 page 0 record 2 of 3",
            "Cannot flatten a record of form FLAT01/VS: recordId is not an integer",
            MALFORMED),
        new FailedRecord(
            "FLAT01",
            "AE",
            FailedRecord.Reason.UNPROCESSABLE_RECORD,
            "records formId==3102 page 1 record 1 of 1",
            "Cannot flatten a record of form FLAT01/AE: record is not a JSON object but ARRAY",
            "[\"not a record\"]"));
  }

  private static long counter(PipelineResult result, Metric metric, String form) {
    MetricQueryResults q =
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(
                        MetricNameFilter.named(
                            ExportMetrics.NAMESPACE, ExportMetrics.name(metric, "FLAT01", form)))
                    .build());
    long sum = 0;
    for (MetricResult<Long> c : q.getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }

  @Test
  void flattensPagesIntoBatchesAndFailures() {
    Pipeline p = pipeline();
    FlattenRecords.Result result =
        p.apply(Create.of(pages()).withCoder(RecordPageCoder.of())).apply(FlattenRecords.create());
    PAssert.that(result.rows())
        .containsInAnyOrder(expectedRows(vsTable("SYSBP", "POS"), "AETERM", "AESEV"));
    PAssert.that(result.failures()).containsInAnyOrder(expectedFailures());
    PipelineResult run = p.run();
    run.waitUntilFinish();

    assertEquals(2, counter(run, Metric.ROWS_FLATTENED, "VS"));
    assertEquals(1, counter(run, Metric.ROWS_FLATTENED, "AE"));
    assertEquals(1, counter(run, Metric.VALUES_UNPARSEABLE, "VS"));
    assertEquals(0, counter(run, Metric.VALUES_UNPARSEABLE, "AE"));
    assertEquals(1, counter(run, Metric.RECORDS_FAILED, "VS"));
    assertEquals(1, counter(run, Metric.RECORDS_FAILED, "AE"));
    // POS (Lookup) on VS and AESEV (Severity) on AE, once each although two pages of each form.
    assertEquals(1, counter(run, Metric.VARIABLES_UNKNOWN_TYPE, "VS"));
    assertEquals(1, counter(run, Metric.VARIABLES_UNKNOWN_TYPE, "AE"));
  }

  @Test
  void useLabelsNamesColumnsAfterLabels() {
    Pipeline p = pipeline();
    FlattenRecords.Result result =
        p.apply(Create.of(pages()).withCoder(RecordPageCoder.of()))
            .apply(FlattenRecords.create().withUseLabels(true));
    List<RowBatch> expected = expectedRows(vsTable("Systolic", "Systolic_2"), "Term", "Severity");
    PAssert.that(result.rows()).containsInAnyOrder(expected);
    PAssert.that(result.failures()).containsInAnyOrder(expectedFailures());
    p.run().waitUntilFinish();
  }

  @Test
  void anEmptyPageGivesAnEmptyBatchSoSinksSeeTheForm() {
    Pipeline p = pipeline();
    FlattenRecords.Result result =
        p.apply(
                Create.of(Arrays.asList(new RecordPage(VS, "page 0", List.of())))
                    .withCoder(RecordPageCoder.of()))
            .apply(FlattenRecords.create());
    PAssert.that(result.rows()).containsInAnyOrder(RowBatch.of(vsTable("SYSBP", "POS"), List.of()));
    PAssert.that(result.failures()).empty();
    p.run().waitUntilFinish();
  }
}
