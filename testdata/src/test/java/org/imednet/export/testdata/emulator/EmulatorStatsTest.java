package org.imednet.export.testdata.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.imednet.export.testdata.generator.SyntheticStudyData;
import org.imednet.export.testdata.generator.SyntheticStudySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmulatorStatsTest {
  private static final String API_KEY = "k-from-env-0193";
  private static final String SECURITY_KEY = "s-from-env-7741";
  private static final Instant NOW = Instant.parse("2025-06-05T21:12:08Z");

  private static SyntheticStudyData tiny() {
    return new SyntheticStudyData(
        SyntheticStudySpec.create()
            .withFormsPerStudy(2)
            .withVariablesPerForm(3)
            .withRecordsPerStudy(20));
  }

  @Test
  void countsRequestsByStatusWithoutKeepingThem() throws Exception {
    long[] now = {0};
    try (ImednetEmulator emu =
        ImednetEmulator.builder()
            .data(tiny())
            .requestsPerSecond(2)
            .ticker(() -> now[0])
            .clock(Clock.fixed(NOW, ZoneOffset.UTC))
            .recordRequests(false)
            .build()
            .start()) {
      EmulatorClient c = new EmulatorClient(emu);
      assertEquals(200, c.get("/studies/SYN001/records").statusCode());
      assertEquals(200, c.get("/studies/SYN001/forms").statusCode());
      assertEquals(429, c.get("/studies/SYN001/records").statusCode()); // third in the window
      assertEquals(
          401,
          c.send("/studies", "wrong", "wrong", Duration.ofSeconds(20)).statusCode()); // no budget
      assertEquals(List.of(), emu.requests());
      assertEquals(4, emu.requestCount());
      assertEquals(Map.of(200, 2L, 401, 1L, 429, 1L), emu.statusCounts());
      assertEquals("4 requests: 200=2 401=1 429=1", emu.summary());
      long millis = NOW.toEpochMilli();
      assertEquals(
          "{\"requests\": 4, \"status429\": 1, \"statuses\": {\"200\": 2, \"401\": 1, \"429\": 1},"
              + " \"firstRequestMillis\": "
              + millis
              + ", \"lastRequestMillis\": "
              + millis
              + ", \"perSecond\": [4]}",
          emu.statsJson());
    }
  }

  @Test
  void countsRequestsPerSecondSinceTheFirst() throws Exception {
    MutableClock clock = new MutableClock(NOW);
    try (ImednetEmulator emu =
        ImednetEmulator.builder().data(tiny()).clock(clock).recordRequests(false).build().start()) {
      EmulatorClient c = new EmulatorClient(emu);
      c.get("/studies/SYN001/records");
      clock.advanceMillis(999);
      c.get("/studies/SYN001/records"); // still second 0
      clock.advanceMillis(1);
      c.get("/studies/SYN001/forms"); // second 1
      clock.advanceMillis(2_000);
      c.get("/studies/SYN009/records"); // second 3 (a 404 counts too); second 2 had none
      String json = emu.statsJson();
      assertTrue(json.endsWith(", \"perSecond\": [2, 1, 0, 1]}"), json);
    }
  }

  /** A clock the test moves by hand. */
  private static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant start) {
      this.now = start;
    }

    void advanceMillis(long millis) {
      now = now.plusMillis(millis);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  @Test
  void countsSurviveClearRequestsAndStartEmpty() throws Exception {
    try (ImednetEmulator emu = ImednetEmulator.builder().data(tiny()).build().start()) {
      assertEquals(
          "{\"requests\": 0, \"status429\": 0, \"statuses\": {},"
              + " \"firstRequestMillis\": -1, \"lastRequestMillis\": -1, \"perSecond\": []}",
          emu.statsJson());
      new EmulatorClient(emu).get("/studies/SYN009/records");
      emu.clearRequests();
      assertEquals(List.of(), emu.requests());
      assertEquals(Map.of(404, 1L), emu.statusCounts());
    }
  }

  /**
   * The standalone emulator as the benchmark scripts run it: base URL first, SIGTERM prints the
   * summary and writes the stats file.
   */
  @Test
  void mainPrintsTheBaseUrlFirstAndWritesStatsOnSigterm(@TempDir Path dir) throws Exception {
    Path stats = dir.resolve("emulator.stats.json");
    ProcessBuilder pb =
        new ProcessBuilder(
            Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-cp",
            System.getProperty("java.class.path"),
            ImednetEmulator.class.getName(),
            "--synthetic",
            "42,1,2,3,100",
            "--port",
            "0",
            "--rps",
            "1000",
            "--stats-file",
            stats.toString());
    pb.environment().put("EMULATOR_API_KEY", API_KEY);
    pb.environment().put("EMULATOR_SECURITY_KEY", SECURITY_KEY);
    pb.redirectError(dir.resolve("stderr.txt").toFile());
    Process p = pb.start();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String first = out.readLine();
      assertTrue(
          first != null && first.matches("IMEDNET_BASE_URL=http://127\\.0\\.0\\.1:[0-9]+"),
          "first line: " + first);
      String base = first.substring("IMEDNET_BASE_URL=".length());
      HttpClient http = HttpClient.newHttpClient();
      assertEquals(200, get(http, base, API_KEY));
      assertEquals(200, get(http, base, API_KEY));
      assertEquals(401, get(http, base, ImednetEmulator.DEFAULT_API_KEY));
      // SIGTERM through the handle: Process.destroy() would also close our end of stdout.
      assertTrue(p.toHandle().destroy());
      // Read to the end of stdout (the child closes it on exit) before reaping the child.
      List<String> rest = out.lines().collect(Collectors.toList());
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "emulator did not stop on SIGTERM");
      assertEquals(List.of("iMednet emulator served 3 requests: 200=2 401=1"), rest);
    } finally {
      p.destroyForcibly();
    }
    String json = Files.readString(stats);
    assertTrue(
        json.matches(
            "\\{\"requests\": 3, \"status429\": 0, \"statuses\": \\{\"200\": 2, \"401\": 1\\},"
                + " \"firstRequestMillis\": [0-9]+, \"lastRequestMillis\": [0-9]+,"
                + " \"perSecond\": \\[[0-9, ]+\\]\\}\n"),
        json);
    String stderr = Files.readString(dir.resolve("stderr.txt"));
    assertTrue(stderr.contains("credentials from EMULATOR_API_KEY, EMULATOR_SECURITY_KEY"), stderr);
    assertTrue(!stderr.contains(API_KEY) && !stderr.contains(SECURITY_KEY), stderr);
  }

  private static int get(HttpClient http, String base, String apiKey) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(
                URI.create(
                    base
                        + ImednetEmulator.API_PREFIX
                        + "/studies/SYN001/records?size=500&sort=recordId,ASC"
                        + "&filter=formId%3D%3D1001%3BrecordId%3E0"))
            .header("x-api-key", apiKey)
            .header("x-imn-security-key", SECURITY_KEY)
            .timeout(Duration.ofSeconds(20))
            .build();
    return http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
