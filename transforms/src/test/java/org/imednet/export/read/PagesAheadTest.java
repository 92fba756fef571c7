package org.imednet.export.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.ApiPage;
import org.imednet.export.api.HttpImednetClient;
import org.imednet.export.api.ImednetApi;
import org.imednet.export.api.Secret;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.Fault;
import org.imednet.export.testdata.emulator.FaultPlan;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PagesAheadTest {
  private final ExecutorService pool = Executors.newFixedThreadPool(3);

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  private static ImednetEmulator emulator(FaultPlan faults) {
    return ImednetEmulator.builder()
        .data(FolderStudyData.load(SampleStudies.root()))
        .credentials("pages-ahead-api-key", "pages-ahead-security-key")
        .port(0)
        .faults(faults)
        .build()
        .start();
  }

  private static ImednetApi client(ImednetEmulator emu, int pageSize) {
    return HttpImednetClient.create(
        ApiConfig.builder()
            .baseUrl(emu.baseUrl())
            .apiKey(Secret.of("pages-ahead-api-key"))
            .securityKey(Secret.of("pages-ahead-security-key"))
            .pageSize(pageSize)
            .maxRetries(0)
            .requestTimeout(Duration.ofSeconds(10))
            .build());
  }

  @Test
  void everyItemArrivesOnceInPageOrder() throws Exception {
    JsonNode visits =
        new ObjectMapper()
            .readTree(SampleStudies.root().resolve("CARDIO01").resolve("visits.json").toFile());
    List<Long> expected = new ArrayList<>();
    visits.forEach(v -> expected.add(v.get("visitId").asLong()));
    expected.sort(null);
    try (ImednetEmulator emu = emulator(FaultPlan.none());
        ImednetApi api = client(emu, 7)) {
      Iterator<ApiPage> it = PagesAhead.pages(api, "CARDIO01", "visits", 7, pool, 3);
      List<Long> ids = new ArrayList<>();
      it.forEachRemaining(page -> page.data().forEach(v -> ids.add(v.get("visitId").asLong())));
      assertEquals(expected, ids);
      // 60 visits in pages of 7: 9 page requests, none twice.
      assertEquals(9, emu.requests().size());
    }
  }

  @Test
  void aFailedPageFailsTheIterationInsteadOfEndingIt() throws Exception {
    FaultPlan faults =
        FaultPlan.builder().onResource("visits").nth(4).times(100).fault(Fault.status(500)).build();
    try (ImednetEmulator emu = emulator(faults);
        ImednetApi api = client(emu, 7)) {
      Iterator<ApiPage> it = PagesAhead.pages(api, "CARDIO01", "visits", 7, pool, 2);
      UncheckedIOException e =
          assertThrows(UncheckedIOException.class, () -> it.forEachRemaining(page -> {}));
      assertTrue(e.getCause().getMessage().contains("visits"), e.getCause().getMessage());
      assertTrue(e.getCause().getMessage().contains("500"), e.getCause().getMessage());
    }
  }
}
