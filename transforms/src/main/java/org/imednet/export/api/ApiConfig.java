package org.imednet.export.api;

import java.io.Serializable;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * How to reach the iMednet API and how hard to push it. Immutable and serializable so it can travel
 * inside a Beam transform to every worker; the keys are {@link Secret}s, so {@link #toString()} and
 * display data show {@code ****}.
 *
 * <pre>{@code
 * ApiConfig config = ApiConfig.fromEnvironment(System.getenv())
 *     .toBuilder()
 *     .requestsPerSecond(20.0 / numberOfWorkers)   // split a global budget across workers
 *     .build();
 * }</pre>
 *
 * <p>{@link #maxConcurrentRequests()} and {@link #requestsPerSecond()} are enforced per JVM and per
 * base URL: every client in one worker JVM with the same base URL and limits shares one gate,
 * however many DoFn instances the runner creates. A cluster run that must stay within a global
 * budget sets {@code requestsPerSecond = global budget / number of workers}.
 */
public final class ApiConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String DEFAULT_BASE_URL = "https://edc.prod.imednetapi.com";
  public static final String ENV_API_KEY = "IMEDNET_API_KEY";
  public static final String ENV_SECURITY_KEY = "IMEDNET_SECURITY_KEY";
  public static final String ENV_BASE_URL = "IMEDNET_BASE_URL";
  public static final String ENV_TIMEOUT = "IMEDNET_TIMEOUT";

  /** The largest page the API serves. */
  public static final int MAX_PAGE_SIZE = 500;

  private final String baseUrl;
  private final Secret apiKey;
  private final Secret securityKey;
  private final Duration requestTimeout;
  private final int maxRetries;
  private final Duration backoffBase;
  private final Duration backoffCap;
  private final int maxConcurrentRequests;
  private final double requestsPerSecond;
  private final int pageSize;
  private final @Nullable String malformedPagesDir;
  private final int requestPriority;

  private ApiConfig(Builder b) {
    this.baseUrl = b.baseUrl;
    this.apiKey = b.apiKey;
    this.securityKey = b.securityKey;
    this.requestTimeout = b.requestTimeout;
    this.maxRetries = b.maxRetries;
    this.backoffBase = b.backoffBase;
    this.backoffCap = b.backoffCap;
    this.maxConcurrentRequests = b.maxConcurrentRequests;
    this.requestsPerSecond = b.requestsPerSecond;
    this.pageSize = b.pageSize;
    this.malformedPagesDir = b.malformedPagesDir;
    this.requestPriority = b.requestPriority;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.baseUrl = baseUrl;
    b.apiKey = apiKey;
    b.securityKey = securityKey;
    b.requestTimeout = requestTimeout;
    b.maxRetries = maxRetries;
    b.backoffBase = backoffBase;
    b.backoffCap = backoffCap;
    b.maxConcurrentRequests = maxConcurrentRequests;
    b.requestsPerSecond = requestsPerSecond;
    b.pageSize = pageSize;
    b.malformedPagesDir = malformedPagesDir;
    b.requestPriority = requestPriority;
    return b;
  }

  /**
   * Reads {@code IMEDNET_API_KEY} and {@code IMEDNET_SECURITY_KEY} (both required), {@code
   * IMEDNET_BASE_URL} and {@code IMEDNET_TIMEOUT} (seconds) from {@code env}, e.g. {@code
   * System.getenv()}. The error for a missing variable names the variable, never a value.
   */
  public static ApiConfig fromEnvironment(Map<String, String> env) {
    Builder b = builder();
    b.apiKey(Secret.of(required(env, ENV_API_KEY)));
    b.securityKey(Secret.of(required(env, ENV_SECURITY_KEY)));
    String baseUrl = env.get(ENV_BASE_URL);
    if (baseUrl != null && !baseUrl.isBlank()) {
      b.baseUrl(baseUrl.trim());
    }
    String timeout = env.get(ENV_TIMEOUT);
    if (timeout != null && !timeout.isBlank()) {
      double seconds;
      try {
        seconds = Double.parseDouble(timeout.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            ENV_TIMEOUT + " must be a number of seconds, was '" + timeout + "'", e);
      }
      if (!(seconds > 0) || Double.isInfinite(seconds)) {
        throw new IllegalArgumentException(
            ENV_TIMEOUT + " must be a positive number of seconds, was '" + timeout + "'");
      }
      b.requestTimeout(Duration.ofMillis(Math.max(1, Math.round(seconds * 1000))));
    }
    return b.build();
  }

  private static String required(Map<String, String> env, String name) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(
          "Environment variable " + name + " is not set; set it to your iMednet credential");
    }
    return value.trim();
  }

  /** Scheme, host and optional path prefix, without a trailing {@code /} or {@code /api}. */
  public String baseUrl() {
    return baseUrl;
  }

  public Secret apiKey() {
    return apiKey;
  }

  public Secret securityKey() {
    return securityKey;
  }

  public Duration requestTimeout() {
    return requestTimeout;
  }

  /** Retries after the first attempt of one request; 0 disables retrying. */
  public int maxRetries() {
    return maxRetries;
  }

  public Duration backoffBase() {
    return backoffBase;
  }

  /** Upper bound of any wait between attempts, including a server's {@code Retry-After}. */
  public Duration backoffCap() {
    return backoffCap;
  }

  public int maxConcurrentRequests() {
    return maxConcurrentRequests;
  }

  /** Requests per second per JVM and base URL; 0 means unlimited. */
  public double requestsPerSecond() {
    return requestsPerSecond;
  }

  public int pageSize() {
    return pageSize;
  }

  /**
   * Where the body of a response that stays malformed after every retry is kept, or null: such a
   * page fails the run (keyset paging cannot go past it), and its body, which holds patient data,
   * is never put in a message, so this is the only place it survives.
   */
  public @Nullable String malformedPagesDir() {
    return malformedPagesDir;
  }

  /**
   * Where this configuration's requests stand among those waiting for the same JVM-wide gate: lower
   * values are sent first. Default 0.
   */
  public int requestPriority() {
    return requestPriority;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof ApiConfig)) {
      return false;
    }
    ApiConfig c = (ApiConfig) o;
    return baseUrl.equals(c.baseUrl)
        && apiKey.equals(c.apiKey)
        && securityKey.equals(c.securityKey)
        && requestTimeout.equals(c.requestTimeout)
        && maxRetries == c.maxRetries
        && backoffBase.equals(c.backoffBase)
        && backoffCap.equals(c.backoffCap)
        && maxConcurrentRequests == c.maxConcurrentRequests
        && Double.compare(requestsPerSecond, c.requestsPerSecond) == 0
        && pageSize == c.pageSize
        && Objects.equals(malformedPagesDir, c.malformedPagesDir)
        && requestPriority == c.requestPriority;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        baseUrl, requestTimeout, maxRetries, maxConcurrentRequests, requestsPerSecond, pageSize);
  }

  @Override
  public String toString() {
    return "ApiConfig{baseUrl="
        + baseUrl
        + ", apiKey="
        + apiKey
        + ", securityKey="
        + securityKey
        + ", requestTimeout="
        + requestTimeout
        + ", maxRetries="
        + maxRetries
        + ", backoff="
        + backoffBase
        + ".."
        + backoffCap
        + ", maxConcurrentRequests="
        + maxConcurrentRequests
        + ", requestsPerSecond="
        + (requestsPerSecond == 0 ? "unlimited" : requestsPerSecond)
        + ", pageSize="
        + pageSize
        + (malformedPagesDir == null ? "" : ", malformedPagesDir=" + malformedPagesDir)
        + (requestPriority == 0 ? "" : ", requestPriority=" + requestPriority)
        + "}";
  }

  /** Builds an {@link ApiConfig}; each setter validates its value. */
  public static final class Builder {
    private String baseUrl = DEFAULT_BASE_URL;
    private @Nullable Secret apiKey;
    private @Nullable Secret securityKey;
    private Duration requestTimeout = Duration.ofSeconds(30);
    private int maxRetries = 5;
    private Duration backoffBase = Duration.ofMillis(500);
    private Duration backoffCap = Duration.ofSeconds(30);
    private int maxConcurrentRequests = 4;
    private double requestsPerSecond = 0;
    private int pageSize = MAX_PAGE_SIZE;
    private @Nullable String malformedPagesDir;
    private int requestPriority;

    private Builder() {}

    /**
     * Lower values are sent first when requests of several configurations wait for the same gate
     * (same base URL and limits) in one JVM. Default 0. A backfill gives each of its runs in flight
     * its place in the plan, so the earliest run has the whole budget and the later ones take only
     * what it leaves unused (its start, its commit, the tail of its pages).
     */
    public Builder requestPriority(int priority) {
      this.requestPriority = priority;
      return this;
    }

    /**
     * Keeps the body of a response that is still malformed after the last retry in a file under
     * {@code dir} (any Beam file system: a local path, {@code gs://…}), named in the error.
     * Default: not kept.
     */
    public Builder keepMalformedPagesIn(String dir) {
      if (dir == null || dir.isBlank()) {
        throw new IllegalArgumentException("keepMalformedPagesIn needs a directory");
      }
      this.malformedPagesDir = dir;
      return this;
    }

    /**
     * Default {@value ApiConfig#DEFAULT_BASE_URL}. A trailing {@code /} and one trailing {@code
     * /api} are removed; request paths add {@code /api/v1/edc/studies…}.
     */
    public Builder baseUrl(String baseUrl) {
      this.baseUrl = normalizeBaseUrl(baseUrl);
      return this;
    }

    public Builder apiKey(Secret apiKey) {
      this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
      return this;
    }

    public Builder securityKey(Secret securityKey) {
      this.securityKey = Objects.requireNonNull(securityKey, "securityKey");
      return this;
    }

    /** Whole-request deadline (connect, headers and body). Default 30 s. */
    public Builder requestTimeout(Duration timeout) {
      checkArgument(
          timeout != null && !timeout.isNegative() && !timeout.isZero(),
          "requestTimeout must be positive, was %s",
          timeout);
      this.requestTimeout = timeout;
      return this;
    }

    /** Default 5, valid 0..100. */
    public Builder maxRetries(int maxRetries) {
      checkArgument(
          maxRetries >= 0 && maxRetries <= 100, "maxRetries must be 0..100, was %s", maxRetries);
      this.maxRetries = maxRetries;
      return this;
    }

    /**
     * The first retry waits about {@code base}, each further one twice as long, never more than
     * {@code cap}; each wait is jittered down by up to half. Defaults 500 ms and 30 s.
     */
    public Builder backoff(Duration base, Duration cap) {
      checkArgument(base != null && !base.isNegative(), "backoff base must be >= 0, was %s", base);
      checkArgument(
          cap != null && cap.compareTo(base) >= 0,
          "backoff cap must be >= base (%s), was %s",
          base,
          cap);
      this.backoffBase = base;
      this.backoffCap = cap;
      return this;
    }

    /** Concurrent requests per JVM and base URL. Default 4, valid 1..1000. */
    public Builder maxConcurrentRequests(int max) {
      checkArgument(max >= 1 && max <= 1000, "maxConcurrentRequests must be 1..1000, was %s", max);
      this.maxConcurrentRequests = max;
      return this;
    }

    /**
     * Requests per second per JVM and base URL; 0 (the default) means unlimited. To split a global
     * budget across a cluster, pass the global budget divided by the number of workers.
     */
    public Builder requestsPerSecond(double rps) {
      checkArgument(
          rps >= 0 && !Double.isInfinite(rps) && !Double.isNaN(rps),
          "requestsPerSecond must be >= 0 (0 = unlimited), was %s",
          rps);
      this.requestsPerSecond = rps;
      return this;
    }

    /** Default and maximum {@value ApiConfig#MAX_PAGE_SIZE}. */
    public Builder pageSize(int pageSize) {
      checkArgument(
          pageSize >= 1 && pageSize <= MAX_PAGE_SIZE,
          "pageSize must be 1..%s, was %s",
          MAX_PAGE_SIZE,
          pageSize);
      this.pageSize = pageSize;
      return this;
    }

    public ApiConfig build() {
      if (apiKey == null || apiKey.isEmpty()) {
        throw new IllegalArgumentException("apiKey is required (" + ENV_API_KEY + ")");
      }
      if (securityKey == null || securityKey.isEmpty()) {
        throw new IllegalArgumentException("securityKey is required (" + ENV_SECURITY_KEY + ")");
      }
      return new ApiConfig(this);
    }
  }

  static String normalizeBaseUrl(String url) {
    checkArgument(url != null && !url.isBlank(), "baseUrl must not be blank", url);
    String u = url.trim();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    if (u.endsWith("/api")) {
      u = u.substring(0, u.length() - "/api".length());
    }
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    checkArgument(
        u.startsWith("http://") || u.startsWith("https://"),
        "baseUrl must start with http:// or https://, was %s",
        url);
    return u;
  }

  private static void checkArgument(boolean ok, String format, Object... args) {
    if (!ok) {
      throw new IllegalArgumentException(String.format(format, args));
    }
  }
}
