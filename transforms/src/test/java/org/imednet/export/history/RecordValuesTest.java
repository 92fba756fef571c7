package org.imednet.export.history;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.imednet.export.model.FormContext;
import org.imednet.export.model.FormInfo;
import org.imednet.export.model.RecordPage;
import org.imednet.export.model.RecordPageCoder;
import org.imednet.export.model.VariableInfo;
import org.imednet.export.rows.FailedRecord;
import org.imednet.export.rows.RowBatch;
import org.junit.jupiter.api.Test;

class RecordValuesTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static final FormContext VS =
      new FormContext(
          new FormInfo("S1", 3101, "VS", "Vital signs", false),
          List.of(
              new VariableInfo(1, "SYSBP", "Integer", "Systolic", 1, 3101, false, false),
              new VariableInfo(2, "TEMP", "Float", "Temperature", 2, 3101, false, false),
              new VariableInfo(3, "VSDAT", "date", "Date", 3, 3101, false, false),
              new VariableInfo(4, "DONE", "Yes/No", "Done", 4, 3101, false, false),
              new VariableInfo(5, "VSCOMM", "memo", null, 5, 3101, false, false),
              new VariableInfo(6, "ODD", "Slider", null, 6, 3101, false, false)));

  private static final String GOOD =
      "{\"recordId\":7,\"formId\":3101,\"formKey\":\"VS\",\"subjectKey\":\"12-001\",\"deleted\":false,"
          + "\"dateCreated\":\"2025-04-01 10:00:00\",\"dateModified\":\"2025-04-02 11:30:00\","
          + "\"recordData\":{\"dateCreated\":\"2025-04-01 10:00:00\","
          + "\"dateModified\":\"2025-04-02 11:30:00\",\"SYSBP\":128,\"TEMP\":\"36.80\","
          + "\"VSDAT\":\"2025-02-30\",\"DONE\":\"Yes\",\"VSCOMM\":\"\",\"ODD\":\"7\","
          + "\"EXTRA\":null}}";

  private static final String NO_DATE_MODIFIED =
      "{\"recordId\":8,\"formId\":3101,\"recordData\":{\"SYSBP\":\"120\"}}";

  @Test
  void everyRecordDataKeyBecomesOneRowWithItsRawTextAndTypedValue() throws Exception {
    RecordValues.FormValues form = new RecordValues.FormValues(VS);
    List<Object[]> rows = RecordValues.rows(MAPPER.readTree(GOOD), form.flattener, form.variables);
    LocalDateTime modified = LocalDateTime.parse("2025-04-02T11:30:00");
    List<List<Object>> got = new ArrayList<>();
    for (Object[] r : rows) {
      assertEquals(RecordValues.COLUMNS.size(), r.length);
      assertEquals(
          Arrays.asList("S1", "VS", 3101L, 7L), Arrays.asList(r).subList(0, 4), "record fields");
      assertEquals("12-001", r[7]);
      assertEquals(Boolean.FALSE, r[11]);
      assertEquals(modified, r[13]);
      got.add(Arrays.asList(r).subList(14, r.length));
    }
    assertEquals(
        List.of(
            Arrays.asList("SYSBP", "Integer", "128", 128L, null, null, null, null, false),
            Arrays.asList("TEMP", "Float", "36.80", null, 36.8, null, null, null, false),
            // A date that does not exist keeps its text and is flagged.
            Arrays.asList("VSDAT", "date", "2025-02-30", null, null, null, null, null, true),
            Arrays.asList("DONE", "Yes/No", "Yes", null, null, true, null, null, false),
            Arrays.asList("VSCOMM", "memo", "", null, null, null, null, null, false),
            // An unknown type is text; a key that is no variable of the form is kept too.
            Arrays.asList("ODD", "Slider", "7", null, null, null, null, null, false),
            Arrays.asList("EXTRA", null, null, null, null, null, null, null, false)),
        got);
  }

  @Test
  void aRecordWithoutDateModifiedIsAFailureWithItsJsonAndTheOthersAreKept() {
    TestPipeline p = TestPipeline.create().enableAbandonedNodeEnforcement(false);
    PCollection<RecordPage> pages =
        p.apply(
            Create.of(
                    new RecordPage(
                        VS, "records page 1", List.of(readTree(GOOD), readTree(NO_DATE_MODIFIED))))
                .withCoder(RecordPageCoder.of()));
    PCollectionTuple out = pages.apply(RecordValues.create());
    PAssert.that(out.get(RecordValues.FAILURES))
        .containsInAnyOrder(
            new FailedRecord(
                "S1",
                "VS",
                FailedRecord.Reason.UNPROCESSABLE_RECORD,
                "records page 1 record 2 of 2",
                "Cannot record the values of a record of form S1/VS: record 8 has no dateModified,"
                    + " which keys its version",
                NO_DATE_MODIFIED));
    PAssert.that(out.get(RecordValues.ROWS))
        .satisfies(
            batches -> {
              List<RowBatch> all = new ArrayList<>();
              batches.forEach(all::add);
              assertEquals(1, all.size());
              assertEquals(7, all.get(0).size());
              assertEquals(RecordValues.schema("S1"), all.get(0).schema());
              return null;
            });
    p.run().waitUntilFinish();
  }

  private static com.fasterxml.jackson.databind.JsonNode readTree(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
