package org.imednet.export.testdata.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.imednet.export.testdata.generator.SyntheticStudyData;
import org.imednet.export.testdata.generator.SyntheticStudySpec;
import org.junit.jupiter.api.Test;

class SyntheticEmulatorTest {

  @Test
  void keysetPagesAFormOfTheSyntheticStudy() throws Exception {
    SyntheticStudyData data =
        new SyntheticStudyData(
            SyntheticStudySpec.create()
                .withFormsPerStudy(4)
                .withVariablesPerForm(5)
                .withRecordsPerStudy(10_000_000));
    try (ImednetEmulator emu = ImednetEmulator.builder().data(data).build().start()) {
      EmulatorClient c = new EmulatorClient(emu);
      long first = SyntheticStudyData.FIRST_RECORD_ID + data.firstRecordOfForm(3);
      long last = first + data.recordsOfForm(3) - 1;
      JsonNode top =
          c.json(
              "/studies/SYN001/records",
              "filter",
              "formId==1003",
              "sort",
              "recordId,DESC",
              "size",
              "1");
      assertEquals(last, top.at("/data/0/recordId").asLong());
      assertEquals(2_500_000, top.at("/pagination/totalElements").asLong());
      long after = last - 1200;
      int pages = 0;
      long expected = after + 1;
      while (true) {
        JsonNode page =
            c.json(
                "/studies/SYN001/records",
                "filter",
                "formId==1003;recordId>" + after,
                "sort",
                "recordId,ASC",
                "size",
                "500");
        pages++;
        for (JsonNode r : page.get("data")) {
          assertEquals(expected++, r.get("recordId").asLong());
        }
        if (page.get("data").size() < 500) {
          break;
        }
        after = expected - 1;
      }
      assertEquals(3, pages);
      assertEquals(last + 1, expected);
    }
  }

  private static String recordsText(SyntheticStudyData data, long fromIndex, int n) {
    StringBuilder b = new StringBuilder("[");
    for (int k = 0; k < n; k++) {
      b.append(k == 0 ? "" : ",").append(data.record(1, fromIndex + k).toString());
    }
    return b.append(']').toString();
  }

  @Test
  void keysetPageIsTheRecordsTextSentWithContentLength() throws Exception {
    SyntheticStudyData data =
        new SyntheticStudyData(
            SyntheticStudySpec.create()
                .withFormsPerStudy(3)
                .withVariablesPerForm(30)
                .withRecordsPerStudy(3000));
    try (ImednetEmulator emu = ImednetEmulator.builder().data(data).build().start()) {
      EmulatorClient c = new EmulatorClient(emu);
      long first = SyntheticStudyData.FIRST_RECORD_ID + data.firstRecordOfForm(1);
      HttpResponse<String> r =
          c.get(
              "/studies/SYN001/records",
              "filter",
              "formId==1001;recordId>" + (first + 9),
              "sort",
              "recordId,ASC",
              "size",
              "500");
      assertEquals(200, r.statusCode());
      assertEquals(
          String.valueOf(r.body().getBytes(StandardCharsets.UTF_8).length),
          r.headers().firstValue("Content-Length").orElse("none"));
      JsonNode page = EmulatorClient.MAPPER.readTree(r.body());
      assertEquals(990, page.at("/pagination/totalElements").asLong());
      assertEquals(
          recordsText(data, data.firstRecordOfForm(1) + 10, 500), page.get("data").toString());
      assertEquals(Map.of(200, 1L), emu.statusCounts());
    }
  }

  @Test
  void pageBeyondTheBufferIsStreamedChunked() throws Exception {
    // 60 records of 4000 variables: about 6 MB, over the 2 MB page buffer.
    SyntheticStudyData data =
        new SyntheticStudyData(
            SyntheticStudySpec.create()
                .withFormsPerStudy(1)
                .withVariablesPerForm(4000)
                .withRecordsPerStudy(60));
    try (ImednetEmulator emu = ImednetEmulator.builder().data(data).build().start()) {
      HttpResponse<String> r =
          new EmulatorClient(emu)
              .get("/studies/SYN001/records", "filter", "formId==1000", "size", "500");
      assertEquals(200, r.statusCode());
      assertTrue(r.body().length() > 3 << 20, "body " + r.body().length());
      assertEquals(Optional.empty(), r.headers().firstValue("Content-Length"));
      assertEquals("chunked", r.headers().firstValue("Transfer-Encoding").orElse("none"));
      assertEquals(
          recordsText(data, 0, 60),
          EmulatorClient.MAPPER.readTree(r.body()).get("data").toString());
    }
  }

  @Test
  void failureWhileWritingAPageIsA500NotAHalfPage() throws Exception {
    SyntheticStudyData synthetic =
        new SyntheticStudyData(
            SyntheticStudySpec.create().withFormsPerStudy(1).withRecordsPerStudy(100));
    StudyData failing =
        new StudyData() {
          @Override
          public List<JsonNode> studies() {
            return synthetic.studies();
          }

          @Override
          public Iterator<JsonNode> items(
              String studyKey, Resource resource, Slice slice, long offset, boolean descending) {
            return synthetic.items(studyKey, resource, slice, offset, descending);
          }

          @Override
          public long count(String studyKey, Resource resource, Slice slice) {
            return synthetic.count(studyKey, resource, slice);
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
            synthetic.writeItems(out, studyKey, resource, slice, offset, descending, 3);
            throw new IllegalStateException("broken after 3 records");
          }
        };
    try (ImednetEmulator emu = ImednetEmulator.builder().data(failing).build().start()) {
      HttpResponse<String> r = new EmulatorClient(emu).get("/studies/SYN001/records", "size", "10");
      assertEquals(500, r.statusCode());
      JsonNode body = EmulatorClient.MAPPER.readTree(r.body());
      assertEquals("ERROR", body.at("/metadata/status").asText());
      assertEquals(
          "emulator failure: java.lang.IllegalStateException: broken after 3 records",
          body.at("/metadata/error/message").asText());
      assertEquals(Map.of(500, 1L), emu.statusCounts());
    }
  }
}
