package org.imednet.export.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HttpImednetClientTest {
  private static final String API_KEY = "api-KEY-7f3a9c";
  private static final String SECURITY_KEY = "sec-KEY-b81d22";
  private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");

  private FakeApiServer server;
  private final List<Duration> sleeps = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server = new FakeApiServer();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpImednetClient client(int maxRetries) {
    ApiConfig config =
        ApiConfig.builder()
            .baseUrl(server.baseUrl() + "/api/")
            .apiKey(Secret.of(API_KEY))
            .securityKey(Secret.of(SECURITY_KEY))
            .maxRetries(maxRetries)
            .requestTimeout(Duration.ofSeconds(5))
            .backoff(Duration.ofMillis(500), Duration.ofSeconds(30))
            .pageSize(2)
            .build();
    return HttpImednetClient.create(config, sleeps::add, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  private static String form(int id) {
    return "{\"formId\":" + id + ",\"formKey\":\"F" + id + "\"}";
  }

  private static PageQuery recordsQuery() {
    return PageQuery.of(3, 500, "recordId,ASC", "formId==3101;recordId>1200");
  }

  private static void assertNoKeys(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String text = String.valueOf(t.getMessage()) + t;
      assertFalse(text.contains(API_KEY), "API key leaked: " + text);
      assertFalse(text.contains(SECURITY_KEY), "security key leaked: " + text);
    }
  }

  @Test
  void getPageSendsHeadersPathAndQueryAndParsesThePage() throws Exception {
    server.then(FakeApiServer.json(200, FakeApiServer.page(List.of(form(1), form(2)), 3, 7, 14)));
    try (HttpImednetClient api = client(5)) {
      ApiPage page = api.getPage("CARDIO 01", "records", recordsQuery());
      assertEquals(2, page.data().size());
      assertEquals("F2", page.data().get(1).get("formKey").asText());
      assertEquals(3, page.currentPage());
      assertEquals(7, page.totalPages());
      assertEquals(14, page.totalElements());
    }
    FakeApiServer.Request r = server.requests().get(0);
    assertEquals("/api/v1/edc/studies/CARDIO%2001/records", r.path);
    assertEquals(
        Map.of(
            "page",
            "3",
            "size",
            "500",
            "sort",
            "recordId,ASC",
            "filter",
            "formId==3101;recordId>1200"),
        r.query);
    assertEquals(API_KEY, r.headers.get("x-api-key"));
    assertEquals(SECURITY_KEY, r.headers.get("x-imn-security-key"));
    assertEquals("application/json", r.headers.get("accept"));
  }

  @Test
  void studiesListHasNoStudySegment() throws Exception {
    try (HttpImednetClient api = client(0)) {
      api.getPage(null, "studies", PageQuery.of(0, 10, null, null));
    }
    assertEquals("/api/v1/edc/studies", server.requests().get(0).path);
    assertEquals(Map.of("page", "0", "size", "10"), server.requests().get(0).query);
  }

  @Test
  void retries429HonouringRetryAfterSeconds() throws Exception {
    server
        .then(FakeApiServer.json(429, FakeApiServer.error("slow down"), Map.of("Retry-After", "7")))
        .then(FakeApiServer.json(200, FakeApiServer.page(List.of(form(1)), 0, 1, 1)));
    try (HttpImednetClient api = client(5)) {
      ApiPage page = api.getPage("S", "forms", PageQuery.of(0, 500, null, null));
      assertEquals(1, page.data().size());
      assertEquals(1, api.requestsRetried());
      assertEquals(2, api.requestsSent());
    }
    assertEquals(2, server.requests().size());
    assertEquals(List.of(Duration.ofSeconds(7)), sleeps);
  }

  @Test
  void retries429HonouringRetryAfterHttpDate() throws Exception {
    server
        .then(FakeApiServer.json(429, "", Map.of("Retry-After", "Sun, 01 Mar 2026 10:00:12 GMT")))
        .then(FakeApiServer.json(200, FakeApiServer.page(List.of(), 0, 0, 0)));
    try (HttpImednetClient api = client(5)) {
      api.getPage("S", "forms", PageQuery.of(0, 500, null, null));
    }
    assertEquals(List.of(Duration.ofSeconds(12)), sleeps);
  }

  @Test
  void retryAfterIsCappedByBackoffCap() throws Exception {
    server
        .then(FakeApiServer.json(429, "", Map.of("Retry-After", "3600")))
        .then(FakeApiServer.json(200, FakeApiServer.page(List.of(), 0, 0, 0)));
    try (HttpImednetClient api = client(5)) {
      api.getPage("S", "forms", PageQuery.of(0, 500, null, null));
    }
    assertEquals(List.of(Duration.ofSeconds(30)), sleeps);
  }

  @Test
  void retries5xxAndBrokenBodiesWithJitteredExponentialBackoff() throws Exception {
    server
        .then(FakeApiServer.json(500, FakeApiServer.error("boom")))
        .then(FakeApiServer.json(503, ""))
        .then(FakeApiServer.json(200, "{\"pagination\":{\"totalPages\":1,\"totalEl"))
        .then(FakeApiServer.json(200, "{\"pagination\":{\"totalElements\":1},\"data\":[{}]}"))
        .then(FakeApiServer.json(200, FakeApiServer.page(List.of(form(9)), 0, 1, 1)));
    try (HttpImednetClient api = client(5)) {
      ApiPage page = api.getPage("S", "forms", PageQuery.of(0, 500, null, null));
      assertEquals(9, page.data().get(0).get("formId").asInt());
      assertEquals(4, api.requestsRetried());
    }
    assertEquals(5, server.requests().size());
    assertEquals(4, sleeps.size());
    long[] expectedMaxMillis = {500, 1000, 2000, 4000};
    for (int i = 0; i < 4; i++) {
      long ms = sleeps.get(i).toMillis();
      assertTrue(
          ms >= expectedMaxMillis[i] / 2 && ms <= expectedMaxMillis[i],
          "wait " + i + " was " + ms + " ms");
    }
  }

  @Test
  void retriesConnectionResets() throws Exception {
    // The JDK client itself repeats a GET once when the connection closes without a response, so
    // three resets need at least one retry of ours.
    server
        .then(FakeApiServer.reset())
        .then(FakeApiServer.reset())
        .then(FakeApiServer.reset())
        .then(FakeApiServer.json(200, FakeApiServer.page(List.of(form(4)), 0, 1, 1)));
    try (HttpImednetClient api = client(5)) {
      ApiPage page = api.getPage("S", "forms", PageQuery.of(0, 500, null, null));
      assertEquals(4, page.data().get(0).get("formId").asInt());
      assertTrue(api.requestsRetried() >= 1);
    }
    assertEquals(4, server.requests().size());
  }

  @Test
  void persistentResetsFailWithAnIoError() throws Exception {
    server.otherwise(FakeApiServer.reset());
    try (HttpImednetClient api = client(2)) {
      ImednetApiException e =
          assertThrows(
              ImednetApiException.class,
              () -> api.getPage("S", "forms", PageQuery.of(1, 500, null, null)));
      assertEquals(0, e.httpStatus());
      assertTrue(
          e.getMessage()
              .startsWith(
                  "iMednet API GET study 'S' forms (page 1, size 500) failed after 3 attempts; last error: I/O error: "),
          e.getMessage());
    }
    assertEquals(2, sleeps.size());
  }

  @Test
  void retriesATimeout() throws Exception {
    ApiConfig config =
        ApiConfig.builder()
            .baseUrl(server.baseUrl())
            .apiKey(Secret.of(API_KEY))
            .securityKey(Secret.of(SECURITY_KEY))
            .requestTimeout(Duration.ofMillis(300))
            .build();
    server
        .then(server.stall())
        .then(FakeApiServer.json(200, FakeApiServer.page(List.of(), 0, 0, 0)));
    try (HttpImednetClient api = HttpImednetClient.create(config, sleeps::add, Clock.systemUTC())) {
      api.getPage("S", "forms", PageQuery.of(0, 500, null, null));
      assertEquals(1, api.requestsRetried());
    }
  }

  /**
   * A page that stays malformed fails the request; its body (patient data) never goes into the
   * message, so it is kept byte for byte in the errors directory, under the study, and the message
   * names the file.
   */
  @Test
  void aPageThatStaysMalformedIsKeptInTheErrorsDirectoryNotInTheMessage(@TempDir Path dir)
      throws Exception {
    String body = "{\"pagination\":{\"totalPages\":1,\"totalEl";
    server.otherwise(FakeApiServer.json(200, body));
    ApiConfig config =
        ApiConfig.builder()
            .baseUrl(server.baseUrl())
            .apiKey(Secret.of(API_KEY))
            .securityKey(Secret.of(SECURITY_KEY))
            .maxRetries(1)
            .keepMalformedPagesIn(dir.resolve("malformed-pages").toString())
            .build();
    try (HttpImednetClient api =
        HttpImednetClient.create(config, sleeps::add, Clock.fixed(NOW, ZoneOffset.UTC))) {
      ImednetApiException e =
          assertThrows(
              ImednetApiException.class, () -> api.getPage("../S 1", "records", recordsQuery()));
      List<Path> kept;
      try (var files = Files.walk(dir)) {
        kept = files.filter(Files::isRegularFile).collect(java.util.stream.Collectors.toList());
      }
      assertEquals(1, kept.size(), kept.toString());
      Path file = kept.get(0);
      assertEquals(dir.resolve("malformed-pages").resolve("study=..%2FS+1"), file.getParent());
      assertTrue(
          file.getFileName().toString().matches("records-[0-9a-f]{16}\\.body"), file.toString());
      assertEquals(body, Files.readString(file));
      assertTrue(
          e.getMessage()
              .endsWith(
                  "malformed page: the body is not complete JSON (Unexpected end-of-input in field"
                      + " name); its response body ("
                      + body.length()
                      + " bytes) is kept in "
                      + file),
          e.getMessage());
      assertFalse(e.getMessage().contains("totalEl"), e.getMessage());
      assertNoKeys(e);
    }
    // Without a directory the message says the body was not kept.
    try (HttpImednetClient api = client(0)) {
      ImednetApiException e =
          assertThrows(
              ImednetApiException.class, () -> api.getPage("S", "records", recordsQuery()));
      assertTrue(
          e.getMessage().endsWith("; its response body was not kept (no errors directory given)"),
          e.getMessage());
    }
  }

  @Test
  void malformedPaginationVariantsAreRetriedThenFail() throws Exception {
    String[] broken = {
      "{\"pagination\":{\"totalElements\":1},\"data\":[{}]}",
      "{\"pagination\":{\"totalPages\":-1,\"totalElements\":1},\"data\":[{}]}",
      "{\"pagination\":{\"totalPages\":\"2\",\"totalElements\":1},\"data\":[{}]}",
      "{\"pagination\":{\"totalPages\":1.5,\"totalElements\":1},\"data\":[{}]}",
      "{\"pagination\":{\"totalPages\":0,\"totalElements\":1},\"data\":[{}]}",
      "{\"pagination\":{\"totalPages\":1,\"totalElements\":1}}",
      "{\"data\":[{}]}",
      "[1,2]",
      "{\"pagination\":{\"totalPages\":1,\"totalElements\":1},\"data\":[{}]} trailing",
    };
    for (String body : broken) {
      sleeps.clear();
      server.otherwise(FakeApiServer.json(200, body));
      try (HttpImednetClient api = client(2)) {
        ImednetApiException e =
            assertThrows(
                ImednetApiException.class, () -> api.getPage("S", "records", recordsQuery()), body);
        assertTrue(e.getMessage().contains("malformed page"), e.getMessage());
        assertTrue(e.getMessage().contains("after 3 attempts"), e.getMessage());
        assertEquals(200, e.httpStatus());
        assertEquals(2, sleeps.size());
      }
    }
  }

  @Test
  void unauthorizedFailsAtOnceWithAdviceAndNoKeys() throws Exception {
    server.otherwise(
        FakeApiServer.json(
            401, FakeApiServer.error("Invalid key " + API_KEY + " / " + SECURITY_KEY)));
    try (HttpImednetClient api = client(5)) {
      ImednetApiException e =
          assertThrows(
              ImednetApiException.class, () -> api.getPage("CARDIO01", "records", recordsQuery()));
      assertEquals(401, e.httpStatus());
      assertEquals(
          "iMednet API GET study 'CARDIO01' records (page 3, size 500, sort recordId,ASC, filter"
              + " formId==3101;recordId>1200) failed: HTTP 401: Invalid key **** / ****. The API"
              + " rejected the credentials: check IMEDNET_API_KEY / IMEDNET_SECURITY_KEY",
          e.getMessage());
      assertNoKeys(e);
      assertEquals(0, api.requestsRetried());
    }
    assertEquals(1, server.requests().size());
    assertEquals(List.of(), sleeps);
  }

  @Test
  void notFoundAndForbiddenAndBadRequestFailAtOnce() throws Exception {
    for (int status : new int[] {400, 403, 404}) {
      FakeApiServer s = new FakeApiServer();
      s.otherwise(FakeApiServer.json(status, FakeApiServer.error("Study NOPE not found")));
      ApiConfig config =
          ApiConfig.builder()
              .baseUrl(s.baseUrl())
              .apiKey(Secret.of(API_KEY))
              .securityKey(Secret.of(SECURITY_KEY))
              .build();
      try (s;
          HttpImednetClient api =
              HttpImednetClient.create(config, sleeps::add, Clock.systemUTC())) {
        ImednetApiException e =
            assertThrows(
                ImednetApiException.class,
                () -> api.getPage("NOPE", "forms", PageQuery.of(0, 500, "formId,ASC", null)));
        assertEquals(status, e.httpStatus());
        assertTrue(e.getMessage().contains("study 'NOPE' forms (page 0"), e.getMessage());
        assertTrue(
            e.getMessage().contains("HTTP " + status + ": Study NOPE not found"), e.getMessage());
        assertEquals(1, s.requests().size());
      }
    }
    assertEquals(List.of(), sleeps);
  }

  @Test
  void permanent500FailsAfterTheLastRetryNamingStudyResourcePageAndFilter() throws Exception {
    server.otherwise(FakeApiServer.json(500, FakeApiServer.error("database unavailable")));
    try (HttpImednetClient api = client(3)) {
      ImednetApiException e =
          assertThrows(
              ImednetApiException.class, () -> api.getPage("CARDIO01", "records", recordsQuery()));
      assertEquals(500, e.httpStatus());
      assertEquals(
          "iMednet API GET study 'CARDIO01' records (page 3, size 500, sort recordId,ASC, filter"
              + " formId==3101;recordId>1200) failed after 4 attempts; last error: HTTP 500:"
              + " database unavailable",
          e.getMessage());
      assertNoKeys(e);
    }
    assertEquals(4, server.requests().size());
    assertEquals(3, sleeps.size());
  }

  @Test
  void listAllPagesLazilyWithAnExplicitSortOnThePrimaryId() throws Exception {
    server
        .then(FakeApiServer.json(200, FakeApiServer.page(List.of(form(1), form(2)), 0, 3, 5)))
        .then(FakeApiServer.json(200, FakeApiServer.page(List.of(form(3), form(4)), 1, 3, 5)))
        .then(FakeApiServer.json(200, FakeApiServer.page(List.of(form(5)), 2, 3, 5)));
    List<Integer> ids = new ArrayList<>();
    try (HttpImednetClient api = client(0)) {
      Iterator<JsonNode> it = api.listAll("S", "forms", "formType==Subject");
      assertEquals(1, server.requests().size());
      it.forEachRemaining(n -> ids.add(n.get("formId").asInt()));
    }
    assertEquals(List.of(1, 2, 3, 4, 5), ids);
    List<FakeApiServer.Request> requests = server.requests();
    assertEquals(3, requests.size());
    for (int i = 0; i < 3; i++) {
      assertEquals(
          Map.of(
              "page",
              String.valueOf(i),
              "size",
              "2",
              "sort",
              "formId,ASC",
              "filter",
              "formType==Subject"),
          requests.get(i).query);
    }
  }

  @Test
  void listAllFailureOnALaterPageIsNeverAnEndOfList() throws Exception {
    server
        .then(FakeApiServer.json(200, FakeApiServer.page(List.of(form(1), form(2)), 0, 2, 4)))
        .otherwise(FakeApiServer.json(404, FakeApiServer.error("gone")));
    try (HttpImednetClient api = client(0)) {
      Iterator<JsonNode> it = api.listAll("S", "variables", null);
      it.next();
      it.next();
      UncheckedIOException e = assertThrows(UncheckedIOException.class, it::hasNext);
      assertTrue(
          e.getCause().getMessage().contains("variables (page 1, size 2, sort variableId,ASC)"));
      assertThrows(UncheckedIOException.class, it::hasNext);
    }
  }

  @Test
  void unknownResourceIsRejected() {
    try (HttpImednetClient api = client(0)) {
      assertThrows(IllegalArgumentException.class, () -> api.listAll("S", "queries", null));
    }
  }
}
