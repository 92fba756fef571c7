package org.imednet.export.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.Resource;
import org.junit.jupiter.api.Test;

/** The counts here are the table in testdata/studies/README.md; keep both in step. */
class SampleStudiesTest {
  private final FolderStudyData data = FolderStudyData.load(SampleStudies.root());

  /** formKey → {not deleted, deleted, variables}, in formId order. */
  private Map<String, List<Integer>> formCounts(String study) {
    Map<String, List<Integer>> out = new LinkedHashMap<>();
    for (JsonNode form : data.list(study, Resource.FORMS)) {
      long formId = form.get("formId").asLong();
      int live = 0;
      int deleted = 0;
      for (JsonNode r : data.list(study, Resource.RECORDS)) {
        if (r.get("formId").asLong() == formId) {
          if (r.get("deleted").asBoolean()) {
            deleted++;
          } else {
            live++;
          }
        }
      }
      int vars = 0;
      for (JsonNode v : data.list(study, Resource.VARIABLES)) {
        vars += v.get("formId").asLong() == formId ? 1 : 0;
      }
      out.put(form.get("formKey").asText(), List.of(live, deleted, vars));
    }
    return out;
  }

  @Test
  void keys() {
    assertEquals(List.of("CARDIO01", "ONCO-22"), SampleStudies.keys());
  }

  @Test
  void cardioCountsMatchReadme() {
    Map<String, List<Integer>> expected = new LinkedHashMap<>();
    expected.put("DM", List.of(14, 1, 6));
    expected.put("VS", List.of(71, 4, 8));
    expected.put("AE LOG", List.of(30, 2, 9));
    expected.put("LB", List.of(66, 3, 8));
    expected.put("CM", List.of(0, 0, 4));
    assertEquals(expected, formCounts("CARDIO01"));
    assertEquals(3, data.list("CARDIO01", Resource.SITES).size());
    assertEquals(15, data.list("CARDIO01", Resource.SUBJECTS).size());
    assertEquals(4, data.list("CARDIO01", Resource.INTERVALS).size());
    assertEquals(60, data.list("CARDIO01", Resource.VISITS).size());
    assertEquals(191, data.list("CARDIO01", Resource.RECORDS).size());
    assertEquals(190, data.list("CARDIO01", Resource.RECORD_REVISIONS).size());
  }

  @Test
  void oncoCountsMatchReadme() {
    Map<String, List<Integer>> expected = new LinkedHashMap<>();
    expected.put("DM", List.of(20, 0, 6));
    expected.put("TU", List.of(40, 0, 4));
    expected.put("TR", List.of(78, 2, 3));
    expected.put("EX", List.of(57, 3, 6));
    expected.put("PREG", List.of(0, 0, 2));
    assertEquals(expected, formCounts("ONCO-22"));
    assertEquals(2, data.list("ONCO-22", Resource.SITES).size());
    assertEquals(20, data.list("ONCO-22", Resource.SUBJECTS).size());
    assertEquals(80, data.list("ONCO-22", Resource.VISITS).size());
    assertEquals(58, data.list("ONCO-22", Resource.RECORD_REVISIONS).size());
  }

  @Test
  void coversEveryVariableTypeOfTheReference() {
    Set<String> types = new HashSet<>();
    for (String study : SampleStudies.keys()) {
      data.list(study, Resource.VARIABLES).forEach(v -> types.add(v.get("variableType").asText()));
    }
    for (String t :
        List.of(
            "Text",
            "Number",
            "Integer",
            "Float",
            "Decimal",
            "Date",
            "DateTime",
            "Date/Time Precision",
            "Coded",
            "Boolean",
            "Yes/No",
            "Checkbox",
            "TextArea",
            "Signature",
            "File",
            "radio",
            "dropdown",
            "memo",
            "upload",
            "RADIO",
            "text",
            "integer",
            "date",
            "time",
            "string",
            "bool")) {
      assertTrue(types.contains(t), t);
    }
  }

  @Test
  void subRecordsPointAtTheirParents() {
    Set<Long> tuIds = new HashSet<>();
    data.list("ONCO-22", Resource.RECORDS).stream()
        .filter(r -> r.get("formKey").asText().equals("TU"))
        .forEach(r -> tuIds.add(r.get("recordId").asLong()));
    long subRecords =
        data.list("ONCO-22", Resource.RECORDS).stream()
            .filter(r -> r.get("formKey").asText().equals("TR"))
            .peek(r -> assertTrue(tuIds.contains(r.get("parentRecordId").asLong())))
            .count();
    assertEquals(80, subRecords);
    JsonNode vs = data.record("CARDIO01", 880041L);
    assertEquals(132, vs.at("/recordData/SYSBP").asInt());
    assertTrue(vs.at("/recordData/DIABP").isNull());
    assertTrue(vs.at("/recordData/dateCreated").isTextual());
    assertEquals("vs", vs.get("formKey").asText().toLowerCase(Locale.ROOT));
  }
}
