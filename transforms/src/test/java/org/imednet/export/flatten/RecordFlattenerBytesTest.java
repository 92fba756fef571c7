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
import java.util.Random;
import org.imednet.export.model.FormContext;
import org.imednet.export.model.FormInfo;
import org.imednet.export.model.JsonItems;
import org.imednet.export.model.RecordJson;
import org.imednet.export.model.VariableInfo;
import org.imednet.export.rows.RowBatch;
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

  /** Tokens for any value: strings of every type's text, dirty ones, and JSON scalars. */
  private static final String[] VALUES = {
    "\"\"",
    "\" \"",
    "\"  12 \"",
    "\"12\"",
    "\"-12\"",
    "\"+12\"",
    "\"12.0\"",
    "\"12.50\"",
    "\"1e3\"",
    "\"1E-2\"",
    "\".5\"",
    "\"5.\"",
    "\"-0\"",
    "\"0\"",
    "\"-0.0\"",
    "\"9223372036854775807\"",
    "\"9223372036854775808\"",
    "\"-9223372036854775808\"",
    "\"12,5\"",
    "\"abc\"",
    "\"Yes\"",
    "\"no\"",
    "\"Y\"",
    "\"n\"",
    "\"TRUE\"",
    "\"False\"",
    "\"1\"",
    "\"2\"",
    "\"2025-05-20\"",
    "\"2025-02-29\"",
    "\"2024-02-29\"",
    "\"2025-13-01\"",
    "\"2025-05\"",
    "\"UNK-05-2025\"",
    "\"2025-05-20 14:03\"",
    "\"2025-05-20T14:03:11\"",
    "\"2025-05-20 14:03:11.123456789\"",
    "\"2025-05-20 14:03:11.1234567890\"",
    "\"2025-05-20 14:03:11Z\"",
    "\"2025-05-20 14:03:11+02:00\"",
    "\"2025-05-20 14:03:11-0530\"",
    "\"2025-05-20 14:03:11+02\"",
    "\"2025-05-20 24:00\"",
    "\"2025-05-20 14:03:\"",
    "\"0000-01-01\"",
    "\"9999-12-31 23:59:59-18:00\"",
    "\"0000-01-01 00:00+01\"",
    "\"café\"",
    "\"✓ 𝄞\"",
    "\"\\u00e9\"",
    "\"a\\\"b\"",
    "\"\\t12\\n\"",
    "\"\\u0031\"",
    "\"123456789012345.5\"",
    "\"0.1\"",
    "\"1234567890123456789\"",
    "\"1.7976931348623157e309\"",
    "\"4.9e-324\"",
    "\"NaN\"",
    "\"Infinity\"",
    "\"0x1A\"",
    "\"1d\"",
    "\" 2025-05-20 \"",
    "\"１２\"",
    "\"yeſ\"",
    "12",
    "-12",
    "0",
    "-0",
    "1",
    "2",
    "1.5",
    "-1.5e3",
    "1e3",
    "12.0",
    "0.1",
    "123456789012345678",
    "-123456789012345678",
    "1234567890123456789",
    "99999999999999999999",
    "9223372036854775807",
    "-9223372036854775808",
    "2147483648",
    "1e400",
    "true",
    "false",
    "null",
    "[]",
    "[1, \"a\"]",
    "{}",
    "{\"a\": null}"
  };

  private static final String[] FIELDS = {
    "studyKey",
    "intervalId",
    "formId",
    "formKey",
    "siteId",
    "recordOid",
    "recordType",
    "recordStatus",
    "deleted",
    "dateCreated",
    "dateModified",
    "subjectId",
    "subjectOid",
    "subjectKey",
    "visitId",
    "parentRecordId",
    "keywords",
    "unknownField"
  };

  private static final String[] VARIABLES = {
    "VSDAT", "SYSBP", "DIABP", "TEMP", "FASTED", "VSTIM", "VSPOS", "SYMPT", "VSCOMM", "vscomm",
    "OTHER"
  };

  /**
   * Random records of every shape the byte path reads itself: any value in any column, keys in any
   * order, some missing or repeated, whitespace between tokens. Most of them must be read without
   * the other paths, and all of them as the tree reads them.
   */
  @Test
  void randomRecords() throws Exception {
    Random random = new Random(7);
    int direct = 0;
    int records = 4000;
    for (int r = 0; r < records; r++) {
      StringBuilder json = new StringBuilder("{");
      List<String> members = new ArrayList<>();
      for (String field : FIELDS) {
        if (random.nextInt(8) != 0) {
          members.add(member(field, random, false));
        }
      }
      if (random.nextInt(20) != 0) {
        members.add("\"recordId\":" + (random.nextInt(20) == 0 ? "\"12\"" : 880000 + r));
      }
      StringBuilder data = new StringBuilder("{");
      for (String variable : VARIABLES) {
        for (int k = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(20) / 19; k > 0; k--) {
          if (data.length() > 1) {
            data.append(space(random)).append(',').append(space(random));
          }
          data.append(member(variable, random, true));
        }
      }
      members.add("\"recordData\":" + space(random) + data + space(random) + "}");
      java.util.Collections.shuffle(members, random);
      json.append(String.join("," + space(random), members)).append('}');
      byte[] page = ("[" + json + "]").getBytes(StandardCharsets.UTF_8);
      JsonItems items = RecordJson.scanArray(page);
      if (VITALS.readsFromBytes(page, items.start(0), items.end(0) - items.start(0))) {
        direct++;
      }
      assertSameAsTree(VITALS, items, 0);
    }
    // Records without recordId (1 in 20), with a text one (1 in 20 of the rest) or with an array
    // or object in a metadata field take the other paths; every other record is read from its
    // bytes.
    int read = direct;
    assertTrue(read > records * 70 / 100, () -> read + " records of " + records + " from bytes");
  }

  private static String member(String name, Random random, boolean containers) {
    // The last four values are an array or object, which a metadata field rarely holds.
    int values = containers || random.nextInt(50) == 0 ? VALUES.length : VALUES.length - 4;
    return "\""
        + name
        + "\""
        + space(random)
        + ":"
        + space(random)
        + VALUES[random.nextInt(values)];
  }

  private static String space(Random random) {
    switch (random.nextInt(6)) {
      case 0:
        return " ";
      case 1:
        return "\n  ";
      default:
        return "";
    }
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
    RowBatch.Builder rows = RowBatch.builder(f.schema(), 1);
    Object into;
    try {
      into = f.flattenInto(body, start, length, rows);
    } catch (Exception e) {
      into = e.getClass().getSimpleName() + ": " + e.getMessage();
    }
    String what = items.text(i);
    if (tree instanceof RecordFlattener.Row) {
      Object got = bytes;
      assertTrue(got instanceof RecordFlattener.Row, () -> what + " -> " + got);
      RecordFlattener.Row t = (RecordFlattener.Row) tree;
      RecordFlattener.Row b = (RecordFlattener.Row) bytes;
      assertArrayEquals(t.values(), b.values(), what);
      assertEquals(t.unparseableValues(), b.unparseableValues(), what);
      assertEquals(t.unparseableValues(), into, what);
      RowBatch written = rows.build();
      assertEquals(1, written.size(), what);
      assertArrayEquals(t.values(), written.rows().get(0), what);
      assertEquals(RowBatch.of(f.schema(), List.<Object[]>of(t.values())), written, what);
    } else {
      assertEquals(tree, bytes, what);
      assertEquals(tree, into, what);
      assertEquals(0, rows.size(), what);
    }
  }
}
