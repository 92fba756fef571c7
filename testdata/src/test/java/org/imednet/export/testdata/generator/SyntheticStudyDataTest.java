package org.imednet.export.testdata.generator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.Resource;
import org.imednet.export.testdata.emulator.Slice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticStudyDataTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static SyntheticStudyData small(long seed) {
    return new SyntheticStudyData(
        SyntheticStudySpec.create()
            .withSeed(seed)
            .withStudies(2)
            .withFormsPerStudy(3)
            .withVariablesPerForm(9)
            .withRecordsPerStudy(100));
  }

  @Test
  void sameSeedSameBytesOtherSeedOtherBytes(@TempDir Path dir) throws Exception {
    small(7).writeNdjson(dir.resolve("a.ndjson"));
    small(7).writeNdjson(dir.resolve("b.ndjson"));
    small(8).writeNdjson(dir.resolve("c.ndjson"));
    byte[] a = Files.readAllBytes(dir.resolve("a.ndjson"));
    assertArrayEquals(a, Files.readAllBytes(dir.resolve("b.ndjson")));
    assertFalse(java.util.Arrays.equals(a, Files.readAllBytes(dir.resolve("c.ndjson"))));
    List<String> lines = Files.readAllLines(dir.resolve("a.ndjson"));
    assertEquals(200, lines.size());
    JsonNode first = MAPPER.readTree(lines.get(0));
    assertEquals("SYN001", first.get("studyKey").asText());
    assertEquals(SyntheticStudyData.FIRST_RECORD_ID, first.get("recordId").asLong());
    assertEquals(11, first.get("recordData").size()); // 9 variables + dateCreated/dateModified
    // Same JSON text (numbers read back as int or long nodes, so compare the serialized form).
    assertEquals(small(7).record(1, 0).toString(), first.toString());
  }

  @Test
  void formsGetContiguousIdsAndExactCounts() {
    SyntheticStudyData data = small(1);
    assertEquals(
        List.of(34L, 33L, 33L),
        List.of(data.recordsOfForm(0), data.recordsOfForm(1), data.recordsOfForm(2)));
    long next = SyntheticStudyData.FIRST_RECORD_ID;
    for (int f = 0; f < 3; f++) {
      Slice form = Slice.all().withFormId(SyntheticStudyData.FIRST_FORM_ID + f);
      assertEquals(data.recordsOfForm(f), data.count("SYN002", Resource.RECORDS, form));
      Iterator<JsonNode> it = data.items("SYN002", Resource.RECORDS, form, 0, false);
      while (it.hasNext()) {
        JsonNode r = it.next();
        assertEquals(next++, r.get("recordId").asLong());
        assertEquals(SyntheticStudyData.FIRST_FORM_ID + f, r.get("formId").asLong());
      }
    }
    assertEquals(SyntheticStudyData.FIRST_RECORD_ID + 100, next);
    assertEquals(27, data.count("SYN001", Resource.VARIABLES, Slice.all()));
    assertEquals(9, data.count("SYN001", Resource.VARIABLES, Slice.all().withFormId(1002)));
    assertEquals(0, data.count("SYN001", Resource.RECORDS, Slice.all().withFormId(1003)));
    assertEquals(5, data.count("SYN001", Resource.SUBJECTS, Slice.all()));
    assertEquals(0, data.count("SYN001", Resource.RECORD_REVISIONS, Slice.all()));
    assertFalse(data.hasStudy("SYN003"));
  }

  @Test
  void keysetStartIsConstantTimeOnTenMillionRecords() {
    SyntheticStudyData data =
        new SyntheticStudyData(SyntheticStudySpec.create().withRecordsPerStudy(10_000_000));
    int f = 19;
    long first = SyntheticStudyData.FIRST_RECORD_ID + data.firstRecordOfForm(f);
    assertEquals(500_000, data.recordsOfForm(f));
    Slice keyset =
        Slice.all().withFormId(SyntheticStudyData.FIRST_FORM_ID + f).after(first + 499_990);
    assertEquals(9, data.count("SYN001", Resource.RECORDS, keyset));
    Iterator<JsonNode> it = data.items("SYN001", Resource.RECORDS, keyset, 0, false);
    assertEquals(first + 499_991, it.next().get("recordId").asLong());
    Iterator<JsonNode> last =
        data.items("SYN001", Resource.RECORDS, Slice.all().withFormId(1000 + f), 0, true);
    assertEquals(first + 499_999, last.next().get("recordId").asLong());
  }

  @Test
  void mixesTypesBlanksAndDeletedRecords() {
    SyntheticStudyData data =
        new SyntheticStudyData(
            SyntheticStudySpec.create()
                .withFormsPerStudy(2)
                .withVariablesPerForm(16)
                .withRecordsPerStudy(2000));
    Set<String> types = new HashSet<>();
    data.items("SYN001", Resource.VARIABLES, Slice.all(), 0, false)
        .forEachRemaining(v -> types.add(v.get("variableType").asText()));
    assertTrue(
        types.containsAll(
            List.of(
                "integer", "Number", "date", "DateTime", "Text", "RADIO", "Checkbox", "boolean")),
        types.toString());
    int blanks = 0;
    int deleted = 0;
    for (long i = 0; i < 2000; i++) {
      JsonNode r = data.record(1, i);
      deleted += r.get("deleted").asBoolean() ? 1 : 0;
      for (JsonNode v : r.get("recordData")) {
        blanks += v.asText().isEmpty() ? 1 : 0;
        assertTrue(v.isTextual());
      }
    }
    assertTrue(blanks > 2000 * 16 / 50 && blanks < 2000 * 16 / 10, "blanks " + blanks);
    assertTrue(deleted > 0 && deleted < 60, "deleted " + deleted);
  }

  @Test
  void writeFolderRoundTripsThroughFolderStudyData(@TempDir Path dir) throws Exception {
    SyntheticStudyData data = small(3);
    data.writeFolder(dir);
    FolderStudyData folder = FolderStudyData.load(dir);
    assertEquals(
        List.of("SYN001", "SYN002"),
        List.of(
            folder.studies().get(0).get("studyKey").asText(),
            folder.studies().get(1).get("studyKey").asText()));
    assertEquals(100, folder.count("SYN002", Resource.RECORDS, Slice.all()));
    assertEquals(
        data.record(2, 57).toString(),
        folder.record("SYN002", SyntheticStudyData.FIRST_RECORD_ID + 57).toString());
    assertEquals(25, folder.count("SYN001", Resource.VISITS, Slice.all()));
  }

  @Test
  void specValidationAndParse() {
    assertEquals(
        SyntheticStudySpec.create()
            .withSeed(5)
            .withStudies(2)
            .withFormsPerStudy(3)
            .withVariablesPerForm(4)
            .withRecordsPerStudy(6),
        SyntheticStudySpec.parse("5,2,3,4,6"));
    assertThrows(IllegalArgumentException.class, () -> SyntheticStudySpec.parse("1,2,3"));
    assertThrows(
        IllegalArgumentException.class, () -> SyntheticStudySpec.create().withFormsPerStudy(0));
    assertThrows(
        IllegalArgumentException.class, () -> SyntheticStudySpec.create().withRecordsPerStudy(-1));
  }
}
