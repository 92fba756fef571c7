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

  @Test
  void eachKeysetPageScansOnlyTheRecordsAfterItsStart() throws Exception {
    SyntheticStudyData synthetic =
        new SyntheticStudyData(
            SyntheticStudySpec.create()
                .withFormsPerStudy(2)
                .withVariablesPerForm(5)
                .withRecordsPerStudy(40_000)
                .withChanges(100, 2));
    AtomicLong scanned = new AtomicLong();
    StudyData counting = new ScanCounting(synthetic, scanned);
    long lastOfForm = SyntheticStudyData.FIRST_RECORD_ID + 39_999;
    try (ImednetEmulator emu = ImednetEmulator.builder().data(counting).build().start()) {
      long after = SyntheticStudyData.FIRST_RECORD_ID + 20_000 + 5_000;
      List<Long> scannedPerPage = new ArrayList<>();
      List<Long> tails = new ArrayList<>();
      int read = 0;
      while (true) {
        scanned.set(0);
        JsonNode page = get(emu, "formId==1001;recordId>" + after + ";" + CHANGED, 50);
        scannedPerPage.add(scanned.get());
        tails.add(lastOfForm - after);
        JsonNode items = page.get("data");
        read += items.size();
        if (items.size() < 50) {
          break;
        }
        after = items.get(items.size() - 1).get("recordId").asLong();
      }
      assertEquals(146, read);
      // Every page scans from its recordId bound to the end of the form (the emulator counts the
      // matches for totalElements), never from the start of the form.
      assertEquals(tails, scannedPerPage);
      assertEquals(List.of(14_999L, 9_608L, 5_130L), scannedPerPage);
    }
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

  /** The synthetic study, counting the items the emulator pulls through {@link #items}. */
  private static final class ScanCounting implements StudyData {
    private final SyntheticStudyData data;
    private final AtomicLong scanned;

    ScanCounting(SyntheticStudyData data, AtomicLong scanned) {
      this.data = data;
      this.scanned = scanned;
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
          scanned.incrementAndGet();
          return items.next();
        }
      };
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
