package org.imednet.export.testdata.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
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
}
