package org.imednet.export.flatten;

import static org.imednet.export.flatten.FormSchemaTest.form;
import static org.imednet.export.flatten.FormSchemaTest.var;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.LocalDate;
import java.time.LocalDateTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RecordFlattenerTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static JsonNode json(String text) {
    try {
      return MAPPER.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** A vital-signs form with every variable type, names differing only in case. */
  static final RecordFlattener VITALS =
      new RecordFlattener(
          FormSchema.of(
                  form(
                      var(1, "VSDAT", "Date", "Visit date"),
                      var(2, "SYSBP", "Integer", "Systolic"),
                      var(3, "DIABP", "integer", "Diastolic"),
                      var(4, "TEMP", "Number", "Temperature"),
                      var(5, "FASTED", "Yes/No", "Fasted"),
                      var(6, "VSTIM", "DateTime", "Time"),
                      var(7, "VSPOS", "RADIO", "Position"),
                      var(8, "SYMPT", "Checkbox", "Symptoms"),
                      var(9, "VSCOMM", "Text", "Comment"),
                      var(10, "vscomm", "Text", "Comment (lower)")),
                  false)
              .table());

  private static final String RECORD =
      "{\"studyKey\": \"CARDIO01\", \"intervalId\": 40, \"formId\": 3101, \"formKey\": \"VS\","
          + " \"siteId\": 12, \"recordId\": 880123, \"recordOid\": \"REC-880123\","
          + " \"recordType\": \"SUBJECT\", \"recordStatus\": \"Record Complete\", \"deleted\": false,"
          + " \"dateCreated\": \"2025-05-20 14:03:11\", \"dateModified\": \"2025-05-21 09:12:40\","
          + " \"subjectId\": 5521, \"subjectOid\": \"OID-5521\", \"subjectKey\": \"12-004\","
          + " \"visitId\": 77310, \"parentRecordId\": 0, \"keywords\": [],"
          + " \"recordData\": %s}";

  private static JsonNode record(String recordData) {
    return json(String.format(RECORD, recordData));
  }

  @Test
  void cleanRecord() throws Exception {
    RecordFlattener.Row row =
        VITALS.flatten(
            record(
                "{\"dateCreated\": \"2025-05-20 14:03:11\", \"VSDAT\": \"2025-05-20\","
                    + " \"SYSBP\": \"128\", \"DIABP\": 84, \"TEMP\": \"36.6\", \"FASTED\": \"Yes\","
                    + " \"VSTIM\": \"2025-05-20T14:00:00Z\", \"VSPOS\": \"1\","
                    + " \"SYMPT\": \"Headache`Nausea\", \"VSCOMM\": \"\", \"vscomm\": \"lower\"}"));
    assertEquals(0, row.unparseableValues());
    assertArrayEquals(
        new Object[] {
          "CARDIO01",
          "VS",
          3101L,
          880123L,
          "REC-880123",
          "SUBJECT",
          "Record Complete",
          5521L,
          "12-004",
          "OID-5521",
          12L,
          40L,
          77310L,
          0L,
          false,
          LocalDateTime.of(2025, 5, 20, 14, 3, 11),
          LocalDateTime.of(2025, 5, 21, 9, 12, 40),
          LocalDate.of(2025, 5, 20),
          128L,
          84L,
          36.6,
          true,
          LocalDateTime.of(2025, 5, 20, 14, 0),
          "1",
          "Headache`Nausea",
          null,
          "lower",
          null,
          "{\"dateCreated\":\"2025-05-20 14:03:11\",\"VSDAT\":\"2025-05-20\",\"SYSBP\":\"128\","
              + "\"DIABP\":84,\"TEMP\":\"36.6\",\"FASTED\":\"Yes\",\"VSTIM\":\"2025-05-20T14:00:00Z\","
              + "\"VSPOS\":\"1\",\"SYMPT\":\"Headache`Nausea\",\"VSCOMM\":\"\",\"vscomm\":\"lower\"}"
        },
        row.values());
  }

  @Test
  void dirtyValuesAreNullAndKeptInParseErrors() throws Exception {
    RecordFlattener.Row row =
        VITALS.flatten(
            json(
                "{\"recordId\": \"880124\", \"siteId\": \"Lakeside\", \"deleted\": \"no\","
                    + " \"dateCreated\": \"2025-05-20T16:03:11+02:00\", \"dateModified\": \"\","
                    + " \"recordData\": {\"VSTIM\": \"2025-05-20 25:00\", \"TEMP\": \"36,6\","
                    + " \"VSDAT\": \"2025-05\", \"SYSBP\": \"12.5\", \"FASTED\": \"maybe\","
                    + " \"VSPOS\": [1, [2, 3]], \"Extra\": {\"k\": null}}}"));
    assertEquals(6, row.unparseableValues());
    assertArrayEquals(
        new Object[] {
          "CARDIO01",
          "VS",
          3101L,
          880124L,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          false,
          LocalDateTime.of(2025, 5, 20, 14, 3, 11),
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          "[1,[2,3]]",
          null,
          null,
          null,
          "{\"site_id\":\"Lakeside\",\"VSDAT\":\"2025-05\",\"SYSBP\":\"12.5\",\"TEMP\":\"36,6\","
              + "\"FASTED\":\"maybe\",\"VSTIM\":\"2025-05-20 25:00\"}",
          "{\"VSTIM\":\"2025-05-20 25:00\",\"TEMP\":\"36,6\",\"VSDAT\":\"2025-05\",\"SYSBP\":\"12.5\","
              + "\"FASTED\":\"maybe\",\"VSPOS\":[1,[2,3]],\"Extra\":{\"k\":null}}"
        },
        row.values());
  }

  @Test
  void nonStringRawValuesAreJsonTextInParseErrors() throws Exception {
    RecordFlattener.Row row =
        VITALS.flatten(
            json(
                "{\"recordId\": 5, \"deleted\": 2, \"recordData\": {\"SYSBP\": [120],"
                    + " \"VSDAT\": 20250520, \"FASTED\": {\"v\": \"y\"}}}"));
    assertEquals(4, row.unparseableValues());
    assertEquals(
        "{\"deleted\":\"2\",\"VSDAT\":\"20250520\",\"SYSBP\":\"[120]\",\"FASTED\":\"{\\\"v\\\":\\\"y\\\"}\"}",
        row.values()[27]);
  }

  @Test
  void missingStudyAndFormKeysComeFromTheTable() throws Exception {
    Object[] row = VITALS.flatten(json("{\"recordId\": 7, \"recordData\": {}}")).values();
    Object[] expected = new Object[29];
    expected[0] = "CARDIO01";
    expected[1] = "VS";
    expected[2] = 3101L;
    expected[3] = 7L;
    expected[28] = "{}";
    assertArrayEquals(expected, row);
  }

  @Test
  void recordValuesWinOverTableKeys() throws Exception {
    Object[] row =
        VITALS
            .flatten(
                json(
                    "{\"recordId\": 7, \"studyKey\": \"OTHER\", \"formKey\": \"vs\","
                        + " \"formId\": 9, \"recordData\": {}}"))
            .values();
    assertEquals("OTHER", row[0]);
    assertEquals("vs", row[1]);
    assertEquals(9L, row[2]);
  }

  @Test
  void variableNamedLikeMetadataReadsRecordData() throws Exception {
    RecordFlattener flattener =
        new RecordFlattener(
            FormSchema.of(form(var(1, "record_id", "integer", null)), false).table());
    Object[] row =
        flattener
            .flatten(json("{\"recordId\": 7, \"recordData\": {\"record_id\": \"99\"}}"))
            .values();
    assertEquals(7L, row[3]);
    assertEquals(99L, row[17]);
    assertEquals("record_id_2", flattener.schema().columns().get(17).name());
  }

  @Test
  void duplicateVariableNamesReadTheSameKey() throws Exception {
    RecordFlattener flattener =
        new RecordFlattener(
            FormSchema.of(form(var(1, "A", "integer", null), var(2, "A", "text", null)), false)
                .table());
    Object[] row =
        flattener.flatten(json("{\"recordId\": 1, \"recordData\": {\"A\": \"3\"}}")).values();
    assertEquals(3L, row[17]);
    assertEquals("3", row[18]);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "[1, 2]| record is not a JSON object but ARRAY",
        "\"text\"| record is not a JSON object but STRING",
        "{\"recordData\": {}}| record has no recordId",
        "{\"recordId\": null, \"recordData\": {}}| record has no recordId",
        "{\"recordId\": \"\", \"recordData\": {}}| record has no recordId",
        "{\"recordId\": \"R-1\", \"recordData\": {}}| recordId is not an integer",
        "{\"recordId\": 1.5, \"recordData\": {}}| recordId is not an integer",
        "{\"recordId\": 5}| record 5 has no recordData object",
        "{\"recordId\": 5, \"recordData\": null}| record 5 has no recordData object (recordData is NULL)",
        "{\"recordId\": 5, \"recordData\": [1]}| record 5 has no recordData object (recordData is ARRAY)",
        "{\"recordId\": 5, \"recordData\": \"{}\"}| record 5 has no recordData object (recordData is STRING)"
      })
  void unprocessableRecords(String recordJson, String message) {
    UnprocessableRecordException e =
        assertThrows(UnprocessableRecordException.class, () -> VITALS.flatten(json(recordJson)));
    assertEquals(message, e.getMessage());
  }
}
