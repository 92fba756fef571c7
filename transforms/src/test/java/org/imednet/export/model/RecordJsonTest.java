package org.imednet.export.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

class RecordJsonTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static final String RECORD_DATA =
      "{ \"AGE\" : \"42\",\"NOTE\":\"caf\\u00e9 \\\"q\\\" ✓ 𝄞\",\n"
          + "  \"W\": 70.5, \"N\": null, \"CB\": [\"A\", {\"x\": 1}], \"B\": true}";

  private static final String PAGE =
      "{\"metadata\":{\"status\":\"OK\"},\"pagination\":{\"currentPage\":0,\"totalPages\":1,"
          + "\"totalElements\":2},\"data\":[{\"studyKey\":\"Étude ✓\",\"recordId\":1,"
          + "\"big\":123456789012345678901234567890,\"long\":9007199254740993,\"f\":1.5e3,"
          + "\"keywords\":[{\"keywordName\":\"k\",\"nested\":{\"a\":[1,[2,{\"b\":null}]]}}],"
          + "\"recordData\":"
          + RECORD_DATA
          + "},{\"recordId\":2,\"recordData\":{}}]}";

  @Test
  void buildsTheTreeJacksonBuildsAndKeepsRecordDataTextByteExact() throws Exception {
    byte[] body = PAGE.getBytes(StandardCharsets.UTF_8);
    JsonNode ours = RecordJson.readTree(body);
    JsonNode jacksons = MAPPER.readTree(body);
    assertEquals(jacksons, ours);
    // Same node classes too (int/long/big-integer/double), not only equal values.
    assertEquals(jacksons.at("/data/0/big").getClass(), ours.at("/data/0/big").getClass());
    assertEquals(jacksons.at("/data/0/long").getClass(), ours.at("/data/0/long").getClass());
    assertEquals(jacksons.at("/data/0/f").getClass(), ours.at("/data/0/f").getClass());
    assertEquals(
        jacksons.at("/data/0/recordData/W").getClass(), ours.at("/data/0/recordData/W").getClass());

    SourceJsonObjectNode data =
        assertInstanceOf(SourceJsonObjectNode.class, ours.at("/data/0/recordData"));
    assertEquals(RECORD_DATA, data.sourceJson());
    assertEquals(RECORD_DATA, data.toString());
    assertEquals("{}", ((SourceJsonObjectNode) ours.at("/data/1/recordData")).sourceJson());
    // The text never leaks into the values: they are what Jackson reads.
    assertEquals(MAPPER.readTree(RECORD_DATA), data);
  }

  @Test
  void serialisesRecordDataAsItsSourceAndSurvivesTheCoder() throws Exception {
    JsonNode record = RecordJson.readTree(PAGE.getBytes(StandardCharsets.UTF_8)).at("/data/0");
    String json = MAPPER.writeValueAsString(record);
    assertEquals(true, json.endsWith("\"recordData\":" + RECORD_DATA + "}"), json);

    FormContext form = new FormContext(new FormInfo("S", 7, "F", "Form F", false), List.of());
    RecordPage page = new RecordPage(form, "records page 1", List.of(record));
    RecordPage back = CoderUtils.clone(RecordPageCoder.of(), page);
    assertEquals(page, back);
    assertEquals(
        RECORD_DATA, ((SourceJsonObjectNode) back.records().get(0).get("recordData")).sourceJson());
  }

  /** A list response scanned without trees: each item's exact bytes, its ids, and its tree. */
  @Test
  void scansAListIntoItemRangesWithTheirIds() throws Exception {
    byte[] body = PAGE.getBytes(StandardCharsets.UTF_8);
    RecordJson.ListBody list = RecordJson.scanList(body);
    assertEquals(true, list.isObject());
    assertEquals(MAPPER.readTree(PAGE).get("pagination"), list.pagination());
    assertEquals(true, list.dataIsArray());
    assertEquals(2, list.dataSize());
    assertEquals(true, list.allItemsObjects());
    JsonItems items = list.data();
    assertEquals(2, items.size());
    assertEquals("{\"recordId\":2,\"recordData\":{}}", items.text(1));
    assertEquals(true, items.text(0).startsWith("{\"studyKey\":\"Étude ✓\","), items.text(0));
    assertEquals(MAPPER.readTree(PAGE).at("/data/0"), items.tree(0));
    assertEquals(
        RECORD_DATA, ((SourceJsonObjectNode) items.tree(0).get("recordData")).sourceJson());
    assertEquals(MAPPER.readTree("1"), items.recordId(0));
    assertNull(items.formId(0));

    // The last of repeated keys, as in a tree; objects are counted apart from other items.
    RecordJson.ListBody odd =
        RecordJson.scanList(
            ("{\"data\": [{\"recordId\": 1, \"formId\": 3, \"recordId\": \"x\"}, 7, \"s\","
                    + " [1]], \"data\": [{\"recordId\": 9}, \"tail\"]}")
                .getBytes(StandardCharsets.UTF_8));
    assertEquals(2, odd.dataSize());
    assertEquals(false, odd.allItemsObjects());
    assertEquals(MAPPER.readTree("9"), odd.data().recordId(0));
    assertEquals("\"tail\"", odd.data().text(1));
    RecordJson.ListBody first =
        RecordJson.scanList(
            "{\"data\": [{\"recordId\": 1, \"formId\": 3, \"recordId\": \"x\"}, 7, \"s\"]}"
                .getBytes(StandardCharsets.UTF_8));
    assertEquals(MAPPER.readTree("\"x\""), first.data().recordId(0));
    assertEquals(MAPPER.readTree("3"), first.data().formId(0));
    assertEquals(List.of("7", "\"s\""), List.of(first.data().text(1), first.data().text(2)));

    // Not an object, or no data array: said so, not thrown.
    assertEquals(false, RecordJson.scanList("[1]".getBytes()).isObject());
    assertEquals(false, RecordJson.scanList(new byte[0]).isObject());
    assertEquals(false, RecordJson.scanList("{\"data\": {}}".getBytes()).dataIsArray());
    // Malformed anywhere, even inside an item that is only skipped: thrown as readTree throws.
    assertThrows(
        JsonProcessingException.class,
        () -> RecordJson.scanList("{\"data\":[{\"recordData\":{\"A\":1".getBytes()));
    assertThrows(
        JsonProcessingException.class,
        () -> RecordJson.scanList("{\"data\":[{\"x\":[1,}]}".getBytes()));
    assertThrows(JsonProcessingException.class, () -> RecordJson.scanList("[1,".getBytes()));
    assertThrows(
        JsonProcessingException.class, () -> RecordJson.scanList("{\"data\":[]} x".getBytes()));
  }

  @Test
  void malformedTruncatedTrailingAndEmptyBodies() throws Exception {
    assertThrows(
        JsonProcessingException.class,
        () -> RecordJson.readTree("{\"data\":[{\"recordData\":{\"A\":1".getBytes()));
    assertThrows(
        JsonProcessingException.class,
        () -> RecordJson.readTree("{\"data\":[]} {\"x\":1}".getBytes()));
    assertThrows(
        JsonProcessingException.class, () -> RecordJson.readTree("{\"data\":[}".getBytes()));
    assertNull(RecordJson.readTree(new byte[0]));
    assertNull(RecordJson.readTree("  \n".getBytes()));
    // recordData that is not an object is an ordinary value.
    JsonNode odd = RecordJson.readTree("{\"recordData\":[1,2]}".getBytes());
    assertEquals(MAPPER.readTree("{\"recordData\":[1,2]}"), odd);
  }
}
