package org.imednet.export.flatten;

import static org.imednet.export.flatten.RecordFlattenerTest.VITALS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.imednet.export.model.FormContext;
import org.imednet.export.model.FormInfo;
import org.imednet.export.model.JsonItems;
import org.imednet.export.model.RecordJson;
import org.imednet.export.model.VariableInfo;
import org.imednet.export.testdata.SampleStudies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Flattening a record straight from the API's bytes gives exactly what flattening its tree gives:
 * the same row values (including {@code _record_data} and {@code _parse_errors}), the same count of
 * unparseable values, or the same error.
 */
class RecordFlattenerBytesTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static final String META =
      "\"studyKey\": \"CARDIO01\", \"intervalId\": 40, \"formId\": 3101, \"formKey\": \"VS\","
          + " \"siteId\": 12, \"recordOid\": \"REC-880123\", \"recordType\": \"SUBJECT\","
          + " \"recordStatus\": \"Record Complete\", \"deleted\": false,"
          + " \"dateCreated\": \"2025-05-20 14:03:11\", \"dateModified\": \"2025-05-21 09:12:40\","
          + " \"subjectId\": 5521, \"subjectOid\": \"OID-5521\", \"subjectKey\": \"12-004\","
          + " \"visitId\": 77310, \"parentRecordId\": 0, \"keywords\": [{\"a\": [1, {}]}], ";

  @ParameterizedTest
  @ValueSource(
      strings = {
        // plain, dirty and unicode values; keys that are no column; whitespace kept in the text
        "{"
            + META
            + "\"recordId\": 880123, \"recordData\": {\"VSDAT\": \"2025-05-20\","
            + " \"SYSBP\": \"120\", \"DIABP\": 80, \"TEMP\": \"37,2\", \"FASTED\": \"Y\","
            + " \"VSTIM\": \"2025-05-20 14:03\", \"VSPOS\": 2, \"SYMPT\": [\"A\", \"B\"],"
            + " \"VSCOMM\": \"caf\\u00e9 \\\"q\\\" ✓ 𝄞\", \"vscomm\": \"\", \"OTHER\":"
            + " {\"recordData\": {\"x\": [1, 2]}}}}",
        "{\"recordId\": 5, \"recordData\": {\n  \"SYSBP\" : 1 ,\n\t\"DIABP\":2 } }",
        "{\"recordId\": 5, \"recordData\": {\"SYSBP\": \"1\", \"SYSBP\": \"2\"}}",
        "{\"recordId\": 5, \"recordData\": {\"SYSBP\": [1, 2], \"VSCOMM\": {\"a\": null}}}",
        "{\"recordId\": 5, \"recordData\": {\"SYSBP\": 123456789012345678901234567890,"
            + " \"TEMP\": 1e400, \"DIABP\": -0, \"FASTED\": true, \"VSPOS\": null}}",
        "{\"recordId\": 5, \"recordData\": {\"SYSBP\": 1}, \"recordData\": {\"DIABP\": 2}}",
        "{\"recordId\": 5, \"siteId\": {\"x\": 1}, \"recordData\": {}}",
        "{\"recordId\": 5, \"siteId\": 1, \"siteId\": \"two\", \"recordData\": {}}",
        "{\"recordId\": \"x\", \"recordId\": 7, \"recordData\": {}}",
        "{\"recordId\": 7, \"recordId\": \"x\", \"recordData\": {}}",
        "{\"recordId\": \"12\", \"recordData\": {}}",
        "{\"recordId\": [12], \"recordData\": {}}",
        "{\"recordData\": {}, \"recordId\": 9, \"studyKey\": null, \"formKey\": \"\"}",
        "{\"recordData\": {\"SYSBP\": 1}}",
        "{\"recordId\": null, \"recordData\": {}}",
        "{\"recordId\": 1.5, \"recordData\": {}}",
        "{\"recordId\": 5}",
        "{\"recordId\": 5, \"recordData\": null}",
        "{\"recordId\": 5, \"recordData\": [1]}",
        "{\"recordId\": 5, \"recordData\": \"{}\"}",
        "{}",
        "[1]",
        "\"a record\"",
        "null",
        "3"
      })
  void crafted(String record) throws Exception {
    // Inside an array, so the record does not start at offset 0.
    JsonItems items =
        RecordJson.scanArray(
            ("[ {\"recordId\": 1}, " + record + " ]").getBytes(StandardCharsets.UTF_8));
    assertSameAsTree(VITALS, items, 1);
  }

  /** Every record of every bundled sample study, with variable names and with labels. */
  @Test
  void everySampleRecord() throws Exception {
    int compared = 0;
    for (String study : SampleStudies.keys()) {
      Path dir = SampleStudies.root().resolve(study);
      Map<Long, FormInfo> forms = new HashMap<>();
      for (JsonNode f : MAPPER.readTree(dir.resolve("forms.json").toFile())) {
        forms.put(
            f.get("formId").asLong(),
            new FormInfo(study, f.get("formId").asLong(), f.get("formKey").asText(), null, false));
      }
      Map<Long, List<VariableInfo>> variables = new HashMap<>();
      Path variablesFile = dir.resolve("variables.json");
      if (Files.exists(variablesFile)) {
        for (JsonNode v : MAPPER.readTree(variablesFile.toFile())) {
          variables
              .computeIfAbsent(v.get("formId").asLong(), k -> new ArrayList<>())
              .add(
                  new VariableInfo(
                      v.get("variableId").asLong(),
                      v.get("variableName").asText(),
                      v.path("variableType").isNull() ? null : v.path("variableType").asText(null),
                      v.path("label").isNull() ? null : v.path("label").asText(null),
                      v.path("sequence").asInt(),
                      v.get("formId").asLong(),
                      v.path("disabled").asBoolean(),
                      v.path("deleted").asBoolean()));
        }
      }
      Path recordsFile = dir.resolve("records.json");
      if (!Files.exists(recordsFile)) {
        continue;
      }
      JsonItems records = RecordJson.scanArray(Files.readAllBytes(recordsFile));
      for (boolean labels : new boolean[] {false, true}) {
        Map<Long, RecordFlattener> flatteners = new HashMap<>();
        for (int i = 0; i < records.size(); i++) {
          long formId = records.formId(i).asLong();
          RecordFlattener f =
              flatteners.computeIfAbsent(
                  formId,
                  id ->
                      new RecordFlattener(
                          FormSchema.of(
                                  new FormContext(
                                      forms.get(id), variables.getOrDefault(id, List.of())),
                                  labels)
                              .table()));
          assertSameAsTree(f, records, i);
          compared++;
        }
      }
    }
    assertEquals(2 * 391, compared);
  }

  private static void assertSameAsTree(RecordFlattener f, JsonItems items, int i) {
    byte[] body = items.body();
    int start = items.start(i);
    int length = items.end(i) - start;
    Object tree;
    try {
      tree = f.flatten(RecordJson.readTree(body, start, length));
    } catch (Exception e) {
      tree = e.getClass().getSimpleName() + ": " + e.getMessage();
    }
    Object bytes;
    try {
      bytes = f.flatten(body, start, length);
    } catch (Exception e) {
      bytes = e.getClass().getSimpleName() + ": " + e.getMessage();
    }
    String what = items.text(i);
    if (tree instanceof RecordFlattener.Row) {
      Object got = bytes;
      assertTrue(got instanceof RecordFlattener.Row, () -> what + " -> " + got);
      RecordFlattener.Row t = (RecordFlattener.Row) tree;
      RecordFlattener.Row b = (RecordFlattener.Row) bytes;
      assertArrayEquals(t.values(), b.values(), what);
      assertEquals(t.unparseableValues(), b.unparseableValues(), what);
    } else {
      assertEquals(tree, bytes, what);
    }
  }
}
