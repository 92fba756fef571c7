package org.imednet.export.testdata.generator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
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
    assertEquals("5,2,3,4,6", SyntheticStudySpec.parse("5,2,3,4,6").toString());
    assertEquals("42,1,20,30,1000000", SyntheticStudySpec.create().toString());
    assertEquals(SyntheticStudySpec.create(), SyntheticStudySpec.parse("42,1,20,30,1000000,100,1"));
    assertEquals(
        "42,1,20,30,1000000", SyntheticStudySpec.parse("42,1,20,30,1000000,100,1").toString());
  }

  @Test
  void specWithChangesParsesSevenFieldsAndRoundTrips() {
    SyntheticStudySpec spec =
        SyntheticStudySpec.create()
            .withSeed(5)
            .withStudies(2)
            .withFormsPerStudy(3)
            .withVariablesPerForm(4)
            .withRecordsPerStudy(6)
            .withChanges(50, 2);
    assertEquals(spec, SyntheticStudySpec.parse(" 5, 2,3,4,6,50 ,2"));
    assertEquals("5,2,3,4,6,50,2", spec.toString());
    assertEquals(50, spec.changeEvery());
    assertEquals(2, spec.day());
    for (SyntheticStudySpec s :
        List.of(
            spec,
            spec.withChanges(100, 3),
            spec.withChanges(7, 1),
            spec.withChanges(1, SyntheticStudySpec.MAX_DAY))) {
      assertEquals(s, SyntheticStudySpec.parse(s.toString()), s.toString());
    }
    assertEquals("5,2,3,4,6,7,1", spec.withChanges(7, 1).toString());
    assertEquals(1, SyntheticStudySpec.create().day());
    assertEquals(100, SyntheticStudySpec.create().changeEvery());
  }

  @Test
  void specWithChangesRejectsBadValuesByName() {
    assertEquals(
        "changeEvery must be >= 1, was 0",
        assertThrows(
                IllegalArgumentException.class, () -> SyntheticStudySpec.create().withChanges(0, 2))
            .getMessage());
    assertEquals(
        "day must be 1..3650, was 0",
        assertThrows(
                IllegalArgumentException.class,
                () -> SyntheticStudySpec.create().withChanges(100, 0))
            .getMessage());
    assertEquals(
        "day must be 1..3650, was 3651",
        assertThrows(
                IllegalArgumentException.class,
                () -> SyntheticStudySpec.parse("1,1,1,1,1,100,3651"))
            .getMessage());
    assertEquals(
        "expected seed,studies,forms,vars,records or seed,studies,forms,vars,records,changeEvery,day,"
            + " was '1,1,1,1,1,100'",
        assertThrows(
                IllegalArgumentException.class, () -> SyntheticStudySpec.parse("1,1,1,1,1,100"))
            .getMessage());
    assertEquals(
        "expected 7 integers seed,studies,forms,vars,records,changeEvery,day, was '1,1,1,1,1,x,2'",
        assertThrows(
                IllegalArgumentException.class, () -> SyntheticStudySpec.parse("1,1,1,1,1,x,2"))
            .getMessage());
  }

  /** The tree of items() serialized, as the emulator's generic path writes it. */
  private static String viaTrees(Iterator<JsonNode> items, long limit) throws Exception {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
      g.writeStartArray();
      for (long n = 0; n < limit && items.hasNext(); n++) {
        MAPPER.writeTree(g, items.next());
      }
      g.writeEndArray();
    }
    return out.toString();
  }

  private static String direct(
      SyntheticStudyData data,
      String study,
      Resource resource,
      Slice slice,
      long offset,
      boolean descending,
      long limit,
      long expectedCount)
      throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write('[');
    assertEquals(
        expectedCount, data.writeItems(out, study, resource, slice, offset, descending, limit));
    out.write(']');
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void directRecordWriterWritesExactlyTheTreesText() throws Exception {
    assertDirectRecordWriterWritesTheTreesText(SyntheticStudySpec.create().withSeed(11));
  }

  @Test
  void directRecordWriterWritesExactlyTheTreesTextOfLaterDays() throws Exception {
    // One record in 3 changes per day: every branch of a change (deleted or not, a Source
    // Verified keyword, a blank integer) occurs in each form; day 2 also with the default rate.
    SyntheticStudySpec spec = SyntheticStudySpec.create().withSeed(11);
    for (SyntheticStudySpec day :
        List.of(spec.withChanges(100, 2), spec.withChanges(3, 2), spec.withChanges(3, 5))) {
      String all = assertDirectRecordWriterWritesTheTreesText(day);
      assertTrue(all.contains(SyntheticStudyData.changedAt(day.day())), day.toString());
    }
  }

  /** Compares both record writers on 2000 records of 17 variables in 3 forms of 2 studies. */
  private static String assertDirectRecordWriterWritesTheTreesText(SyntheticStudySpec spec)
      throws Exception {
    SyntheticStudyData data =
        new SyntheticStudyData(
            spec.withStudies(2)
                .withFormsPerStudy(3)
                .withVariablesPerForm(17)
                .withRecordsPerStudy(2000));
    StringBuilder written = new StringBuilder();
    for (String study : List.of("SYN001", "SYN002")) {
      for (int f = 0; f < 3; f++) {
        Slice form = Slice.all().withFormId(SyntheticStudyData.FIRST_FORM_ID + f);
        long size = data.recordsOfForm(f);
        String all = direct(data, study, Resource.RECORDS, form, 0, false, Long.MAX_VALUE, size);
        assertEquals(viaTrees(data.items(study, Resource.RECORDS, form, 0, false), size), all);
        written.append(all);
        // The generated text covers every branch: keywords, deleted records, blank values.
        if (f == 0 && study.equals("SYN001")) {
          assertTrue(all.contains("\"keywordName\":\"Source Verified\""));
          assertTrue(all.contains("\"deleted\":true"));
          assertTrue(all.contains("\":\"\""));
        }
      }
    }
    Slice keyset = Slice.all().withFormId(SyntheticStudyData.FIRST_FORM_ID + 1).after(10_000_700L);
    assertEquals(
        viaTrees(data.items("SYN002", Resource.RECORDS, keyset, 3, true), 7),
        direct(data, "SYN002", Resource.RECORDS, keyset, 3, true, 7, 7));
    assertEquals(
        viaTrees(data.items("SYN002", Resource.RECORDS, keyset, 3, false), 500),
        direct(data, "SYN002", Resource.RECORDS, keyset, 3, false, 500, 500));
    assertEquals(633, data.count("SYN002", Resource.RECORDS, keyset));
    assertEquals(
        viaTrees(data.items("SYN002", Resource.RECORDS, keyset, 600, false), 500),
        direct(data, "SYN002", Resource.RECORDS, keyset, 600, false, 500, 33));
    assertEquals("[]", direct(data, "SYN001", Resource.RECORDS, keyset, 10_000, false, 500, 0));
    return written.toString();
  }

  @Test
  void directSubjectAndVisitWritersWriteExactlyTheTreesText() throws Exception {
    // 1 M records: 50,000 subjects (the most a study has) and 250,000 visits, every one compared.
    SyntheticStudyData data =
        new SyntheticStudyData(SyntheticStudySpec.create().withSeed(5).withStudies(2));
    for (Resource r : List.of(Resource.SUBJECTS, Resource.VISITS)) {
      long count = data.count("SYN002", r, Slice.all());
      assertEquals(r == Resource.SUBJECTS ? 50_000 : 250_000, count);
      for (long offset = 0; offset < count; offset += 10_000) {
        assertEquals(
            viaTrees(data.items("SYN002", r, Slice.all(), offset, false), 10_000),
            direct(data, "SYN002", r, Slice.all(), offset, false, 10_000, 10_000),
            r + " from " + offset);
      }
      long first =
          r == Resource.SUBJECTS
              ? SyntheticStudyData.FIRST_SUBJECT_ID
              : SyntheticStudyData.FIRST_VISIT_ID;
      Slice ids = Slice.all().after(first + 7).upTo(first + 30_000);
      assertEquals(
          viaTrees(data.items("SYN001", r, ids, 3, true), 500),
          direct(data, "SYN001", r, ids, 3, true, 500, 500));
    }
  }

  @Test
  void otherResourcesAreWrittenThroughTheirTrees() throws Exception {
    SyntheticStudyData data = small(4);
    for (Resource r :
        List.of(Resource.SITES, Resource.FORMS, Resource.INTERVALS, Resource.VARIABLES)) {
      long count = data.count("SYN001", r, Slice.all());
      assertEquals(
          viaTrees(data.items("SYN001", r, Slice.all(), 1, false), 500),
          direct(data, "SYN001", r, Slice.all(), 1, false, 500, count - 1));
    }
  }

  @Test
  void recordTimestampsAgreeWithJavaTimeInsideAndOutsideTheDayTable() {
    long base = 1_704_067_200L; // 2024-01-01T00:00:00Z
    // 1M records: the table covers 2999 days before the base to a few days after 3M seconds.
    SyntheticStudyData data = new SyntheticStudyData(SyntheticStudySpec.create());
    assertEquals("2024-01-01 00:00:00", data.recordTimestamp(0));
    assertEquals("2024-02-29 23:59:59", data.recordTimestamp(60 * 86400 - 1));
    assertEquals("2023-12-31 23:59:59", data.recordTimestamp(-1));
    // Every day from 1990 to 2150 at a varying time of day, so also far outside the table.
    for (long s = -34 * 365 * 86400L; s < 126 * 365 * 86400L; s += 86400 + 3607) {
      assertEquals(SyntheticStudyData.slowTimestamp(base + s), data.recordTimestamp(s));
    }
    long year999 = java.time.LocalDate.of(999, 6, 1).toEpochDay() * 86400 + 4000 - base;
    assertEquals("999-06-01 01:06:40", data.recordTimestamp(year999));
  }
}
