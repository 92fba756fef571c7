package org.imednet.export.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.failsafe.Execution;
import dev.failsafe.RetryPolicy;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import javax.annotation.Nullable;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.util.MimeTypes;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.model.JsonItems;
import org.imednet.export.model.RecordJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ImednetApi} over the JDK's blocking {@link HttpURLConnection}.
 *
 * <pre>{@code
 * try (ImednetApi api = HttpImednetClient.create(ApiConfig.fromEnvironment(System.getenv()))) {
 *   Iterator<JsonNode> forms = api.listAll("CARDIO01", "forms", null);
 * }
 * }</pre>
 *
 * <p>Retries (a Failsafe {@link RetryPolicy} driven step by step so the waits go through an
 * injectable {@link Sleeper}): HTTP 429 (waiting what {@code Retry-After} asks, in seconds or as an
 * HTTP-date, at most {@link ApiConfig#backoffCap()}), 5xx, I/O errors, timeouts and connection
 * resets, and 2xx bodies that are truncated or not a valid page (bad JSON, missing or invalid
 * {@code pagination}, missing {@code data}). Other waits are exponential from {@link
 * ApiConfig#backoffBase()}, capped, and jittered. Every other status (400, 401, 403, 404, …) fails
 * at once. Whatever fails is an {@link ImednetApiException} naming study, resource, page and
 * filter, the HTTP status and the API's {@code metadata.error.message}; no error ever turns into an
 * empty result. Keys are sent only as headers and are removed from any text that goes into a
 * message.
 *
 * <p>Concurrency and rate are bounded per JVM and base URL (see {@link ApiConfig}). Thread-safe.
 *
 * <p>Transport: each request runs on its caller's thread, which reads the body straight into one
 * array of the response's length. {@code HttpURLConnection} keeps idle connections alive for reuse
 * (up to the {@code http.maxConnections} system property per host, 5 by default; the CLI raises it)
 * and honours the JVM's proxy settings. The JDK's asynchronous {@code java.net.http} client this
 * replaced passed every body through its selector thread and a chain of 16 KiB buffers: 2.5 to 3.3
 * CPU-ns per body byte against 1.1 to 1.3 here, on the 1.2 GB of a 1 M-record export. Timeouts:
 * {@link ApiConfig#requestTimeout()} for connecting and for each wait for more bytes, so a stalled
 * response fails (and is retried) however far it got.
 */
public final class HttpImednetClient implements ImednetApi {
  private static final Logger LOG = LoggerFactory.getLogger(HttpImednetClient.class);
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final String API_PREFIX = "/api/v1/edc/studies";
  private static final int MAX_ERROR_TEXT = 300;

  private final ApiConfig config;
  private final Sleeper sleeper;
  private final Clock clock;
  private final RequestGate gate;
  private final RetryPolicy<Object> retryPolicy;
  private final AtomicLong requestsSent = new AtomicLong();
  private final AtomicLong requestsRetried = new AtomicLong();

  private HttpImednetClient(ApiConfig config, Sleeper sleeper, Clock clock) {
    this.config = config;
    this.sleeper = sleeper;
    this.clock = clock;
    this.gate = RequestGate.forConfig(config);
    this.retryPolicy =
        RetryPolicy.builder()
            .handle(TransientFailure.class)
            .withMaxRetries(config.maxRetries())
            .withDelayFn(ctx -> delayBefore(ctx.getAttemptCount(), ctx.getLastException()))
            .build();
  }

  public static HttpImednetClient create(ApiConfig config) {
    return new HttpImednetClient(config, Sleeper.SYSTEM, Clock.systemUTC());
  }

  /**
   * For tests: waits go to {@code sleeper}, HTTP-dates in {@code Retry-After} are read against
   * {@code clock}.
   */
  public static HttpImednetClient create(ApiConfig config, Sleeper sleeper, Clock clock) {
    return new HttpImednetClient(config, sleeper, clock);
  }

  /** HTTP requests sent by this client, retries included. */
  public long requestsSent() {
    return requestsSent.get();
  }

  /** Requests this client retried. */
  public long requestsRetried() {
    return requestsRetried.get();
  }

  @Override
  public ApiPage getPage(@Nullable String studyKey, String resource, PageQuery query)
      throws IOException {
    URI uri = uri(studyKey, resource, query);
    String context = describe(studyKey, resource, query);
    Execution<Object> execution = Execution.of(retryPolicy);
    while (true) {
      try {
        return attempt(uri, context, query);
      } catch (TransientFailure failure) {
        execution.recordException(failure);
        if (execution.isComplete()) {
          throw new ImednetApiException(
              redact(
                  "iMednet API "
                      + context
                      + " failed after "
                      + execution.getAttemptCount()
                      + " attempts; last error: "
                      + failure.getMessage()
                      + keepMalformedBody(failure.body, studyKey, resource)),
              failure.status,
              failure.getCause());
        }
        Duration delay = execution.getDelay();
        requestsRetried.incrementAndGet();
        ExportMetrics.counter(
                ExportMetrics.Metric.REQUESTS_RETRIED,
                studyKey == null ? ExportMetrics.NO_FORM : studyKey,
                null)
            .inc();
        LOG.warn(
            "Retrying iMednet API {} in {} ms (attempt {} of {}): {}",
            context,
            delay.toMillis(),
            execution.getAttemptCount() + 1,
            config.maxRetries() + 1,
            redact(failure.getMessage()));
        try {
          sleeper.sleep(delay);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("Interrupted while waiting to retry " + context);
        }
      }
    }
  }

  @Override
  public Iterator<JsonNode> listAll(
      @Nullable String studyKey, String resource, @Nullable String filter) throws IOException {
    String sort = ImednetResources.primaryId(resource) + ",ASC";
    ApiPage first = getPage(studyKey, resource, PageQuery.of(0, config.pageSize(), sort, filter));
    return new PagingIterator(studyKey, resource, sort, filter, first);
  }

  @Override
  public void close() {
    // Connections are kept by the JDK for every client of this JVM, and the gate is shared too;
    // nothing is held per instance.
  }

  @Override
  public String toString() {
    return "HttpImednetClient{" + config + "}";
  }

  private ApiPage attempt(URI uri, String context, PageQuery query)
      throws IOException, TransientFailure {
    Response response;
    try (RequestGate.Permit permit = gate.acquire(sleeper, config.requestPriority())) {
      requestsSent.incrementAndGet();
      response = send(uri);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("Interrupted while waiting to send " + context);
    }
    int status = response.status;
    byte[] body = response.body;
    if (status != 429) {
      gate.succeeded();
    }
    if (status >= 200 && status < 300) {
      return parsePage(body, status, query);
    }
    String apiMessage = errorMessage(body);
    if (status == 429) {
      gate.slowDown();
      Duration retryAfter = RetryAfter.parse(response.retryAfter, clock.instant());
      throw new TransientFailure(
          status, "HTTP 429 Too Many Requests" + apiMessage, retryAfter, null);
    }
    if (status >= 500) {
      throw new TransientFailure(status, "HTTP " + status + apiMessage, null, null);
    }
    throw new ImednetApiException(
        redact("iMednet API " + context + " failed: HTTP " + status + apiMessage + advice(status)),
        status,
        null);
  }

  /** A response read whole: status, {@code Retry-After} and body (empty if there was none). */
  private static final class Response {
    final int status;
    final @Nullable String retryAfter;
    final byte[] body;

    Response(int status, @Nullable String retryAfter, byte[] body) {
      this.status = status;
      this.retryAfter = retryAfter;
      this.body = body;
    }
  }

  /**
   * Sends a GET and reads the whole response; a connection that fails, stalls or ends early is a
   * {@link TransientFailure}.
   */
  private Response send(URI uri) throws TransientFailure {
    int timeout = (int) Math.min(Integer.MAX_VALUE, config.requestTimeout().toMillis());
    HttpURLConnection connection = null;
    try {
      connection = (HttpURLConnection) uri.toURL().openConnection();
      connection.setConnectTimeout(timeout);
      connection.setReadTimeout(timeout);
      connection.setInstanceFollowRedirects(false);
      connection.setUseCaches(false);
      connection.setRequestProperty("x-api-key", config.apiKey().reveal());
      connection.setRequestProperty("x-imn-security-key", config.securityKey().reveal());
      connection.setRequestProperty("Accept", "application/json");
      int status = connection.getResponseCode();
      InputStream stream =
          status >= 400 ? connection.getErrorStream() : connection.getInputStream();
      byte[] body = new byte[0];
      if (stream != null) {
        try (InputStream in = stream) {
          long length = connection.getContentLengthLong();
          body =
              length >= 0 && length < MAX_ARRAY ? in.readNBytes((int) length) : in.readAllBytes();
          if (length >= 0 && body.length != length) {
            throw new EOFException(
                "the body ended after " + body.length + " of " + length + " bytes");
          }
        }
      }
      return new Response(status, connection.getHeaderField("Retry-After"), body);
    } catch (IOException e) {
      if (connection != null) {
        connection.disconnect();
      }
      throw new TransientFailure(
          0,
          e instanceof SocketTimeoutException
              ? "no response for " + timeout + " ms"
              : "I/O error: " + e.getClass().getSimpleName() + ": " + e.getMessage(),
          null,
          e);
    }
  }

  /** Arrays longer than this may fail to allocate on some JVMs. */
  private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

  private static ApiPage parsePage(byte[] body, int status, PageQuery query)
      throws TransientFailure {
    try {
      return parseBody(body, status, query);
    } catch (TransientFailure malformed) {
      malformed.body = body;
      throw malformed;
    }
  }

  /**
   * Writes the body of a page that stayed malformed to {@link ApiConfig#malformedPagesDir()} and
   * returns what the error message says about it (never the body itself).
   */
  private String keepMalformedBody(
      @Nullable byte[] body, @Nullable String studyKey, String resource) {
    if (body == null) {
      return "";
    }
    String dir = config.malformedPagesDir();
    if (dir == null) {
      return "; its response body was not kept (no errors directory given)";
    }
    String folder =
        "study="
            + (studyKey == null ? "_all" : URLEncoder.encode(studyKey, StandardCharsets.UTF_8));
    String name = resource + "-" + sha256Prefix(body) + ".body";
    try {
      ResourceId file =
          FileSystems.matchNewResource(dir, true)
              .resolve(folder, StandardResolveOptions.RESOLVE_DIRECTORY)
              .resolve(name, StandardResolveOptions.RESOLVE_FILE);
      // Written under a hidden name and renamed, so the file is whole whenever it is seen: reader
      // threads of a failed run may still be keeping bodies while the run's error is reported.
      ResourceId partial =
          file.getCurrentDirectory()
              .resolve(
                  "." + name + "." + java.util.UUID.randomUUID() + ".partial",
                  StandardResolveOptions.RESOLVE_FILE);
      try (WritableByteChannel out = FileSystems.create(partial, MimeTypes.BINARY)) {
        ByteBuffer buffer = ByteBuffer.wrap(body);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
      }
      FileSystems.rename(List.of(partial), List.of(file));
      return "; its response body (" + body.length + " bytes) is kept in " + file;
    } catch (IOException | RuntimeException e) {
      return "; its response body could not be kept in " + dir + ": " + e;
    }
  }

  private static String sha256Prefix(byte[] body) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(body);
      return HexFormat.of().formatHex(hash, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ApiPage parseBody(byte[] body, int status, PageQuery query)
      throws TransientFailure {
    RecordJson.ListBody root;
    try {
      // Items stay byte ranges of the body: records are parsed once, by the flattening step.
      root = RecordJson.scanList(body);
    } catch (JsonProcessingException e) {
      throw malformed(status, "the body is not complete JSON (" + e.getOriginalMessage() + ")");
    } catch (IOException e) {
      throw malformed(status, "the body could not be read (" + e.getMessage() + ")");
    }
    if (!root.isObject()) {
      throw malformed(status, "the body is not a JSON object");
    }
    JsonNode pagination = root.pagination();
    if (pagination == null || !pagination.isObject()) {
      throw malformed(status, "'pagination' is missing or not an object");
    }
    long totalPages = nonNegativeInt(pagination, "totalPages", status);
    long totalElements = nonNegativeInt(pagination, "totalElements", status);
    JsonNode currentPage = pagination.get("currentPage");
    int page =
        currentPage != null && currentPage.canConvertToInt() && currentPage.isIntegralNumber()
            ? currentPage.intValue()
            : query.page();
    JsonItems data = root.data();
    if (!root.dataIsArray() || data == null) {
      throw malformed(status, "'data' is missing or not an array");
    }
    int size = root.dataSize();
    if (totalPages == 0 && size > 0) {
      throw malformed(status, "pagination.totalPages is 0 but 'data' has " + size + " items");
    }
    if (size > query.size()) {
      throw malformed(
          status, "'data' has " + size + " items, more than the page size " + query.size());
    }
    if (!root.allItemsObjects()) {
      throw malformed(status, "an item of 'data' is not a JSON object");
    }
    if (totalPages > Integer.MAX_VALUE) {
      throw malformed(status, "pagination.totalPages is too large: " + totalPages);
    }
    return new ApiPage(data, page, (int) totalPages, totalElements);
  }

  private static long nonNegativeInt(JsonNode pagination, String field, int status)
      throws TransientFailure {
    JsonNode n = pagination.get(field);
    if (n == null || n.isNull()) {
      throw malformed(status, "pagination." + field + " is missing");
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw malformed(
          status, "pagination." + field + " is not an integer: " + abbreviate(n.toString()));
    }
    if (n.longValue() < 0) {
      throw malformed(status, "pagination." + field + " is negative: " + n.longValue());
    }
    return n.longValue();
  }

  private static TransientFailure malformed(int status, String why) {
    return new TransientFailure(status, "malformed page: " + why, null, null);
  }

  /** {@code ": <metadata.error.message>"} or {@code ""}. */
  private static String errorMessage(byte[] body) {
    if (body.length == 0) {
      return "";
    }
    try {
      JsonNode root = MAPPER.readTree(body);
      if (root != null && root.isObject()) {
        JsonNode message = root.path("metadata").path("error").path("message");
        if (message.isTextual() && !message.asText().isBlank()) {
          return ": " + abbreviate(message.asText());
        }
        JsonNode top = root.has("message") ? root.get("message") : root.get("error");
        if (top != null && top.isTextual() && !top.asText().isBlank()) {
          return ": " + abbreviate(top.asText());
        }
      }
      return "";
    } catch (IOException e) {
      return ": " + abbreviate(new String(body, StandardCharsets.UTF_8));
    }
  }

  private static String advice(int status) {
    switch (status) {
      case 401:
        return ". The API rejected the credentials: check IMEDNET_API_KEY / IMEDNET_SECURITY_KEY";
      case 403:
        return ". The credentials have no access to this study, or the study does not exist: check"
            + " the study key and IMEDNET_API_KEY / IMEDNET_SECURITY_KEY";
      case 404:
        return ". Not found: check the study key and the base URL (IMEDNET_BASE_URL)";
      case 400:
        return ". The API rejected the request: check the filter and sort";
      default:
        return "";
    }
  }

  private static String abbreviate(String s) {
    String oneLine = s.replaceAll("\\s+", " ").trim();
    return oneLine.length() <= MAX_ERROR_TEXT
        ? oneLine
        : oneLine.substring(0, MAX_ERROR_TEXT) + "…";
  }

  private String redact(String message) {
    String m = message;
    for (Secret secret : List.of(config.apiKey(), config.securityKey())) {
      if (!secret.isEmpty()) {
        m = m.replace(secret.reveal(), secret.toString());
      }
    }
    return m;
  }

  private Duration delayBefore(int failedAttempts, @Nullable Throwable last) {
    Duration cap = config.backoffCap();
    if (last instanceof TransientFailure && ((TransientFailure) last).retryAfter != null) {
      Duration asked = ((TransientFailure) last).retryAfter;
      return asked.compareTo(cap) > 0 ? cap : asked;
    }
    long baseNanos = config.backoffBase().toNanos();
    int doublings = Math.min(Math.max(failedAttempts - 1, 0), 40);
    long capNanos = cap.toNanos();
    long exp = baseNanos > (capNanos >> doublings) ? capNanos : baseNanos << doublings;
    // Jitter spreads the retries of many workers that failed together.
    double factor = 0.5 + 0.5 * ThreadLocalRandom.current().nextDouble();
    return Duration.ofNanos((long) (Math.min(exp, capNanos) * factor));
  }

  private URI uri(@Nullable String studyKey, String resource, PageQuery query) {
    StringBuilder url = new StringBuilder(config.baseUrl()).append(API_PREFIX);
    if (studyKey != null) {
      url.append('/').append(encode(studyKey)).append('/').append(encode(resource));
    } else if (!ImednetResources.STUDIES.equals(resource)) {
      throw new IllegalArgumentException("studyKey is required for resource " + resource);
    }
    url.append("?page=").append(query.page()).append("&size=").append(query.size());
    if (query.sort() != null) {
      url.append("&sort=").append(encode(query.sort()));
    }
    if (query.filter() != null && !query.filter().isEmpty()) {
      url.append("&filter=").append(encode(query.filter()));
    }
    if (query.recordDataFilter() != null && !query.recordDataFilter().isEmpty()) {
      url.append("&recordDataFilter=").append(encode(query.recordDataFilter()));
    }
    return URI.create(url.toString());
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String describe(@Nullable String studyKey, String resource, PageQuery query) {
    StringBuilder s = new StringBuilder("GET ");
    if (studyKey == null) {
      s.append("studies list");
    } else {
      s.append("study '").append(studyKey).append("' ").append(resource);
    }
    s.append(" (page ").append(query.page()).append(", size ").append(query.size());
    if (query.sort() != null) {
      s.append(", sort ").append(query.sort());
    }
    if (query.filter() != null && !query.filter().isEmpty()) {
      s.append(", filter ").append(query.filter());
    }
    if (query.recordDataFilter() != null && !query.recordDataFilter().isEmpty()) {
      s.append(", recordDataFilter ").append(query.recordDataFilter());
    }
    return s.append(')').toString();
  }

  /** A failure that another attempt may fix. */
  private static final class TransientFailure extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;
    final transient @Nullable Duration retryAfter;
    // The body of a malformed page, kept only for ApiConfig#malformedPagesDir.
    transient @Nullable byte[] body;

    TransientFailure(
        int status, String message, @Nullable Duration retryAfter, @Nullable Throwable cause) {
      super(message, cause);
      this.status = status;
      this.retryAfter = retryAfter;
    }
  }

  /**
   * Offset paging, one page in memory. Later pages are fetched lazily; their failures surface as
   * {@link UncheckedIOException} wrapping the {@link ImednetApiException}.
   */
  private final class PagingIterator implements Iterator<JsonNode> {
    private final @Nullable String studyKey;
    private final String resource;
    private final String sort;
    private final @Nullable String filter;
    private Iterator<JsonNode> items;
    private int page;
    private int totalPages;
    private @Nullable UncheckedIOException failure;

    PagingIterator(
        @Nullable String studyKey,
        String resource,
        String sort,
        @Nullable String filter,
        ApiPage first) {
      this.studyKey = studyKey;
      this.resource = resource;
      this.sort = sort;
      this.filter = filter;
      this.items = first.data().iterator();
      this.page = 0;
      this.totalPages = first.totalPages();
    }

    @Override
    public boolean hasNext() {
      if (failure != null) {
        // A failed page is never mistaken for the end of the list.
        throw failure;
      }
      while (!items.hasNext() && page + 1 < totalPages) {
        page++;
        try {
          ApiPage next =
              getPage(studyKey, resource, PageQuery.of(page, config.pageSize(), sort, filter));
          items = next.data().iterator();
          totalPages = next.totalPages();
        } catch (IOException e) {
          failure = new UncheckedIOException(e);
          throw failure;
        }
      }
      return items.hasNext();
    }

    @Override
    public JsonNode next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return items.next();
    }
  }
}
