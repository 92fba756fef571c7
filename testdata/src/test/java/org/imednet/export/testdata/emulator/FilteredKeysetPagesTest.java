package org.imednet.export.testdata.emulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.generator.SyntheticStudyData;
import org.imednet.export.testdata.generator.SyntheticStudySpec;
import org.junit.jupiter.api.Test;

/**
 * Keyset pages with filter terms beyond {@code formId} and id bounds: answered from {@link
 * StudyData#matchingIds} (cached for immutable data) rather than by scanning the rest of the form,
 * with exactly the bytes and counts of the scan.
 */
class FilteredKeysetPagesTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-03-04T05:06:07Z"), ZoneOffset.UTC);

  /** 3 forms of 5,000 records, 6 variables, day 3 with a change every 20 records per day. */
  private static final SyntheticStudySpec SPEC =
      SyntheticStudySpec.create()
          .withFormsPerStudy(3)
          .withVariablesPerForm(6)
          .withRecordsPerStudy(15_000)
          .withChanges(20, 3);

  /** Path, then query parameters as name, value pairs. */
  private static final List<String[]> SYNTHETIC_QUERIES =
      List.of(
          q("records", "formId==1001;dateModified>=2120-01-02T00:00:00Z", "recordId,ASC", 100, 0),
          q("records", "formId==1001;dateModified>=2120-01-02T00:00:00Z", "recordId,ASC", 100, 3),
          q("records", "formId==1001;dateModified>=2120-01-02T00:00:00Z", "recordId,DESC", 20, 2),
          q("records", "formId==1001;dateModified>=2120-01-02T00:00:00Z", "recordId,ASC", 1, 0),
          q("records", "formId==1001;dateModified>=2120-01-02T00:00:00Z", "recordId,DESC", 1, 0),
          q("records", "formId==1001;dateModified>=2120-01-02T00:00:00Z", "recordId,ASC", 500, 9),
          q(
              "records",
              "formId==1000;recordId>10000100;recordId<=10005000;"
                  + "dateModified>=2024-01-01T00:00:00Z;dateModified<2024-01-01T03:00:00Z",
              "recordId,ASC",
              500,
              0),
          q(
              "records",
              "recordId>=10000005;recordId<10000100;deleted==false;formId==1000",
              "recordId,ASC",
              25,
              1),
          q("records", "formId==1002;deleted==true", "recordId,ASC", 50, 1),
          q("records", "formId==1002;deleted==true", "recordId,DESC", 50, 0),
          q("records", "deleted==true", "recordId,ASC", 500, 0),
          q("records", "deleted==true", "recordId,ASC", 500, 1),
          q("records", "deleted!=false;dateModified>2120-01-02", "recordId,ASC", 500, 0),
          q("records", "dateCreated<=2024-01-01 01:00:00;formId==1000", "recordId,DESC", 40, 0),
          q("records", "dateModified==2120-01-02 12:00:00", "recordId,ASC", 200, 0),
          q("records", "formId==1001;deleted==maybe", "recordId,ASC", 10, 0),
          q("records", "formId==1001;deleted!=maybe", "recordId,ASC", 10, 7),
          q("records", "formId==1001;dateModified>=notadate", "recordId,ASC", 10, 0),
          q("records", "formId==1001;dateModified!=notadate", "recordId,ASC", 10, 0),
          q(
              "records",
              "recordStatus==Record Complete;dateModified>=2120-01-02T00:00:00Z;formId==1002",
              "recordId,ASC",
              30,
              1),
          q("records", "formId==1000;formId==1001;deleted==true", "recordId,ASC", 10, 0),
          q("records", "formId==1999;deleted==true", "recordId,ASC", 10, 0),
          q("records", "formId==1000;recordId>10004990;deleted==false", "recordId,ASC", 500, 0),
          q("records", "formId==1000;recordId>10004999;deleted==false", "recordId,ASC", 500, 0),
          q("records", "deleted==true,dateModified>=2120-01-03", "recordId,ASC", 100, 0),
          q("records", "formId==1001;dateModified>=2120-01-02", "dateModified,DESC", 10, 0),
          q("subjects", "dateModified>=2024-01-02T00:00:00Z", "subjectId,ASC", 100, 1),
          q("visits", "dateCreated<2024-02-01;intervalId==12", "visitId,DESC", 30, 2),
          q("variables", "formId==1001;variableName!=V002_NUMBER", "variableId,ASC", 10, 0));

  private static String[] q(String resource, String filter, String sort, int size, int page) {
    return new String[] {
      resource,
      "filter",
      filter,
      "sort",
      sort,
      "size",
      Integer.toString(size),
      "page",
      Integer.toString(page)
    };
  }

  private static ImednetEmulator emulator(StudyData data) {
    return ImednetEmulator.builder().data(data).clock(CLOCK).build().start();
  }

  @Test
  void syntheticPagesAreTheBytesOfTheScanAndTheTreeMatching() throws Exception {
    SyntheticStudyData data = new SyntheticStudyData(SPEC);
    assertTrue(data.isImmutable());
    try (ImednetEmulator fast = emulator(data);
        ImednetEmulator scan = emulator(new Opaque(data, false));
        ImednetEmulator trees = emulator(new Opaque(data, true))) {
      EmulatorClient scanClient = new EmulatorClient(scan);
      EmulatorClient fastClient = new EmulatorClient(fast);
      EmulatorClient treesClient = new EmulatorClient(trees);
      for (String[] query : SYNTHETIC_QUERIES) {
        String path = "/studies/SYN001/" + query[0];
        String[] params = java.util.Arrays.copyOfRange(query, 1, query.length);
        HttpResponse<String> expected = scanClient.get(path, params);
        assertEquals(200, expected.statusCode(), expected.body());
        assertSame(expected, fastClient.get(path, params), "fast " + query[2]);
        assertSame(expected, treesClient.get(path, params), "trees " + query[2]);
        if (query[0].equals("records")) {
          assertEquals(
              expectedTotal(data, query[2]),
              EmulatorClient.MAPPER
                  .readTree(expected.body())
                  .at("/pagination/totalElements")
                  .asLong(),
              query[2]);
        }
      }
    }
  }

  @Test
  void keysetSequencesOfMixedBoundsAndDateTermsAreTheBytesOfTheScan() throws Exception {
    SyntheticStudyData data = new SyntheticStudyData(SPEC);
    String window = "dateModified>=2120-01-03T00:00:00Z;dateModified<2120-01-04T00:00:00Z";
    try (ImednetEmulator fast = emulator(data);
        ImednetEmulator scan = emulator(new Opaque(data, false))) {
      EmulatorClient f = new EmulatorClient(fast);
      EmulatorClient s = new EmulatorClient(scan);
      // The exporter's ranges: (after, upTo] keyset-paged, both the open and the bounded kind.
      long[][] ranges = {
        {SyntheticStudyData.FIRST_RECORD_ID + 4_999, Long.MAX_VALUE},
        {SyntheticStudyData.FIRST_RECORD_ID + 6_000, SyntheticStudyData.FIRST_RECORD_ID + 8_500}
      };
      for (long[] range : ranges) {
        long after = range[0];
        int read = 0;
        List<Long> ids = new ArrayList<>();
        while (true) {
          String filter =
              "formId==1001;recordId>"
                  + after
                  + (range[1] == Long.MAX_VALUE ? "" : ";recordId<=" + range[1])
                  + ";"
                  + window;
          String[] params = {"filter", filter, "sort", "recordId,ASC", "size", "100"};
          HttpResponse<String> expected = s.get("/studies/SYN001/records", params);
          assertSame(expected, f.get("/studies/SYN001/records", params), filter);
          JsonNode page = EmulatorClient.MAPPER.readTree(expected.body());
          assertEquals(expectedTotal(data, filter), page.at("/pagination/totalElements").asLong());
          for (JsonNode r : page.get("data")) {
            after = r.get("recordId").asLong();
            ids.add(after);
            assertEquals(3, data.lastChangeDay(1, after - SyntheticStudyData.FIRST_RECORD_ID));
          }
          read += page.get("data").size();
          if (page.get("data").size() < 100) {
            break;
          }
        }
        long changedOnDayThree = 0;
        long lo = Math.max(range[0], SyntheticStudyData.FIRST_RECORD_ID + 4_999);
        long hi = Math.min(range[1], SyntheticStudyData.FIRST_RECORD_ID + 9_999);
        for (long id = lo + 1; id <= hi; id++) {
          if (data.lastChangeDay(1, id - SyntheticStudyData.FIRST_RECORD_ID) == 3) {
            changedOnDayThree++;
          }
        }
        assertEquals(changedOnDayThree, read);
        assertTrue(read > 100, "more than one page: " + read);
      }
    }
  }

  @Test
  void folderPagesThroughMatchingIdsAreTheBytesOfTheScan() throws Exception {
    FolderStudyData folder = FolderStudyData.load(SampleStudies.root());
    assertFalse(folder.isImmutable());
    List<String[]> queries =
        List.of(
            new String[] {
              "CARDIO01",
              "formId==3101;dateModified>=2025-04-02T00:00:00Z;dateModified<2025-04-20T00:00:00Z",
              "recordId,ASC",
              "10",
              "1"
            },
            new String[] {"CARDIO01", "deleted==true", "recordId,ASC", "500", "0"},
            new String[] {"CARDIO01", "formId==3100;deleted==false", "recordId,DESC", "4", "2"},
            new String[] {
              "CARDIO01", "formId==3102;recordId>880010;deleted==false", "recordId,ASC", "5", "0"
            },
            new String[] {
              "ONCO-22", "formId==7002;dateModified<2025-02-01", "recordId,ASC", "3", "4"
            },
            new String[] {"ONCO-22", "dateCreated>=2025-01-08", "recordId,DESC", "25", "1"});
    try (ImednetEmulator scan = emulator(folder);
        ImednetEmulator ids = emulator(new Opaque(folder, true))) {
      for (String[] query : queries) {
        String[] params = {
          "filter", query[1], "sort", query[2], "size", query[3], "page", query[4]
        };
        HttpResponse<String> expected =
            new EmulatorClient(scan).get("/studies/" + query[0] + "/records", params);
        assertEquals(200, expected.statusCode(), expected.body());
        JsonNode page = EmulatorClient.MAPPER.readTree(expected.body());
        assertTrue(page.get("data").size() > 0, query[1]);
        assertSame(
            expected, new EmulatorClient(ids).get("/studies/" + query[0] + "/records", params), "");
      }
    }
  }

  @Test
  void aMutatedFolderIsReadAfreshByTheNextRequest() throws Exception {
    FolderStudyData folder = FolderStudyData.load(SampleStudies.root());
    String filter = "formId==3101;dateModified>=2030-01-01T00:00:00Z;dateModified<2030-01-02";
    try (ImednetEmulator emu = emulator(folder)) {
      EmulatorClient c = new EmulatorClient(emu);
      String[] params = {"filter", filter, "sort", "recordId,ASC", "size", "10"};
      assertEquals(
          0, c.json("/studies/CARDIO01/records", params).at("/pagination/totalElements").asLong());
      JsonNode first =
          c.json("/studies/CARDIO01/records", "filter", "formId==3101", "size", "1").at("/data/0");
      ObjectNode changed = (ObjectNode) first.deepCopy();
      changed.put("dateModified", "2030-01-01 10:00:00");
      folder.replaceRecord("CARDIO01", changed);
      JsonNode page = c.json("/studies/CARDIO01/records", params);
      assertEquals(1, page.at("/pagination/totalElements").asLong());
      assertEquals(first.get("recordId"), page.at("/data/0/recordId"));
      folder.removeRecord("CARDIO01", first.get("recordId").asLong());
      assertEquals(
          0, c.json("/studies/CARDIO01/records", params).at("/pagination/totalElements").asLong());
    }
  }

  @Test
  void syntheticMatchingIdsAreTheTreeMatchingIds() {
    SyntheticStudyData data = new SyntheticStudyData(SPEC);
    StudyData trees = new Opaque(data, true);
    Slice[] slices = {
      Slice.all(),
      Slice.all().withFormId(1001),
      Slice.all().withFormId(1002).after(10_011_000).upTo(10_012_000),
      Slice.all().withFormId(1000).after(10_004_990)
    };
    String[] filters = {
      "dateModified>=2120-01-02T00:00:00Z",
      "dateModified<2120-01-03T00:00:00Z;dateModified>2024-01-01 02:00:00",
      "deleted==true",
      "deleted!=true;dateCreated>=2024-01-01T05:00:00+01:00",
      "dateModified==2120-01-03 12:00:00;deleted==false",
      "deleted>false",
      "deleted<=TRUE"
    };
    for (Slice slice : slices) {
      for (String filter : filters) {
        List<FilterExpression.Term> terms = FilterExpression.parse(filter, false).groups().get(0);
        long[] expected = trees.matchingIds("SYN001", Resource.RECORDS, slice, terms);
        assertArrayEquals(
            expected,
            data.matchingIds("SYN001", Resource.RECORDS, slice, terms),
            filter + " " + slice);
      }
    }
  }

  @Test
  void termsAnswerForNumbersAsForTheirNodes() {
    String[] texts = {
      "2024-01-01 00:00:00", "2024-01-01 00:00:01", "2120-01-02 12:00:00", "2120-01-03 11:59:59"
    };
    String[] filters = {
      "a==2120-01-02 12:00:00",
      "a!=2120-01-02T12:00:00Z",
      "a<2120-01-02",
      "a<=2024-01-01T00:00:01Z",
      "a>2024-01-01",
      "a>=2120-01-03T12:00:00+01:00",
      "a==true",
      "a!=FALSE",
      "a<true",
      "a>=false",
      "a==maybe",
      "a!=maybe",
      "a==1"
    };
    for (String filter : filters) {
      FilterExpression.Term t = FilterExpression.parse(filter, false).groups().get(0).get(0);
      for (String text : texts) {
        if (t.isInstant()) {
          long micros = Values.parseTimestampMicros(text);
          assertEquals(t.test(TextNode.valueOf(text)), t.testInstant(micros), filter + " " + text);
        }
      }
      for (boolean b : new boolean[] {true, false}) {
        assertEquals(t.test(BooleanNode.valueOf(b)), t.testBoolean(b), filter + " " + b);
      }
    }
    FilterExpression.Term contains = FilterExpression.parse("a=~RU", true).groups().get(0).get(0);
    assertFalse(contains.isInstant());
    assertEquals(contains.test(BooleanNode.TRUE), contains.testBoolean(true));
    assertEquals(contains.test(BooleanNode.FALSE), contains.testBoolean(false));
  }

  @Test
  void theDefaultMatchingIdsGiveUpOnSharedOrMissingIds() {
    FolderStudyData folder = FolderStudyData.empty();
    ObjectNode study = EmulatorClient.MAPPER.createObjectNode().put("studyKey", "S");
    folder.putStudy(study);
    List<JsonNode> items = new ArrayList<>();
    items.add(EmulatorClient.MAPPER.createObjectNode().put("siteId", 1).put("siteName", "a"));
    items.add(EmulatorClient.MAPPER.createObjectNode().put("siteId", 2).put("siteName", "b"));
    folder.setItems("S", Resource.SITES, items);
    List<FilterExpression.Term> terms =
        FilterExpression.parse("siteName==b", false).groups().get(0);
    assertArrayEquals(new long[] {2}, folder.matchingIds("S", Resource.SITES, Slice.all(), terms));
    items.add(EmulatorClient.MAPPER.createObjectNode().put("siteId", 2).put("siteName", "c"));
    folder.setItems("S", Resource.SITES, items);
    assertNull(folder.matchingIds("S", Resource.SITES, Slice.all(), terms));
    items.remove(2);
    items.add(EmulatorClient.MAPPER.createObjectNode().put("siteId", "3").put("siteName", "b"));
    folder.setItems("S", Resource.SITES, items);
    assertNull(folder.matchingIds("S", Resource.SITES, Slice.all(), terms));
  }

  @Test
  void theCacheKeepsAtMostItsBudgetAndComputesAKeyOnce() {
    MatchingIdsCache cache = new MatchingIdsCache(10);
    List<FilterExpression.Term> a = FilterExpression.parse("deleted==true", false).groups().get(0);
    List<FilterExpression.Term> b = FilterExpression.parse("deleted==false", false).groups().get(0);
    AtomicInteger computed = new AtomicInteger();
    long[] six = {1, 2, 3, 4, 5, 6};
    cache.ids("S", Resource.RECORDS, 1L, a, () -> count(computed, six));
    assertArrayEquals(six, cache.ids("S", Resource.RECORDS, 1L, a, () -> count(computed, null)));
    assertEquals(1, computed.get());
    assertEquals(6, cache.cachedIds());
    // Another form, and other terms, are other keys; the budget of 10 ids evicts the oldest.
    cache.ids("S", Resource.RECORDS, 2L, a, () -> count(computed, six));
    assertEquals(2, computed.get());
    assertEquals(1, cache.size());
    assertEquals(6, cache.cachedIds());
    assertNull(cache.ids("S", Resource.RECORDS, 2L, b, () -> count(computed, null)));
    assertNull(cache.ids("S", Resource.RECORDS, 2L, b, () -> count(computed, six)));
    assertEquals(3, computed.get());
    assertArrayEquals(six, cache.ids("S", Resource.RECORDS, 2L, a, () -> count(computed, null)));
    assertEquals(3, computed.get());
    // One larger than the whole budget serves its request and is not kept.
    long[] eleven = new long[11];
    assertArrayEquals(
        eleven, cache.ids("S", Resource.VISITS, null, a, () -> count(computed, eleven)));
    assertEquals(0, cache.cachedIds());
  }

  private static long[] count(AtomicInteger computed, long[] ids) {
    computed.incrementAndGet();
    return ids;
  }

  /** The records of the study that satisfy every term of the filter's groups, from their trees. */
  private static long expectedTotal(SyntheticStudyData data, String filter) {
    List<List<FilterExpression.Term>> groups = FilterExpression.parse(filter, false).groups();
    long n = 0;
    for (JsonNode r : records(data)) {
      boolean any = false;
      for (List<FilterExpression.Term> group : groups) {
        boolean all = true;
        for (FilterExpression.Term t : group) {
          all &= t.test(r.get(t.attribute()));
        }
        any |= all;
      }
      n += any ? 1 : 0;
    }
    return n;
  }

  private static List<JsonNode> records;

  /** Every record of SPEC's study, as trees (built once). */
  private static synchronized List<JsonNode> records(SyntheticStudyData data) {
    if (records == null) {
      records = new ArrayList<>();
      for (long i = 0; i < SPEC.recordsPerStudy(); i++) {
        records.add(data.record(1, i));
      }
    }
    return records;
  }

  private static void assertSame(
      HttpResponse<String> expected, HttpResponse<String> actual, String what) {
    assertEquals(expected.statusCode(), actual.statusCode(), what);
    assertEquals(
        expected.headers().firstValue("content-length"),
        actual.headers().firstValue("content-length"),
        what);
    assertEquals(expected.body(), actual.body(), what);
  }

  /**
   * Another data set's items through the plain {@link StudyData} methods only: with {@code
   * immutable} false the emulator scans as it did before {@link StudyData#matchingIds} (the
   * reference bytes), with true it pages through the default, tree-tested matching ids.
   */
  private static final class Opaque implements StudyData {
    private final StudyData data;
    private final boolean immutable;

    Opaque(StudyData data, boolean immutable) {
      this.data = data;
      this.immutable = immutable;
    }

    @Override
    public boolean isImmutable() {
      return immutable;
    }

    @Override
    public List<JsonNode> studies() {
      return data.studies();
    }

    @Override
    public boolean hasStudy(String studyKey) {
      return data.hasStudy(studyKey);
    }

    @Override
    public Iterator<JsonNode> items(
        String studyKey, Resource resource, Slice slice, long offset, boolean descending) {
      return data.items(studyKey, resource, slice, offset, descending);
    }

    @Override
    public long count(String studyKey, Resource resource, Slice slice) {
      return data.count(studyKey, resource, slice);
    }

    @Override
    public long writeItems(
        OutputStream out,
        String studyKey,
        Resource resource,
        Slice slice,
        long offset,
        boolean descending,
        long limit)
        throws IOException {
      return data.writeItems(out, studyKey, resource, slice, offset, descending, limit);
    }
  }
}
