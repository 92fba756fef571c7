package org.imednet.export.testdata.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.imednet.export.testdata.SampleStudies;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ImednetEmulatorTest {
  private static ImednetEmulator emu;
  private static EmulatorClient client;

  @BeforeAll
  static void start() {
    emu =
        ImednetEmulator.builder()
            .data(FolderStudyData.load(SampleStudies.root()))
            .workers(2)
            .build()
            .start();
    client = new EmulatorClient(emu);
  }

  @AfterAll
  static void stop() {
    emu.close();
  }

  private static List<Long> ids(JsonNode page, String field) {
    List<Long> ids = new ArrayList<>();
    page.get("data").forEach(n -> ids.add(n.get(field).asLong()));
    return ids;
  }

  @Test
  void missingOrWrongCredentialsAre401WithErrorEnvelope() throws Exception {
    HttpResponse<String> none = client.send("/studies", null, null, Duration.ofSeconds(5));
    assertEquals(401, none.statusCode());
    JsonNode body = EmulatorClient.MAPPER.readTree(none.body());
    assertEquals("ERROR", body.at("/metadata/status").asText());
    assertEquals("/api/v1/edc/studies", body.at("/metadata/path").asText());
    assertEquals("9001", body.at("/metadata/error/code").asText());
    assertFalse(body.has("data"));
    HttpResponse<String> wrong =
        client.send("/studies", emu.apiKey(), "wrong", Duration.ofSeconds(5));
    assertEquals(401, wrong.statusCode());
  }

  @Test
  void listsStudiesSortedByKey() throws Exception {
    JsonNode page = client.json("/studies");
    assertEquals("OK", page.at("/metadata/status").asText());
    assertEquals("GET", page.at("/metadata/method").asText());
    assertEquals(2, page.at("/pagination/totalElements").asLong());
    assertEquals(1, page.at("/pagination/totalPages").asLong());
    assertEquals(25, page.at("/pagination/size").asInt());
    assertEquals("studyKey", page.at("/pagination/sort/0/property").asText());
    assertEquals("CARDIO01", page.at("/data/0/studyKey").asText());
    assertEquals("ONCO-22", page.at("/data/1/studyKey").asText());
    assertEquals(0, page.at("/metadata/error").size());
  }

  @Test
  void unknownStudyOrResourceIs404() throws Exception {
    assertEquals(404, client.get("/studies/NOPE/records").statusCode());
    assertEquals(404, client.get("/studies/CARDIO01/queries").statusCode());
  }

  @Test
  void sizeAbove500Is400WithCode1000() throws Exception {
    HttpResponse<String> r = client.get("/studies/CARDIO01/records", "size", "501");
    assertEquals(400, r.statusCode());
    assertEquals(
        "1000", EmulatorClient.MAPPER.readTree(r.body()).at("/metadata/error/code").asText());
    assertEquals(200, client.get("/studies/CARDIO01/records", "size", "500").statusCode());
    assertEquals(400, client.get("/studies/CARDIO01/records", "size", "0").statusCode());
    assertEquals(400, client.get("/studies/CARDIO01/records", "page", "x").statusCode());
  }

  @Test
  void pagesAFormExactly() throws Exception {
    List<Long> all = new ArrayList<>();
    for (int p = 0; p < 4; p++) {
      JsonNode page =
          client.json(
              "/studies/CARDIO01/records",
              "filter",
              "formId==3101",
              "size",
              "25",
              "page",
              Integer.toString(p));
      assertEquals(75, page.at("/pagination/totalElements").asLong());
      assertEquals(3, page.at("/pagination/totalPages").asLong());
      assertEquals(p, page.at("/pagination/currentPage").asInt());
      assertEquals(p < 3 ? 25 : 0, page.get("data").size());
      assertEquals("recordId", page.at("/pagination/sort/0/property").asText());
      assertEquals("ASC", page.at("/pagination/sort/0/direction").asText());
      all.addAll(ids(page, "recordId"));
    }
    assertEquals(75, all.size());
    List<Long> sorted = new ArrayList<>(all);
    sorted.sort(null);
    assertEquals(sorted, all);
    assertEquals(880002L, all.get(0));
    assertEquals(880191L, all.get(74));
  }

  @Test
  void emptyResultHasZeroTotalPages() throws Exception {
    JsonNode page = client.json("/studies/CARDIO01/records", "filter", "formId==3104");
    assertEquals(0, page.at("/pagination/totalPages").asLong());
    assertEquals(0, page.at("/pagination/totalElements").asLong());
    assertEquals(0, page.get("data").size());
  }

  @Test
  void keysetQueryAndDescendingSort() throws Exception {
    JsonNode page =
        client.json(
            "/studies/CARDIO01/records",
            "filter",
            "formId==3101;recordId>880180",
            "sort",
            "recordId,ASC",
            "size",
            "500");
    List<Long> ids = ids(page, "recordId");
    assertTrue(ids.stream().allMatch(i -> i > 880180));
    assertEquals(ids.size(), page.at("/pagination/totalElements").asInt());
    JsonNode last =
        client.json(
            "/studies/CARDIO01/records",
            "filter",
            "formId==3101",
            "sort",
            "recordId,DESC",
            "size",
            "1");
    assertEquals(880191L, last.at("/data/0/recordId").asLong());
    assertEquals(75, last.at("/pagination/totalPages").asLong());
    JsonNode range =
        client.json(
            "/studies/CARDIO01/records",
            "filter",
            "recordId>=880010;recordId<880020",
            "size",
            "100");
    assertEquals(
        List.of(
            880010L, 880011L, 880012L, 880013L, 880014L, 880015L, 880016L, 880017L, 880018L,
            880019L),
        ids(range, "recordId"));
  }

  @Test
  void sortsByOtherPropertiesWithIdTiebreak() throws Exception {
    JsonNode page = client.json("/studies/CARDIO01/sites", "sort", "siteName,DESC");
    assertEquals(List.of(15L, 12L, 14L), ids(page, "siteId"));
    assertEquals("siteName", page.at("/pagination/sort/0/property").asText());
    assertEquals("DESC", page.at("/pagination/sort/0/direction").asText());
    JsonNode twoKeys =
        client.json(
            "/studies/CARDIO01/variables",
            "sort",
            "formId,DESC",
            "sort",
            "variableName,ASC",
            "size",
            "3");
    assertEquals("CMDOSE", twoKeys.at("/data/0/variableName").asText());
    assertEquals("CMONGO", twoKeys.at("/data/1/variableName").asText());
    assertEquals(35, twoKeys.at("/pagination/totalElements").asInt());
  }

  @Test
  void filtersWithQuotedValuesAndOr() throws Exception {
    JsonNode quoted = client.json("/studies/CARDIO01/forms", "filter", "formKey==\"AE LOG\"");
    assertEquals(List.of(3102L), ids(quoted, "formId"));
    JsonNode escaped =
        client.json(
            "/studies/CARDIO01/sites", "filter", "siteName==\"Lakeside \\\"x\\\"\",siteId==14");
    assertEquals(List.of(14L), ids(escaped, "siteId"));
    // ';' binds tighter than ',': (siteId==12 AND siteName==Hillview) OR siteId==15
    JsonNode precedence =
        client.json(
            "/studies/CARDIO01/sites",
            "filter",
            "siteId==12;siteName==\"Hillview Hospital\",siteId==15");
    assertEquals(List.of(15L), ids(precedence, "siteId"));
    JsonNode deleted =
        client.json("/studies/CARDIO01/records", "filter", "deleted==True;formId==3101");
    assertEquals(4, deleted.at("/pagination/totalElements").asInt());
    JsonNode notDeleted =
        client.json("/studies/CARDIO01/records", "filter", "formId==3101;deleted!=true");
    assertEquals(71, notDeleted.at("/pagination/totalElements").asInt());
    assertEquals(400, client.get("/studies/CARDIO01/sites", "filter", "siteId=12").statusCode());
    assertEquals(
        400, client.get("/studies/CARDIO01/sites", "filter", "siteName==\"open").statusCode());
  }

  @Test
  void comparesDatesInBothFormats() throws Exception {
    JsonNode space =
        client.json("/studies/CARDIO01/sites", "filter", "dateModified>\"2025-03-10 08:30:00\"");
    assertEquals(List.of(14L, 15L), ids(space, "siteId"));
    JsonNode iso =
        client.json("/studies/CARDIO01/sites", "filter", "dateModified>=2025-03-10T08:30:00Z");
    assertEquals(List.of(12L, 14L, 15L), ids(iso, "siteId"));
    JsonNode day = client.json("/studies/CARDIO01/sites", "filter", "dateCreated<2025-03-04");
    assertEquals(List.of(12L), ids(day, "siteId"));
  }

  @Test
  void recordDataFilterSupportsContainsBothSpellings() throws Exception {
    JsonNode eq =
        client.json("/studies/CARDIO01/records", "recordDataFilter", "LBTEST==HGB", "size", "500");
    JsonNode contains =
        client.json("/studies/CARDIO01/records", "recordDataFilter", "LBTEST=~hg", "size", "500");
    JsonNode alt =
        client.json("/studies/CARDIO01/records", "recordDataFilter", "LBTEST~=HG", "size", "500");
    assertTrue(eq.at("/pagination/totalElements").asInt() > 0);
    assertEquals(ids(eq, "recordId"), ids(contains, "recordId"));
    assertEquals(ids(eq, "recordId"), ids(alt, "recordId"));
    JsonNode numeric =
        client.json(
            "/studies/CARDIO01/records",
            "filter",
            "formId==3101",
            "recordDataFilter",
            "SYSBP>=140",
            "size",
            "500");
    for (JsonNode r : numeric.get("data")) {
      assertTrue(r.at("/recordData/SYSBP").asDouble() >= 140, r.toString());
    }
    assertEquals(
        400, client.get("/studies/CARDIO01/records", "filter", "formKey=~AE").statusCode());
  }

  @Test
  void unknownFilterAttributesIgnoredByDefaultAndRejectedOnRequest() throws Exception {
    JsonNode ignored =
        client.json(
            "/studies/CARDIO01/variables",
            "filter",
            "variableNames==AGE,variableNames==SEX;formIds==3100",
            "size",
            "500");
    assertEquals(35, ignored.at("/pagination/totalElements").asInt());
    JsonNode mixed =
        client.json("/studies/CARDIO01/variables", "filter", "formIds==1;formId==3100");
    assertEquals(6, mixed.at("/pagination/totalElements").asInt());
    try (ImednetEmulator strict =
        ImednetEmulator.builder()
            .data(FolderStudyData.load(SampleStudies.root()))
            .unknownFilterAttributes(ImednetEmulator.UnknownFilterAttributes.REJECT)
            .build()
            .start()) {
      HttpResponse<String> r =
          new EmulatorClient(strict).get("/studies/CARDIO01/variables", "filter", "formIds==3100");
      assertEquals(400, r.statusCode());
      JsonNode body = EmulatorClient.MAPPER.readTree(r.body());
      assertEquals("1000", body.at("/metadata/error/code").asText());
      assertTrue(body.at("/metadata/error/message").asText().contains("formIds"));
      assertEquals(
          200,
          new EmulatorClient(strict)
              .get("/studies/CARDIO01/variables", "filter", "formId==3100")
              .statusCode());
    }
  }

  @Test
  void recordsRequestsWithStatus() throws Exception {
    try (ImednetEmulator own =
        ImednetEmulator.builder()
            .data(FolderStudyData.load(SampleStudies.root()))
            .build()
            .start()) {
      EmulatorClient c = new EmulatorClient(own);
      c.get("/studies/ONCO-22/forms", "size", "2");
      c.send("/studies", null, null, Duration.ofSeconds(5));
      List<ImednetEmulator.RecordedRequest> reqs = own.requests();
      assertEquals(2, reqs.size());
      assertEquals("/api/v1/edc/studies/ONCO-22/forms", reqs.get(0).path());
      assertEquals("size=2", reqs.get(0).rawQuery());
      assertEquals("2", reqs.get(0).param("size"));
      assertEquals(200, reqs.get(0).status());
      assertEquals(401, reqs.get(1).status());
    }
  }
}
