package org.imednet.export.testdata.emulator;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.imednet.export.testdata.emulator.EmulatorHttpServer.Exchange;
import org.imednet.export.testdata.generator.SyntheticStudyData;
import org.imednet.export.testdata.generator.SyntheticStudySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local iMednet EDC API: {@code GET /api/v1/edc/studies} and {@code GET
 * /api/v1/edc/studies/{studyKey}/{sites|forms|intervals|variables|subjects|visits|records|recordRevisions}},
 * served from a {@link StudyData} on 127.0.0.1 (by an {@link EmulatorHttpServer}: a thread per
 * connection, at most {@link Builder#workers} requests handled at once).
 *
 * <pre>{@code
 * try (ImednetEmulator emu = ImednetEmulator.builder()
 *     .data(FolderStudyData.load(SampleStudies.root()))
 *     .faults(FaultPlan.builder().onResource("records").nth(2).fault(Fault.status(503)).build())
 *     .build()
 *     .start()) {
 *   String base = emu.baseUrl();   // http://127.0.0.1:PORT; the API lives under /api/v1/edc
 *   ...
 *   assertEquals(503, emu.requests().get(3).status());
 * }
 * }</pre>
 *
 * <p>Behaviour, as mednet.yaml and the reference describe the real API:
 *
 * <ul>
 *   <li>{@code x-api-key} and {@code x-imn-security-key} must match the configured credentials,
 *       else 401. An unknown study or path is 404, another method than GET 405.
 *   <li>{@code page} is 0-based (default 0), {@code size} defaults to 25 and must be 1..500 (else
 *       400 with {@code metadata.error.code "1000"}). {@code sort=prop,ASC|DESC} is repeatable; the
 *       default is the primary id ascending ({@code studyKey} for studies), always echoed in {@code
 *       pagination.sort}. {@code totalPages} is {@code ceil(totalElements/size)}, 0 when empty.
 *   <li>{@code filter} and {@code recordDataFilter} follow {@link FilterExpression} ({@code ;}
 *       binds tighter than {@code ,}). Attributes mednet.yaml does not declare for the resource
 *       (e.g. {@code variableNames}, {@code formIds}) are ignored (the term counts as true) or
 *       rejected with 400, see {@link Builder#unknownFilterAttributes}.
 *   <li>A page is written into a per-thread buffer and sent with {@code Content-Length} in one
 *       write (a page over 2 MB is streamed chunked); connections are kept alive and {@code
 *       TCP_NODELAY} is on. The keyset path below lets the {@link StudyData} write its items as
 *       text ({@link StudyData#writeItems}), so {@link
 *       org.imednet.export.testdata.generator.SyntheticStudyData} serves 1 M records of 30
 *       variables in 500-record pages, with the 600 pages of their subjects and visits, for 4 to 6
 *       CPU-s of its JVM in all on a loaded 2-core machine, start-up and JIT included (EmulatorLoad
 *       in the test sources measures it; EmulatorThroughput the serving threads alone, about 1.5
 *       CPU-µs per record).
 *   <li>Queries whose filter is an AND of {@code formId==F} and primary-id bounds, sorted by the
 *       primary id, are answered by index (see {@link Slice}): the exporter's keyset reads never
 *       scan. With further AND terms ({@code formId==F;recordId>X;dateModified>=T;dateModified<U},
 *       the incremental reads) and no {@code recordDataFilter}, data that {@link
 *       StudyData#isImmutable is immutable} answers from the ids of the form's matching items
 *       ({@link StudyData#matchingIds}, computed once per study, resource, form and terms and
 *       cached), so each page costs a binary search plus its own items. Any other query, and any
 *       query of mutable data such as {@link FolderStudyData}, scans the study's items of that
 *       resource (from the slice's start to its end: every match is counted for {@code
 *       totalElements}).
 * </ul>
 *
 * <p>Every request is recorded ({@link #requests()}, unless {@link Builder#recordRequests} is off)
 * with the status sent (0 for a reset connection) and counted ({@link #statusCounts()}, {@link
 * #statsJson()}). Faults from the {@link FaultPlan} apply before authentication; the {@code
 * requestsPerSecond} budget answers 429 with {@code Retry-After} once a one-second window is used.
 */
public final class ImednetEmulator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ImednetEmulator.class);

  /** The path prefix of every endpoint. */
  public static final String API_PREFIX = "/api/v1/edc";

  public static final String DEFAULT_API_KEY = "emulator-api-key";
  public static final String DEFAULT_SECURITY_KEY = "emulator-security-key";
  public static final int MAX_PAGE_SIZE = 500;
  public static final int DEFAULT_PAGE_SIZE = 25;

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonFactory JSON = MAPPER.getFactory();

  /**
   * At most this many ids (8 bytes each) of filtered keyset queries are cached for immutable data
   * ({@link StudyData#matchingIds}); a form larger than that is matched per request.
   */
  static final long MAX_CACHED_IDS = 8_000_000;

  /** Pages up to this size are sent with Content-Length from a per-thread buffer. */
  private static final int MAX_BUFFERED_PAGE = 2 << 20;

  private static final ThreadLocal<byte[]> PAGE_BUFFER =
      ThreadLocal.withInitial(() -> new byte[1 << 16]);
  private static final PerSecondText TIMESTAMP =
      new PerSecondText(
          DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC));

  /** What to do with filter attributes mednet.yaml does not declare for the resource. */
  public enum UnknownFilterAttributes {
    /** The term is treated as true (the default; what a lenient server would do). */
    IGNORE,
    /** 400 with {@code metadata.error.code "1000"}. */
    REJECT
  }

  /** One request as the emulator saw it. */
  public static final class RecordedRequest {
    private final String method;
    private final String path;
    private final String rawQuery;
    private final int status;

    RecordedRequest(String method, String path, String rawQuery, int status) {
      this.method = method;
      this.path = path;
      this.rawQuery = rawQuery;
      this.status = status;
    }

    public String method() {
      return method;
    }

    /** The decoded path, e.g. {@code /api/v1/edc/studies/CARDIO01/records}. */
    public String path() {
      return path;
    }

    /** The raw (still encoded) query string, or {@code ""}. */
    public String rawQuery() {
      return rawQuery;
    }

    /** The decoded value of the first query parameter {@code name}, or null. */
    public String param(String name) {
      List<String> values = parseQuery(rawQuery).get(name);
      return values == null ? null : values.get(0);
    }

    /** The status sent; 0 when the connection was closed without a response. */
    public int status() {
      return status;
    }

    @Override
    public String toString() {
      return method + " " + path + (rawQuery.isEmpty() ? "" : "?" + rawQuery) + " -> " + status;
    }
  }

  private final StudyData data;
  private final String apiKey;
  private final String securityKey;
  private final int requestedPort;
  private final Duration latency;
  private final int requestsPerSecond;
  private final FaultPlan faults;
  private final UnknownFilterAttributes unknownAttributes;
  private final int workers;
  private final Clock clock;
  private final LongSupplier ticker;
  private final boolean recordRequests;
  private final MatchingIdsCache matchingIds = new MatchingIdsCache(MAX_CACHED_IDS);
  private final List<RecordedRequest> requests = Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong requestCount = new AtomicLong();
  private final Map<Integer, LongAdder> statusCounts = new ConcurrentHashMap<>();
  private final AtomicLong firstRequestMillis = new AtomicLong(-1);
  private final ConcurrentSkipListMap<Long, LongAdder> perSecond = new ConcurrentSkipListMap<>();
  private volatile long lastRequestMillis = -1;

  private final Object rateLock = new Object();
  private long windowStart = Long.MIN_VALUE;
  private int windowCount;

  private EmulatorHttpServer server;

  private ImednetEmulator(Builder b) {
    this.data = b.data;
    this.apiKey = b.apiKey;
    this.securityKey = b.securityKey;
    this.requestedPort = b.port;
    this.latency = b.latency;
    this.requestsPerSecond = b.requestsPerSecond;
    this.faults = b.faults;
    this.unknownAttributes = b.unknownAttributes;
    this.workers = b.workers;
    this.clock = b.clock;
    this.ticker = b.ticker;
    this.recordRequests = b.recordRequests;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Binds 127.0.0.1 and starts serving; returns {@code this}. */
  public synchronized ImednetEmulator start() {
    if (server != null) {
      throw new IllegalStateException("already started");
    }
    try {
      server =
          EmulatorHttpServer.start(
              new InetSocketAddress(InetAddress.getLoopbackAddress(), requestedPort),
              128,
              workers,
              "imednet-emulator",
              this::handle);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind 127.0.0.1:" + requestedPort, e);
    }
    LOG.info("iMednet emulator listening on {}", baseUrl());
    return this;
  }

  /** {@code http://127.0.0.1:PORT}; clients append {@link #API_PREFIX}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  public int port() {
    if (server == null) {
      throw new IllegalStateException("not started");
    }
    return server.port();
  }

  public String apiKey() {
    return apiKey;
  }

  public String securityKey() {
    return securityKey;
  }

  public StudyData data() {
    return data;
  }

  /** A snapshot of the requests served so far, in arrival-completion order. */
  public List<RecordedRequest> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  public void clearRequests() {
    requests.clear();
  }

  /** Requests answered since start (not reset by {@link #clearRequests}). */
  public long requestCount() {
    return requestCount.get();
  }

  /**
   * Requests answered since start by the status sent (0 = connection closed without a response), in
   * status order. Kept even when {@link Builder#recordRequests} is off.
   */
  public Map<Integer, Long> statusCounts() {
    Map<Integer, Long> out = new TreeMap<>();
    statusCounts.forEach((status, n) -> out.put(status, n.sum()));
    return out;
  }

  /** One line, e.g. {@code 2020 requests: 200=2000 429=20}. */
  public String summary() {
    StringBuilder b = new StringBuilder().append(requestCount()).append(" requests:");
    statusCounts().forEach((status, n) -> b.append(' ').append(status).append('=').append(n));
    return b.toString();
  }

  /**
   * The request summary as one JSON object: {@code {"requests": N, "status429": N, "statuses":
   * {"200": N, ...}, "firstRequestMillis": T0, "lastRequestMillis": T1}}, the times being the
   * emulator clock's epoch milliseconds of the first and the last request answered (-1 before the
   * first), so a benchmark can compute the request rate it drew, and {@code "perSecond": [n0, n1,
   * …]}, the requests answered in each second since the first one.
   */
  public String statsJson() {
    Map<Integer, Long> statuses = statusCounts();
    StringBuilder b = new StringBuilder("{\"requests\": ").append(requestCount());
    b.append(", \"status429\": ").append(statuses.getOrDefault(429, 0L));
    b.append(", \"statuses\": {");
    String sep = "";
    for (Map.Entry<Integer, Long> e : statuses.entrySet()) {
      b.append(sep).append('"').append(e.getKey()).append("\": ").append(e.getValue());
      sep = ", ";
    }
    b.append("}, \"firstRequestMillis\": ").append(firstRequestMillis.get());
    b.append(", \"lastRequestMillis\": ").append(lastRequestMillis);
    b.append(", \"perSecond\": [");
    long last = perSecond.isEmpty() ? -1 : perSecond.lastKey();
    for (long s = 0; s <= last; s++) {
      LongAdder n = perSecond.get(s);
      b.append(s == 0 ? "" : ", ").append(n == null ? 0 : n.sum());
    }
    return b.append("]}").toString();
  }

  @Override
  public synchronized void close() {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  // ---------------------------------------------------------------------------------------------

  private void handle(Exchange ex) {
    String method = ex.method();
    String rawPath = ex.rawPath();
    String rawQuery = ex.rawQuery() == null ? "" : ex.rawQuery();
    String path = decodePath(rawPath);
    int status = 0;
    try {
      status = serve(ex, method, rawPath, path, rawQuery);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // The client went away (e.g. after its own timeout); nothing to answer.
      LOG.debug("client disconnected during {} {}: {}", method, path, e.toString());
    } catch (RuntimeException e) {
      LOG.error("emulator failure serving {} {}?{}", method, path, rawQuery, e);
      status = 500;
      try {
        sendError(ex, 500, "9000", "emulator failure: " + e, method, path);
      } catch (IOException | RuntimeException ignored) {
        status = 0;
      }
    } finally {
      record(ex, status);
    }
  }

  /**
   * Records the request once, before its status line goes out, so a client that has seen a response
   * always finds its request in {@link #requests()}.
   */
  private void record(Exchange ex, int status) {
    if (!ex.markRecorded()) {
      return;
    }
    requestCount.incrementAndGet();
    statusCounts.computeIfAbsent(status, k -> new LongAdder()).increment();
    long now = clock.millis();
    firstRequestMillis.compareAndSet(-1, now);
    lastRequestMillis = now;
    long second = Math.max(0, (now - firstRequestMillis.get()) / 1000);
    perSecond.computeIfAbsent(second, k -> new LongAdder()).increment();
    if (!recordRequests) {
      return;
    }
    String rawQuery = ex.rawQuery();
    requests.add(
        new RecordedRequest(
            ex.method(), decodePath(ex.rawPath()), rawQuery == null ? "" : rawQuery, status));
  }

  private void sendHeaders(Exchange ex, int status, long length) throws IOException {
    record(ex, status);
    ex.sendResponseHeaders(status, length);
  }

  /** Serves one request; returns the status sent (0 = none). */
  private int serve(Exchange ex, String method, String rawPath, String path, String rawQuery)
      throws IOException, InterruptedException {
    String[] segments = rawPath.split("/", -1);
    // "", "api", "v1", "edc", "studies", key, resource
    String resourceName =
        segments.length >= 7 ? decodeSegment(segments[6]) : segments.length == 5 ? "studies" : "";
    Fault terminal = null;
    for (Fault f : faults.match(path, resourceName, rawQuery == null ? "" : rawQuery)) {
      if (f.kind() == Fault.Kind.RUN) {
        f.hook().run();
      } else {
        terminal = f;
      }
    }
    if (terminal != null) {
      switch (terminal.kind()) {
        case CONNECTION_RESET:
          return 0;
        case HOLD:
          Thread.sleep(terminal.duration().toMillis());
          terminal = null;
          break;
        case TOO_MANY_REQUESTS_SECONDS:
          ex.setResponseHeader("Retry-After", Long.toString(terminal.duration().toSeconds()));
          return sendError(ex, 429, "9000", "Too many requests", method, path);
        case TOO_MANY_REQUESTS_DATE:
          ex.setResponseHeader(
              "Retry-After",
              DateTimeFormatter.RFC_1123_DATE_TIME.format(
                  ZonedDateTime.now(clock.withZone(ZoneOffset.UTC))
                      .plus(terminal.duration())
                      .withNano(0)));
          return sendError(ex, 429, "9000", "Too many requests", method, path);
        case TOO_MANY_REQUESTS_BARE:
          return sendError(ex, 429, "9000", "Too many requests", method, path);
        case STATUS:
          return sendError(ex, terminal.status(), "9000", "Injected server error", method, path);
        default:
          break; // body faults are applied when the page is written
      }
    }
    if (!"GET".equals(method)) {
      ex.setResponseHeader("Allow", "GET");
      return sendError(ex, 405, "1000", "Method " + method + " is not supported", method, path);
    }
    String key = ex.requestHeader("x-api-key");
    String secret = ex.requestHeader("x-imn-security-key");
    if (!apiKey.equals(key) || !securityKey.equals(secret)) {
      return sendError(
          ex,
          401,
          "9001",
          "Authentication credentials missing, invalid, or expired.",
          method,
          path);
    }
    int retryAfter = takeRateBudget();
    if (retryAfter > 0) {
      ex.setResponseHeader("Retry-After", Integer.toString(retryAfter));
      return sendError(ex, 429, "9000", "Too many requests - rate limit exceeded", method, path);
    }
    if (!latency.isZero()) {
      Thread.sleep(latency.toMillis());
    }
    boolean prefixOk =
        segments.length >= 5
            && segments[1].equals("api")
            && segments[2].equals("v1")
            && segments[3].equals("edc")
            && segments[4].equals("studies");
    if (!prefixOk || segments.length == 6 || segments.length > 7) {
      return sendError(ex, 404, "9000", "No endpoint " + path, method, path);
    }
    Map<String, List<String>> params = parseQuery(rawQuery);
    Query query;
    try {
      query = Query.parse(params);
    } catch (IllegalArgumentException e) {
      return sendError(ex, 400, "1000", e.getMessage(), method, path);
    }
    Page page;
    try {
      if (segments.length == 5) {
        page = listStudies(query);
      } else {
        String studyKey = decodeSegment(segments[5]);
        Resource resource = Resource.fromPath(resourceName).orElse(null);
        if (resource == null) {
          return sendError(ex, 404, "9000", "No endpoint " + path, method, path);
        }
        if (!data.hasStudy(studyKey)) {
          return sendError(ex, 404, "9000", "Study " + studyKey + " not found", method, path);
        }
        page = listResource(studyKey, resource, query);
      }
    } catch (IllegalArgumentException e) {
      return sendError(ex, 400, "1000", e.getMessage(), method, path);
    }
    return sendPage(ex, method, path, page, terminal);
  }

  /** Returns 0 if the request may proceed, else the seconds until the next window. */
  private int takeRateBudget() {
    if (requestsPerSecond <= 0) {
      return 0;
    }
    long now = ticker.getAsLong();
    synchronized (rateLock) {
      if (windowStart == Long.MIN_VALUE || now - windowStart >= 1_000_000_000L) {
        windowStart = now;
        windowCount = 0;
      }
      if (windowCount < requestsPerSecond) {
        windowCount++;
        return 0;
      }
      long left = 1_000_000_000L - (now - windowStart);
      return (int) Math.max(1, (left + 999_999_999L) / 1_000_000_000L);
    }
  }

  // --- queries --------------------------------------------------------------------------------

  /** One list request's parsed parameters. */
  private static final class Query {
    final int page;
    final int size;
    final List<String[]> sort; // {property, "ASC"|"DESC"}
    final FilterExpression filter;
    final FilterExpression recordDataFilter;

    Query(
        int page,
        int size,
        List<String[]> sort,
        FilterExpression filter,
        FilterExpression recordDataFilter) {
      this.page = page;
      this.size = size;
      this.sort = sort;
      this.filter = filter;
      this.recordDataFilter = recordDataFilter;
    }

    static Query parse(Map<String, List<String>> params) {
      int page = intParam(params, "page", 0);
      if (page < 0) {
        throw new IllegalArgumentException("page must be >= 0, was " + page);
      }
      int size = intParam(params, "size", DEFAULT_PAGE_SIZE);
      if (size < 1 || size > MAX_PAGE_SIZE) {
        throw new IllegalArgumentException(
            "size must be between 1 and " + MAX_PAGE_SIZE + ", was " + size);
      }
      List<String[]> sort = new ArrayList<>();
      for (String s : params.getOrDefault("sort", List.of())) {
        if (s.isEmpty()) {
          continue;
        }
        String[] parts = s.split(",", -1);
        if (parts.length > 2 || parts[0].isEmpty()) {
          throw new IllegalArgumentException("sort must be property,ASC|DESC, was '" + s + "'");
        }
        String dir = parts.length == 2 ? parts[1].toUpperCase(Locale.ROOT) : "ASC";
        if (!dir.equals("ASC") && !dir.equals("DESC")) {
          throw new IllegalArgumentException("sort direction must be ASC or DESC, was '" + s + "'");
        }
        sort.add(new String[] {parts[0], dir});
      }
      String filter = first(params, "filter");
      String rdf = first(params, "recordDataFilter");
      return new Query(
          page,
          size,
          sort,
          FilterExpression.parse(filter, false),
          FilterExpression.parse(rdf, true));
    }

    private static String first(Map<String, List<String>> params, String name) {
      List<String> v = params.get(name);
      return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static int intParam(Map<String, List<String>> params, String name, int dflt) {
      String v = first(params, name);
      if (v == null || v.isEmpty()) {
        return dflt;
      }
      try {
        return Integer.parseInt(v);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " must be an integer, was '" + v + "'");
      }
    }
  }

  /** A page to write: pagination numbers plus up to {@code size} items. */
  private static final class Page {
    final int currentPage;
    final int size;
    final long totalElements;
    final List<String[]> sort;
    final ItemsWriter items;

    Page(int currentPage, int size, long totalElements, List<String[]> sort, ItemsWriter items) {
      this.currentPage = currentPage;
      this.size = size;
      this.totalElements = totalElements;
      this.sort = sort;
      this.items = items;
    }

    long totalPages() {
      return (totalElements + size - 1) / size;
    }
  }

  /**
   * Writes a page's items into its {@code data} array: through the generator {@code g}, or as text
   * to {@code out} (the generator's stream) after flushing {@code g}.
   */
  @FunctionalInterface
  private interface ItemsWriter {
    void writeTo(JsonGenerator g, OutputStream out) throws IOException;

    static ItemsWriter of(Iterator<JsonNode> nodes) {
      return (g, out) -> {
        while (nodes.hasNext()) {
          MAPPER.writeTree(g, nodes.next());
        }
      };
    }
  }

  private Page listStudies(Query q) {
    List<List<FilterExpression.Term>> groups = checkAttributes(q.filter, Resource.STUDY_ATTRIBUTES);
    List<String[]> sort =
        q.sort.isEmpty() ? Collections.singletonList(new String[] {"studyKey", "ASC"}) : q.sort;
    checkSortAttributes(sort, Resource.STUDY_ATTRIBUTES);
    List<JsonNode> matches = new ArrayList<>();
    for (JsonNode s : data.studies()) {
      if (matches(s, groups, null)) {
        matches.add(s);
      }
    }
    matches.sort(comparator(sort, "studyKey"));
    return window(q, sort, matches);
  }

  private Page listResource(String studyKey, Resource resource, Query q) {
    List<List<FilterExpression.Term>> groups = checkAttributes(q.filter, resource.attributes());
    checkSortAttributes(q.sort, resource.attributes());
    List<List<FilterExpression.Term>> rdf =
        q.recordDataFilter.isEmpty() ? null : q.recordDataFilter.groups();
    if (rdf != null && resource != Resource.RECORDS) {
      throw new IllegalArgumentException("recordDataFilter is only supported on records");
    }
    String id = resource.idField();
    Boolean descending = null;
    if (q.sort.isEmpty()) {
      descending = false;
    } else if (q.sort.size() == 1 && q.sort.get(0)[0].equals(id)) {
      descending = q.sort.get(0)[1].equals("DESC");
    }
    List<String[]> sortEcho =
        q.sort.isEmpty() ? Collections.singletonList(new String[] {id, "ASC"}) : q.sort;

    // Pull formId== and id bounds out of a single AND group: answered by the data's index.
    Slice slice = Slice.all();
    List<List<FilterExpression.Term>> residual = groups;
    if (groups.size() == 1) {
      List<FilterExpression.Term> rest = new ArrayList<>();
      for (FilterExpression.Term t : groups.get(0)) {
        Slice narrowed = narrow(slice, t, resource);
        if (narrowed == null) {
          rest.add(t);
        } else {
          slice = narrowed;
        }
      }
      residual = rest.isEmpty() ? List.of() : List.of(rest);
    }
    long offset = (long) q.page * q.size;
    if (descending != null && residual.isEmpty() && rdf == null) {
      // The keyset path: the data writes the window itself (the synthetic study without trees).
      long total = data.count(studyKey, resource, slice);
      boolean desc = descending;
      Slice keyset = slice;
      ItemsWriter items =
          offset >= total
              ? (g, out) -> {}
              : (g, out) -> {
                g.flush();
                data.writeItems(out, studyKey, resource, keyset, offset, desc, q.size);
              };
      return new Page(q.page, q.size, total, sortEcho, items);
    }
    if (descending != null && residual.size() == 1 && rdf == null && data.isImmutable()) {
      Page page = filteredKeysetPage(studyKey, resource, q, slice, residual.get(0), descending);
      if (page != null) {
        return page;
      }
    }
    Iterator<JsonNode> all =
        data.items(studyKey, resource, slice, 0, Boolean.TRUE.equals(descending));
    if (descending != null) {
      // Already in order: count every match, keep only the requested window.
      List<JsonNode> window = new ArrayList<>(Math.min(q.size, 64));
      long total = 0;
      while (all.hasNext()) {
        JsonNode item = all.next();
        if (matches(item, residual, rdf)) {
          if (total >= offset && total < offset + q.size) {
            window.add(item);
          }
          total++;
        }
      }
      return new Page(q.page, q.size, total, sortEcho, ItemsWriter.of(window.iterator()));
    }
    List<JsonNode> matches = new ArrayList<>();
    while (all.hasNext()) {
      JsonNode item = all.next();
      if (matches(item, residual, rdf)) {
        matches.add(item);
      }
    }
    matches.sort(comparator(q.sort, id));
    return window(q, sortEcho, matches);
  }

  /**
   * A page in primary-id order of immutable data whose filter leaves {@code terms} besides formId
   * and id bounds: from the ids of the form's items that match them ({@link StudyData#matchingIds},
   * cached), so the count and the window are binary searches and only the window's items are
   * written. Null when the data cannot tell the matches by id (then the caller scans).
   */
  private Page filteredKeysetPage(
      String studyKey,
      Resource resource,
      Query q,
      Slice slice,
      List<FilterExpression.Term> terms,
      boolean descending) {
    List<String[]> sortEcho =
        q.sort.isEmpty()
            ? Collections.singletonList(new String[] {resource.idField(), "ASC"})
            : q.sort;
    long[] ids;
    if (slice.isEmptyRange()) {
      ids = new long[0];
    } else {
      Slice whole = slice.formId() == null ? Slice.all() : Slice.all().withFormId(slice.formId());
      if (data.count(studyKey, resource, whole) <= MAX_CACHED_IDS) {
        ids =
            matchingIds.ids(
                studyKey,
                resource,
                slice.formId(),
                terms,
                () -> data.matchingIds(studyKey, resource, whole, terms));
      } else {
        ids = data.matchingIds(studyKey, resource, slice, terms);
      }
      if (ids == null) {
        return null;
      }
    }
    int lo = upperBound(ids, slice.afterId());
    int hi = upperBound(ids, slice.upToId());
    long total = Math.max(0, hi - lo);
    long offset = (long) q.page * q.size;
    if (offset >= total) {
      return new Page(q.page, q.size, total, sortEcho, (g, out) -> {});
    }
    int from = descending ? (int) Math.max(lo, hi - offset - q.size) : (int) (lo + offset);
    int to = descending ? (int) (hi - offset) : (int) Math.min(hi, lo + offset + q.size);
    long[] matched = ids;
    Long formId = slice.formId();
    ItemsWriter items =
        (g, out) -> {
          g.flush();
          data.writeItems(out, studyKey, resource, formId, matched, from, to, descending);
        };
    return new Page(q.page, q.size, total, sortEcho, items);
  }

  /** The first index of {@code ids} (ascending) whose id is greater than {@code bound}. */
  private static int upperBound(long[] ids, long bound) {
    int lo = 0;
    int hi = ids.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (ids[mid] <= bound) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static Page window(Query q, List<String[]> sort, List<JsonNode> matches) {
    long offset = (long) q.page * q.size;
    List<JsonNode> window =
        offset >= matches.size()
            ? List.of()
            : matches.subList((int) offset, (int) Math.min(matches.size(), offset + q.size));
    return new Page(q.page, q.size, matches.size(), sort, ItemsWriter.of(window.iterator()));
  }

  /** The slice narrowed by {@code t}, or null if {@code t} is not an indexable term. */
  private static Slice narrow(Slice slice, FilterExpression.Term t, Resource resource) {
    Long v = t.longValue();
    if (v == null) {
      return null;
    }
    if (t.attribute().equals("formId")
        && resource.hasFormId()
        && t.op() == FilterExpression.Op.EQ) {
      if (slice.formId() != null && !slice.formId().equals(v)) {
        return Slice.of(slice.formId(), 0, 0); // two different formIds: nothing matches
      }
      return slice.withFormId(v);
    }
    if (!t.attribute().equals(resource.idField())) {
      return null;
    }
    switch (t.op()) {
      case GT:
        return slice.after(v);
      case GE:
        return v == Long.MIN_VALUE ? slice : slice.after(v - 1);
      case LT:
        return v == Long.MIN_VALUE ? Slice.of(slice.formId(), 0, 0) : slice.upTo(v - 1);
      case LE:
        return slice.upTo(v);
      case EQ:
        return v == Long.MIN_VALUE ? null : slice.after(v - 1).upTo(v);
      default:
        return null;
    }
  }

  private List<List<FilterExpression.Term>> checkAttributes(
      FilterExpression filter, Set<String> known) {
    List<List<FilterExpression.Term>> kept = new ArrayList<>();
    for (List<FilterExpression.Term> group : filter.groups()) {
      List<FilterExpression.Term> terms = new ArrayList<>();
      for (FilterExpression.Term t : group) {
        if (known.contains(t.attribute())) {
          terms.add(t);
        } else if (unknownAttributes == UnknownFilterAttributes.REJECT) {
          throw new IllegalArgumentException("Unknown filter attribute '" + t.attribute() + "'");
        }
      }
      if (terms.isEmpty()) {
        return List.of(); // a group of ignored terms is true, so the whole OR is true
      }
      kept.add(terms);
    }
    return kept;
  }

  private void checkSortAttributes(List<String[]> sort, Set<String> known) {
    for (String[] s : sort) {
      if (!known.contains(s[0]) && unknownAttributes == UnknownFilterAttributes.REJECT) {
        throw new IllegalArgumentException("Unknown sort attribute '" + s[0] + "'");
      }
    }
  }

  private static boolean matches(
      JsonNode item,
      List<List<FilterExpression.Term>> groups,
      List<List<FilterExpression.Term>> recordDataGroups) {
    if (!groups.isEmpty() && !anyGroup(item, groups)) {
      return false;
    }
    return recordDataGroups == null || anyGroup(item.path("recordData"), recordDataGroups);
  }

  private static boolean anyGroup(JsonNode item, List<List<FilterExpression.Term>> groups) {
    for (List<FilterExpression.Term> group : groups) {
      boolean all = true;
      for (FilterExpression.Term t : group) {
        if (!t.test(item.get(t.attribute()))) {
          all = false;
          break;
        }
      }
      if (all) {
        return true;
      }
    }
    return false;
  }

  private static Comparator<JsonNode> comparator(List<String[]> sort, String idField) {
    Comparator<JsonNode> c = (a, b) -> 0;
    for (String[] s : sort) {
      String prop = s[0];
      Comparator<JsonNode> one = (a, b) -> Values.compareNodes(a.get(prop), b.get(prop));
      c = c.thenComparing(s[1].equals("DESC") ? one.reversed() : one);
    }
    return c.thenComparing((a, b) -> Values.compareNodes(a.get(idField), b.get(idField)));
  }

  // --- responses ------------------------------------------------------------------------------

  private int sendPage(Exchange ex, String method, String path, Page page, Fault fault)
      throws IOException {
    ex.setResponseHeader("Content-Type", "application/json");
    if (fault != null && fault.kind() == Fault.Kind.TRUNCATED_BODY) {
      ByteArrayOutputStream full = new ByteArrayOutputStream();
      writePage(full, method, path, page, null);
      byte[] body = full.toByteArray();
      int half = body.length / 2;
      sendHeaders(ex, 200, half);
      ex.responseBody().write(body, 0, half);
      return 200;
    }
    PageBody body = new PageBody(ex);
    writePage(body, method, path, page, fault);
    body.finish();
    return 200;
  }

  /**
   * The body of a 200 page: buffered in a per-thread array and sent with {@code Content-Length} in
   * one write, so a keyset page costs one socket write rather than a 4 KB chunk per item or two. A
   * page larger than {@link #MAX_BUFFERED_PAGE} (very wide forms) is streamed chunked instead of
   * growing the buffer further. Nothing is sent before the page is written or the buffer overflows,
   * so an error while writing still gets a proper error response.
   */
  private final class PageBody extends OutputStream {
    private final Exchange ex;
    private byte[] buf = PAGE_BUFFER.get();
    private int count;
    private OutputStream streaming;

    PageBody(Exchange ex) {
      this.ex = ex;
    }

    @Override
    public void write(int b) throws IOException {
      if (streaming == null && count < buf.length) {
        buf[count++] = (byte) b;
      } else {
        write(new byte[] {(byte) b}, 0, 1);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (streaming != null) {
        streaming.write(b, off, len);
        return;
      }
      if (count + len > buf.length) {
        if (count + len > MAX_BUFFERED_PAGE) {
          sendHeaders(ex, 200, 0);
          streaming = ex.responseBody();
          streaming.write(buf, 0, count);
          streaming.write(b, off, len);
          return;
        }
        buf = Arrays.copyOf(buf, Math.min(MAX_BUFFERED_PAGE, 2 * (count + len)));
        PAGE_BUFFER.set(buf);
      }
      System.arraycopy(b, off, buf, count, len);
      count += len;
    }

    /** Sends the page (or ends the chunked stream's last write). */
    void finish() throws IOException {
      if (streaming == null) {
        sendHeaders(ex, 200, count);
        ex.responseBody().write(buf, 0, count);
      }
    }
  }

  private void writePage(OutputStream out, String method, String path, Page page, Fault fault)
      throws IOException {
    try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      // A failure half-way must not close (and so send) the page as if it were complete.
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      g.writeStartObject();
      writeMetadata(g, "OK", method, path, null, null);
      g.writeObjectFieldStart("pagination");
      g.writeNumberField("currentPage", page.currentPage);
      g.writeNumberField("size", page.size);
      if (fault == null || fault.kind() != Fault.Kind.MISSING_TOTAL_PAGES) {
        g.writeNumberField(
            "totalPages",
            fault != null && fault.kind() == Fault.Kind.NEGATIVE_TOTAL_PAGES
                ? -1
                : page.totalPages());
      }
      g.writeNumberField("totalElements", page.totalElements);
      g.writeArrayFieldStart("sort");
      for (String[] s : page.sort) {
        g.writeStartObject();
        g.writeStringField("property", s[0]);
        g.writeStringField("direction", s[1]);
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
      g.writeArrayFieldStart("data");
      page.items.writeTo(g, out);
      g.writeEndArray();
      g.writeEndObject();
    }
  }

  private void writeMetadata(
      JsonGenerator g, String status, String method, String path, String code, String message)
      throws IOException {
    g.writeObjectFieldStart("metadata");
    g.writeStringField("status", status);
    g.writeStringField("method", method);
    g.writeStringField("path", path);
    g.writeStringField("timestamp", TIMESTAMP.format(clock.instant().getEpochSecond()));
    g.writeObjectFieldStart("error");
    if (code != null) {
      g.writeStringField("code", code);
      g.writeStringField("message", message);
    }
    g.writeEndObject();
    g.writeEndObject();
  }

  private int sendError(
      Exchange ex, int status, String code, String message, String method, String path)
      throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream(256);
    try (JsonGenerator g = JSON.createGenerator(body, JsonEncoding.UTF8)) {
      g.writeStartObject();
      writeMetadata(g, "ERROR", method, path, code, message);
      g.writeEndObject();
    }
    byte[] bytes = body.toByteArray();
    ex.setResponseHeader("Content-Type", "application/json");
    sendHeaders(ex, status, bytes.length);
    ex.responseBody().write(bytes);
    return status;
  }

  // --- helpers --------------------------------------------------------------------------------

  static Map<String, List<String>> parseQuery(String rawQuery) {
    Map<String, List<String>> params = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return params;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name =
          URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value =
          eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      params.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }
    return params;
  }

  private static String decodeSegment(String raw) {
    return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  private static String decodePath(String rawPath) {
    return decodeSegment(rawPath);
  }

  // --- builder --------------------------------------------------------------------------------

  /** Configures an emulator; only {@link #data} is required. */
  public static final class Builder {
    private StudyData data;
    private String apiKey = DEFAULT_API_KEY;
    private String securityKey = DEFAULT_SECURITY_KEY;
    private int port = 0;
    private Duration latency = Duration.ZERO;
    private int requestsPerSecond = 0;
    private FaultPlan faults = FaultPlan.none();
    private UnknownFilterAttributes unknownAttributes = UnknownFilterAttributes.IGNORE;
    private int workers = 32;
    private boolean recordRequests = true;
    private Clock clock = Clock.systemUTC();
    private LongSupplier ticker = System::nanoTime;

    private Builder() {}

    /** What to serve. Required. */
    public Builder data(StudyData data) {
      this.data = Objects.requireNonNull(data, "data");
      return this;
    }

    /**
     * The accepted credentials. Default {@value #DEFAULT_API_KEY}, {@value #DEFAULT_SECURITY_KEY}.
     */
    public Builder credentials(String apiKey, String securityKey) {
      if (apiKey == null || apiKey.isEmpty() || securityKey == null || securityKey.isEmpty()) {
        throw new IllegalArgumentException("credentials must be non-empty");
      }
      this.apiKey = apiKey;
      this.securityKey = securityKey;
      return this;
    }

    /** The port on 127.0.0.1; 0 (the default) picks a free one. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0..65535, was " + port);
      }
      this.port = port;
      return this;
    }

    /** Added to every authenticated request before it is served. Default 0. */
    public Builder latency(Duration latency) {
      if (latency == null || latency.isNegative()) {
        throw new IllegalArgumentException("latency must be >= 0, was " + latency);
      }
      this.latency = latency;
      return this;
    }

    /**
     * At most this many authenticated requests per one-second window; more get 429 with {@code
     * Retry-After}. Default 0 = unlimited.
     */
    public Builder requestsPerSecond(int requestsPerSecond) {
      if (requestsPerSecond < 0) {
        throw new IllegalArgumentException(
            "requestsPerSecond must be >= 0, was " + requestsPerSecond);
      }
      this.requestsPerSecond = requestsPerSecond;
      return this;
    }

    /** Deterministic faults. Default none. */
    public Builder faults(FaultPlan faults) {
      this.faults = Objects.requireNonNull(faults, "faults");
      return this;
    }

    /** Default {@link UnknownFilterAttributes#IGNORE}. */
    public Builder unknownFilterAttributes(UnknownFilterAttributes mode) {
      this.unknownAttributes = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /**
     * Requests served at once (each connection has a thread of its own; beyond this many, requests
     * wait for one to finish). Default 32, enough that {@link #latency} and 429s do not queue an
     * exporter's concurrent requests behind one another; the CPU-bound work is limited by the cores
     * anyway.
     */
    public Builder workers(int workers) {
      if (workers < 1 || workers > 256) {
        throw new IllegalArgumentException("workers must be 1..256, was " + workers);
      }
      this.workers = workers;
      return this;
    }

    /**
     * Whether {@link #requests()} keeps every request. Default true; a long benchmark turns it off
     * so memory stays flat, and still has {@link #statusCounts()}.
     */
    public Builder recordRequests(boolean recordRequests) {
      this.recordRequests = recordRequests;
      return this;
    }

    /** The clock for {@code metadata.timestamp} and HTTP-date {@code Retry-After}. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The nanosecond ticker of the rate limiter (tests pass a fake). Default System::nanoTime. */
    public Builder ticker(LongSupplier ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    public ImednetEmulator build() {
      if (data == null) {
        throw new IllegalStateException("data() is required");
      }
      return new ImednetEmulator(this);
    }
  }

  // --- standalone -----------------------------------------------------------------------------

  /**
   * Runs an emulator until killed: {@code --data DIR} (testdata folder format) or {@code
   * --synthetic seed,studies,forms,vars,records}, plus {@code --port N} (default 8080, 0 = any free
   * port), {@code --latency-ms N}, {@code --rps N}, {@code --workers N} (default 64) and {@code
   * --stats-file PATH}. Credentials are the defaults unless the environment sets {@code
   * EMULATOR_API_KEY} and {@code EMULATOR_SECURITY_KEY}; they are never printed.
   *
   * <p>The first line on stdout, flushed as soon as the port is bound, is {@code
   * IMEDNET_BASE_URL=http://127.0.0.1:PORT}. On SIGTERM (or any normal JVM exit) the server stops,
   * the one-line {@link #summary()} goes to stdout, and with {@code --stats-file} the {@link
   * #statsJson()} is written to PATH (through a temporary file and a rename, so a reader never sees
   * half of it). Requests are counted, not kept, so memory stays flat however long it runs.
   */
  public static void main(String[] args) throws InterruptedException {
    Builder b = builder().port(8080).workers(64).recordRequests(false);
    Path statsFile = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String value = i + 1 < args.length ? args[i + 1] : null;
      if (value == null) {
        usage(arg.equals("--help") ? "" : "missing value for " + arg);
      }
      try {
        switch (arg) {
          case "--data":
            b.data(FolderStudyData.load(Paths.get(value)));
            break;
          case "--synthetic":
            b.data(new SyntheticStudyData(SyntheticStudySpec.parse(value)));
            break;
          case "--port":
            b.port(Integer.parseInt(value));
            break;
          case "--latency-ms":
            b.latency(Duration.ofMillis(Long.parseLong(value)));
            break;
          case "--rps":
            b.requestsPerSecond(Integer.parseInt(value));
            break;
          case "--workers":
            b.workers(Integer.parseInt(value));
            break;
          case "--stats-file":
            statsFile = Paths.get(value);
            break;
          default:
            usage("unknown argument " + arg);
        }
      } catch (IllegalArgumentException e) { // includes NumberFormatException
        usage(arg + " " + value + ": " + e.getMessage());
      }
      i++;
    }
    if (b.data == null) {
      usage("one of --data DIR or --synthetic seed,studies,forms,vars,records is required");
    }
    String envKey = System.getenv("EMULATOR_API_KEY");
    String envSecret = System.getenv("EMULATOR_SECURITY_KEY");
    if (envKey != null && envSecret != null) {
      b.credentials(envKey, envSecret);
    }
    ImednetEmulator emu = b.build().start();
    System.out.println("IMEDNET_BASE_URL=" + emu.baseUrl());
    System.out.flush();
    System.err.println(
        "iMednet emulator at "
            + emu.baseUrl()
            + API_PREFIX
            + (envKey != null && envSecret != null
                ? " (credentials from EMULATOR_API_KEY, EMULATOR_SECURITY_KEY)"
                : " (credentials " + DEFAULT_API_KEY + ", " + DEFAULT_SECURITY_KEY + ")"));
    Path stats = statsFile;
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> shutDown(emu, stats), "imednet-emulator-shutdown"));
    new CountDownLatch(1).await();
  }

  /** Stops serving, prints the summary and writes the stats file; runs in the shutdown hook. */
  private static void shutDown(ImednetEmulator emu, Path statsFile) {
    emu.close();
    System.out.println("iMednet emulator served " + emu.summary());
    System.out.flush();
    if (statsFile == null) {
      return;
    }
    try {
      Path dir = statsFile.toAbsolutePath().getParent();
      Path tmp = Files.createTempFile(dir, statsFile.getFileName().toString(), ".tmp");
      Files.writeString(tmp, emu.statsJson() + "\n");
      Files.move(
          tmp, statsFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      System.err.println("cannot write the stats file " + statsFile + ": " + e);
    }
  }

  private static void usage(String problem) {
    if (!problem.isEmpty()) {
      System.err.println(problem);
    }
    System.err.println(
        "usage: ImednetEmulator (--data DIR | --synthetic seed,studies,forms,vars,records)"
            + " [--port 8080] [--latency-ms 0] [--rps 0] [--workers 64] [--stats-file PATH]");
    System.exit(2);
  }
}
