package org.imednet.export.testdata.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.imednet.export.testdata.SampleStudies;
import org.junit.jupiter.api.Test;

class FaultPlanTest {
  private static final String RECORDS = "/studies/CARDIO01/records";

  private static ImednetEmulator start(FaultPlan plan) {
    return ImednetEmulator.builder()
        .data(FolderStudyData.load(SampleStudies.root()))
        .faults(plan)
        .workers(2)
        .clock(Clock.fixed(Instant.parse("2025-06-05T21:12:08Z"), ZoneOffset.UTC))
        .build()
        .start();
  }

  private static List<Integer> statuses(ImednetEmulator emu) {
    List<Integer> out = new ArrayList<>();
    emu.requests().forEach(r -> out.add(r.status()));
    return out;
  }

  @Test
  void aQueryRuleCountsAndFaultsOnlyTheRequestsWhoseQueryMatches() throws Exception {
    try (ImednetEmulator emu =
        start(
            FaultPlan.builder()
                .onResource("records")
                .whereQuery("(^|&)size=500(&|$)")
                .nth(2)
                .fault(Fault.status(503))
                .build())) {
      EmulatorClient c = new EmulatorClient(emu);
      c.get(RECORDS, "size", "500");
      c.get(RECORDS, "size", "1");
      c.get(RECORDS, "size", "50");
      c.get(RECORDS, "page", "0", "size", "500", "sort", "recordId,ASC");
      c.get(RECORDS, "size", "500");
      assertEquals(List.of(200, 200, 200, 503, 200), statuses(emu));
    }
  }

  @Test
  void tooManyRequestsWithRetryAfterSecondsOnTheThirdMatchingRequest() throws Exception {
    try (ImednetEmulator emu =
        start(
            FaultPlan.builder()
                .onResource("records")
                .nth(3)
                .fault(Fault.tooManyRequests(Duration.ofSeconds(2)))
                .build())) {
      EmulatorClient c = new EmulatorClient(emu);
      c.get("/studies/CARDIO01/forms");
      c.get(RECORDS);
      c.get(RECORDS);
      HttpResponse<String> third = c.get(RECORDS);
      c.get(RECORDS);
      assertEquals(429, third.statusCode());
      assertEquals("2", third.headers().firstValue("Retry-After").orElse(null));
      assertEquals(List.of(200, 200, 200, 429, 200), statuses(emu));
    }
  }

  @Test
  void tooManyRequestsWithHttpDateAndWithout() throws Exception {
    try (ImednetEmulator emu =
        start(
            FaultPlan.builder()
                .onResource("forms")
                .fault(Fault.tooManyRequestsUntil(Duration.ofSeconds(30)))
                .onResource("sites")
                .fault(Fault.tooManyRequestsWithoutRetryAfter())
                .build())) {
      EmulatorClient c = new EmulatorClient(emu);
      HttpResponse<String> dated = c.get("/studies/CARDIO01/forms");
      assertEquals(429, dated.statusCode());
      assertEquals(
          "Thu, 5 Jun 2025 21:12:38 GMT", dated.headers().firstValue("Retry-After").orElse(null));
      HttpResponse<String> bare = c.get("/studies/CARDIO01/sites");
      assertEquals(429, bare.statusCode());
      assertFalse(bare.headers().firstValue("Retry-After").isPresent());
      assertEquals(
          "ERROR", EmulatorClient.MAPPER.readTree(bare.body()).at("/metadata/status").asText());
    }
  }

  @Test
  void serverErrorsRepeatForTimes() throws Exception {
    try (ImednetEmulator emu =
        start(
            FaultPlan.builder()
                .onPath("/api/v1/edc/studies/[^/]+/variables")
                .nth(2)
                .times(2)
                .fault(Fault.status(503))
                .onResource("studies")
                .times(Long.MAX_VALUE)
                .fault(Fault.status(500))
                .build())) {
      EmulatorClient c = new EmulatorClient(emu);
      for (int i = 0; i < 4; i++) {
        c.get("/studies/ONCO-22/variables");
      }
      for (int i = 0; i < 3; i++) {
        c.get("/studies");
      }
      assertEquals(List.of(200, 503, 503, 200, 500, 500, 500), statuses(emu));
    }
  }

  @Test
  void connectionResetSendsNothing() throws Exception {
    try (ImednetEmulator emu =
        start(
            FaultPlan.builder()
                .onResource("records")
                .times(2)
                .fault(Fault.connectionReset())
                .build())) {
      EmulatorClient c = new EmulatorClient(emu);
      // java.net.http retries an idempotent GET once when the connection closes without a
      // response, hence two resets for one failed call.
      assertThrows(IOException.class, () -> c.get(RECORDS));
      assertEquals(200, c.get(RECORDS).statusCode());
      assertEquals(List.of(0, 0, 200), statuses(emu));
    }
  }

  @Test
  void holdOutlastsTheClientTimeout() throws Exception {
    try (ImednetEmulator emu =
        start(
            FaultPlan.builder()
                .onResource("records")
                .fault(Fault.hold(Duration.ofSeconds(30)))
                .build())) {
      EmulatorClient c = new EmulatorClient(emu);
      assertThrows(
          HttpTimeoutException.class,
          () -> c.send(RECORDS, emu.apiKey(), emu.securityKey(), Duration.ofMillis(300)));
      assertEquals(200, c.get(RECORDS).statusCode());
    }
  }

  @Test
  void truncatedBodyIsMalformedJson() throws Exception {
    try (ImednetEmulator emu =
        start(FaultPlan.builder().onResource("records").fault(Fault.truncatedBody()).build())) {
      EmulatorClient c = new EmulatorClient(emu);
      HttpResponse<String> r = c.get(RECORDS, "size", "10");
      assertEquals(200, r.statusCode());
      assertTrue(r.body().startsWith("{\"metadata\":"));
      assertThrows(JsonProcessingException.class, () -> EmulatorClient.MAPPER.readTree(r.body()));
      EmulatorClient.MAPPER.readTree(c.get(RECORDS, "size", "10").body());
    }
  }

  @Test
  void brokenPagination() throws Exception {
    try (ImednetEmulator emu =
        start(
            FaultPlan.builder()
                .onResource("records")
                .fault(Fault.missingTotalPages())
                .onResource("records")
                .nth(2)
                .fault(Fault.negativeTotalPages())
                .build())) {
      EmulatorClient c = new EmulatorClient(emu);
      JsonNode missing = c.json(RECORDS);
      assertFalse(missing.get("pagination").has("totalPages"));
      assertEquals(191, missing.at("/pagination/totalElements").asInt());
      assertEquals(25, missing.get("data").size());
      assertEquals(-1, c.json(RECORDS).at("/pagination/totalPages").asInt());
      assertEquals(8, c.json(RECORDS).at("/pagination/totalPages").asInt());
    }
  }

  @Test
  void hookRunsBeforeTheNthRequestIsServed() throws Exception {
    FolderStudyData data = FolderStudyData.load(SampleStudies.root());
    ObjectNode added = data.record("CARDIO01", 880191L);
    added.put("recordId", 990001L);
    FaultPlan plan =
        FaultPlan.builder()
            .onResource("records")
            .nth(2)
            .fault(Fault.run(() -> data.addRecord("CARDIO01", added)))
            .build();
    try (ImednetEmulator emu = ImednetEmulator.builder().data(data).faults(plan).build().start()) {
      EmulatorClient c = new EmulatorClient(emu);
      String[] q = {"filter", "formId==3101;recordId>880190", "size", "500"};
      assertEquals(1, c.json(RECORDS, q).at("/pagination/totalElements").asInt());
      JsonNode after = c.json(RECORDS, q);
      assertEquals(2, after.at("/pagination/totalElements").asInt());
      assertEquals(990001L, after.at("/data/1/recordId").asLong());
    }
  }

  @Test
  void requestsPerSecondBudget() throws Exception {
    AtomicLong now = new AtomicLong(5_000_000_000L);
    try (ImednetEmulator emu =
        ImednetEmulator.builder()
            .data(FolderStudyData.load(SampleStudies.root()))
            .requestsPerSecond(2)
            .ticker(now::get)
            .build()
            .start()) {
      EmulatorClient c = new EmulatorClient(emu);
      assertEquals(200, c.get("/studies").statusCode());
      now.addAndGet(400_000_000L);
      assertEquals(200, c.get("/studies").statusCode());
      HttpResponse<String> limited = c.get("/studies");
      assertEquals(429, limited.statusCode());
      assertEquals("1", limited.headers().firstValue("Retry-After").orElse(null));
      now.addAndGet(600_000_000L);
      assertEquals(200, c.get("/studies").statusCode());
    }
  }
}
