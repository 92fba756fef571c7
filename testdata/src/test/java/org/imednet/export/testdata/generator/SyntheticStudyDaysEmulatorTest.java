package org.imednet.export.testdata.generator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.imednet.export.testdata.emulator.FilterExpression;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.imednet.export.testdata.emulator.Resource;
import org.imednet.export.testdata.emulator.Slice;
import org.imednet.export.testdata.emulator.StudyData;
import org.junit.jupiter.api.Test;

/** An incremental read of day 2 through the emulator's {@code dateModified} filter. */
class SyntheticStudyDaysEmulatorTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String CHANGED = "dateModified>=2030-01-02T00:00:00Z";

  @Test
  void keysetPagesOfADateModifiedFilterReturnExactlyTheChangedRecordsOfAForm() throws Exception {
    SyntheticStudyData data =
        new SyntheticStudyData(SyntheticStudySpec.create().withChanges(100, 2));
    int form = 1;
    long first = data.firstRecordOfForm(form);
    List<String> expected = new ArrayList<>();
    for (long i = first; i < first + data.recordsOfForm(form); i++) {
      JsonNode r = data.record(1, i);
      if (r.get("dateModified").asText().compareTo("2030-01-02 00:00:00") >= 0) {
        expected.add(r.toString());
      }
    }
    assertEquals(50_000, data.recordsOfForm(form));
    assertEquals(492, expected.size());
    try (ImednetEmulator emu = ImednetEmulator.builder().data(data).build().start()) {
      JsonNode count = get(emu, "formId==1001;" + CHANGED, 1);
      assertEquals(492, count.at("/pagination/totalElements").asLong());
      List<String> read = new ArrayList<>();
      long after = SyntheticStudyData.FIRST_RECORD_ID;
      int pages = 0;
      while (true) {
        JsonNode page = get(emu, "formId==1001;recordId>" + after + ";" + CHANGED, 200);
        pages++;
        assertEquals(expected.size() - read.size(), page.at("/pagination/totalElements").asLong());
        for (JsonNode r : page.get("data")) {
          read.add(r.toString());
          after = r.get("recordId").asLong();
        }
        if (page.get("data").size() < 200) {
          break;
        }
      }
      assertEquals(3, pages);
      assertEquals(expected, read);
      // The other forms' changes are not in the form's pages, and day 2 has them too.
      assertEquals(
          498, get(emu, "formId==1002;" + CHANGED, 1).at("/pagination/totalElements").asLong());
    }
  }

  /** Two forms of 20,000 records, 5 variables, day 2. */
  private static SyntheticStudyData twoForms() {
    return new SyntheticStudyData(
        SyntheticStudySpec.create()
            .withFormsPerStudy(2)
            .withVariablesPerForm(5)
            .withRecordsPerStudy(40_000)
            .withChanges(100, 2));
  }

  /**
   * Keyset-pages form 1001 from recordId 10,025,000 with the CHANGED filter, 50 per page; returns
   * per page {trees built, records matched without a tree, records written, matchingIds calls}.
   */
  private static List<List<Long>> pageTheChanges(Counting counting) throws Exception {
    List<List<Long>> perPage = new ArrayList<>();
    try (ImednetEmulator emu = ImednetEmulator.builder().data(counting).build().start()) {
      long after = SyntheticStudyData.FIRST_RECORD_ID + 20_000 + 5_000;
      int read = 0;
      while (true) {
        counting.reset();
        JsonNode page = get(emu, "formId==1001;recordId>" + after + ";" + CHANGED, 50);
        assertEquals(146 - read, page.at("/pagination/totalElements").asLong());
        perPage.add(counting.counts());
        JsonNode items = page.get("data");
        read += items.size();
        if (items.size() < 50) {
          break;
        }
        after = items.get(items.size() - 1).get("recordId").asLong();
      }
      assertEquals(146, read);
    }
    return perPage;
  }

  @Test
  void keysetPagesOfTheSyntheticStudyReadOnlyTheirOwnRecords() throws Exception {
    // The form's changes are matched once, from the records' hashes (20,000 records, no tree),
    // and cached; every page is then a binary search plus the text of its own records.
    assertEquals(
        List.of(List.of(0L, 20_000L, 50L, 1L), List.of(0L, 0L, 50L, 0L), List.of(0L, 0L, 46L, 0L)),
        pageTheChanges(new Counting(twoForms(), true, true)));
  }

  @Test
  void keysetPagesOfImmutableDataWithoutFastMatchingTestTheFormOnce() throws Exception {
    // The default matchingIds builds and tests every record of the form once, for the first page.
    assertEquals(
        List.of(List.of(20_000L, 0L, 50L, 1L), List.of(0L, 0L, 50L, 0L), List.of(0L, 0L, 46L, 0L)),
        pageTheChanges(new Counting(twoForms(), true, false)));
  }

  @Test
  void keysetPagesOfMutableDataScanTheRestOfTheFormPerPage() throws Exception {
    // Data that may change (FolderStudyData) is scanned per request, as before: every page reads
    // from its recordId bound to the end of the form (the matches are counted for totalElements).
    // 14,999 = the form's last recordId 10,039,999 minus the first page's bound 10,025,000.
    assertEquals(
        List.of(
            List.of(14_999L, 0L, 0L, 0L), List.of(9_608L, 0L, 0L, 0L), List.of(5_130L, 0L, 0L, 0L)),
        pageTheChanges(new Counting(twoForms(), false, false)));
  }

  private static JsonNode get(ImednetEmulator emu, String filter, int size)
      throws IOException, InterruptedException {
    URI uri =
        URI.create(
            emu.baseUrl()
                + ImednetEmulator.API_PREFIX
                + "/studies/SYN001/records?sort=recordId,ASC&size="
                + size
                + "&filter="
                + URLEncoder.encode(filter, StandardCharsets.UTF_8));
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(uri)
                .header("x-api-key", emu.apiKey())
                .header("x-imn-security-key", emu.securityKey())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return MAPPER.readTree(r.body());
  }

  /**
   * The synthetic study, counting the trees the emulator pulls through {@link #items}, the records
   * {@link #matchingIds} tells without a tree, the records written and the matchingIds calls.
   * {@code immutable} says whether the emulator may cache; {@code fastMatching} whether the
   * synthetic study's own matchingIds is used, or the tree-testing default.
   */
  private static final class Counting implements StudyData {
    private final SyntheticStudyData data;
    private final boolean immutable;
    private final boolean fastMatching;
    private final AtomicLong trees = new AtomicLong();
    private final AtomicLong matched = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong matchingCalls = new AtomicLong();

    Counting(SyntheticStudyData data, boolean immutable, boolean fastMatching) {
      this.data = data;
      this.immutable = immutable;
      this.fastMatching = fastMatching;
    }

    void reset() {
      for (AtomicLong n : List.of(trees, matched, written, matchingCalls)) {
        n.set(0);
      }
    }

    List<Long> counts() {
      return List.of(trees.get(), matched.get(), written.get(), matchingCalls.get());
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
    public Iterator<JsonNode> items(
        String studyKey, Resource resource, Slice slice, long offset, boolean descending) {
      Iterator<JsonNode> items = data.items(studyKey, resource, slice, offset, descending);
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return items.hasNext();
        }

        @Override
        public JsonNode next() {
          trees.incrementAndGet();
          return items.next();
        }
      };
    }

    @Override
    public long count(String studyKey, Resource resource, Slice slice) {
      return data.count(studyKey, resource, slice);
    }

    @Override
    public long[] matchingIds(
        String studyKey, Resource resource, Slice slice, List<FilterExpression.Term> terms) {
      matchingCalls.incrementAndGet();
      if (!fastMatching) {
        return StudyData.super.matchingIds(studyKey, resource, slice, terms);
      }
      matched.addAndGet(data.count(studyKey, resource, slice));
      return data.matchingIds(studyKey, resource, slice, terms);
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
      long n = data.writeItems(out, studyKey, resource, slice, offset, descending, limit);
      written.addAndGet(n);
      return n;
    }

    @Override
    public long writeItems(
        OutputStream out,
        String studyKey,
        Resource resource,
        Long formId,
        long[] ids,
        int from,
        int to,
        boolean descending)
        throws IOException {
      if (!fastMatching) {
        // The default: runs of ids through writeItems(slice), which counts them.
        return StudyData.super.writeItems(
            out, studyKey, resource, formId, ids, from, to, descending);
      }
      long n = data.writeItems(out, studyKey, resource, formId, ids, from, to, descending);
      written.addAndGet(n);
      return n;
    }
  }
}
