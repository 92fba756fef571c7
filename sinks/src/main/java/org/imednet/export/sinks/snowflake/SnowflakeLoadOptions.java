package org.imednet.export.sinks.snowflake;

import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.annotation.Nullable;
import org.imednet.export.sinks.staging.RemoteFiles;

/**
 * What and how to load, apart from the connection: stage prefix, table layout, batch size, retries,
 * manifest and local staging. Immutable to its users: every {@code withX} returns a changed copy,
 * and only such fresh copies have their fields set.
 */
public final class SnowflakeLoadOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * Default rows per staged file. Snowflake advises 100–250 MB compressed files; a typical form row
   * (some 20–100 columns plus the record JSON) is 0.2–1 KB of Snappy Parquet but 2–5 KB on the Java
   * heap, where a batch is held while it is sorted, hashed and written. 100,000 rows stay within a
   * few hundred MB of heap per open batch and give files of roughly 20–100 MB: as close to the
   * advice as memory safely allows, and far above the many-small-files regime that slows COPY.
   */
  public static final int DEFAULT_BATCH_SIZE = 100_000;

  private static final Pattern STAGE_URL =
      Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*)://([^/]+)(/.*)?");

  private String stagePrefix = "imednet";
  private @Nullable String singleTable;
  private boolean forceReload;
  private boolean keepStaged;
  private int maxRetries = 3;
  private Duration retryBackoff = Duration.ofSeconds(1);
  private @Nullable String manifestPath;
  private @Nullable String localStagingDir;
  private @Nullable String stageUrl;
  private int batchSize = DEFAULT_BATCH_SIZE;
  private Sleeper sleeper = Sleeper.SYSTEM;

  private SnowflakeLoadOptions() {}

  /** A copy for a {@code withX} to change before returning it; nothing else sets fields. */
  private SnowflakeLoadOptions copy() {
    SnowflakeLoadOptions c = new SnowflakeLoadOptions();
    c.stagePrefix = stagePrefix;
    c.singleTable = singleTable;
    c.forceReload = forceReload;
    c.keepStaged = keepStaged;
    c.maxRetries = maxRetries;
    c.retryBackoff = retryBackoff;
    c.manifestPath = manifestPath;
    c.localStagingDir = localStagingDir;
    c.stageUrl = stageUrl;
    c.batchSize = batchSize;
    c.sleeper = sleeper;
    return c;
  }

  /**
   * Defaults: stage prefix {@code imednet}, one table per form, {@code FORCE = FALSE}, staged files
   * removed after loading, 3 retries from 1 s, no manifest, a temporary local staging directory,
   * {@value #DEFAULT_BATCH_SIZE} rows per batch, an internal stage (PUT).
   */
  public static SnowflakeLoadOptions defaults() {
    return new SnowflakeLoadOptions();
  }

  /** Folder inside the stage, {@code imednet} by default; segments of [A-Za-z0-9_.=-]. */
  public SnowflakeLoadOptions withStagePrefix(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    String trimmed = prefix.replaceAll("^/+|/+$", "");
    SnowflakeSql.checkStagePath(trimmed);
    SnowflakeLoadOptions c = copy();
    c.stagePrefix = trimmed;
    return c;
  }

  /** Loads every form of every study into this one table (the union of their columns). */
  public SnowflakeLoadOptions withSingleTable(String table) {
    checkArgument(table != null && !table.isBlank(), "singleTable must not be blank");
    SnowflakeLoadOptions c = copy();
    c.singleTable = table;
    return c;
  }

  /**
   * {@code COPY ... FORCE = TRUE} and ignore the manifest ledger: every batch is loaded again. Rows
   * still replace rows with the same key, so this never duplicates. Default false.
   */
  public SnowflakeLoadOptions withForceReload(boolean force) {
    SnowflakeLoadOptions c = copy();
    c.forceReload = force;
    return c;
  }

  /**
   * Keep files in the Snowflake stage after loading (default false: {@code REMOVE}d, or with {@link
   * #withStageUrl} deleted from the bucket).
   */
  public SnowflakeLoadOptions withKeepStaged(boolean keep) {
    SnowflakeLoadOptions c = copy();
    c.keepStaged = keep;
    return c;
  }

  /** Retries per batch after the first attempt, 0..20; default 3. */
  public SnowflakeLoadOptions withMaxRetries(int retries) {
    checkArgument(retries >= 0 && retries <= 20, "maxRetries must be 0..20, was %s", retries);
    SnowflakeLoadOptions c = copy();
    c.maxRetries = retries;
    return c;
  }

  /** Base of the exponential backoff: retry n waits {@code backoff × 2^(n-1)}; default 1 s. */
  public SnowflakeLoadOptions withRetryBackoff(Duration backoff) {
    checkArgument(
        backoff != null && !backoff.isNegative() && backoff.compareTo(Duration.ofMinutes(10)) <= 0,
        "retryBackoff must be 0..10 min, was %s",
        backoff);
    SnowflakeLoadOptions c = copy();
    c.retryBackoff = backoff;
    return c;
  }

  /** JSON-lines ledger of loaded batches, consulted on re-runs; default none. */
  public SnowflakeLoadOptions withManifestPath(Path path) {
    Objects.requireNonNull(path, "path");
    SnowflakeLoadOptions c = copy();
    c.manifestPath = path.toAbsolutePath().toString();
    return c;
  }

  /** Write Parquet files here and keep them; default a temporary directory, removed at the end. */
  public SnowflakeLoadOptions withLocalStagingDir(Path dir) {
    Objects.requireNonNull(dir, "dir");
    SnowflakeLoadOptions c = copy();
    c.localStagingDir = dir.toAbsolutePath().toString();
    return c;
  }

  /**
   * Loads through an EXTERNAL stage: the settings' stage is an external stage whose URL is {@code
   * url} ({@code s3://bucket/path}, or any other scheme Beam has a {@link
   * org.apache.beam.sdk.io.FileSystems} for), and each batch's file is written there, to {@code
   * <url>/<stagePrefix>/<TABLE>/<sha256>.parquet}, through {@code FileSystems} (credentials from
   * the cloud's default chain, never from settings), and COPYed from the stage with no PUT. After
   * its COPY commits, the file is deleted through {@code FileSystems} unless {@link
   * #withKeepStaged}. Default: none, an internal stage loaded with PUT.
   *
   * @throws IllegalArgumentException unless {@code url} is {@code scheme://bucket[/path]} without
   *     glob characters or empty, {@code .} or {@code ..} segments
   */
  public SnowflakeLoadOptions withStageUrl(String url) {
    Objects.requireNonNull(url, "url");
    SnowflakeLoadOptions c = copy();
    c.stageUrl = checkStageUrl(url);
    return c;
  }

  /**
   * {@code url} without trailing slashes, or an {@link IllegalArgumentException} saying why not.
   */
  static String checkStageUrl(String url) {
    Matcher m = STAGE_URL.matcher(url);
    if (!m.matches() || !RemoteFiles.isRemote(url)) {
      throw new IllegalArgumentException(
          "stageUrl must be the URL of an external stage, scheme://bucket[/path] (such as"
              + " s3://bucket/stage), was '"
              + url
              + "'");
    }
    String path = m.group(3) == null ? "" : m.group(3).replaceAll("/+$", "");
    for (String segment : path.isEmpty() ? new String[0] : path.substring(1).split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw new IllegalArgumentException(
            "stageUrl must not contain empty, '.' or '..' segments, was '" + url + "'");
      }
    }
    if (url.chars().anyMatch(ch -> "*?[]{}".indexOf(ch) >= 0)) {
      throw new IllegalArgumentException(
          "stageUrl must not contain glob characters (* ? [ ] { }), was '" + url + "'");
    }
    return m.group(1) + "://" + m.group(2) + path;
  }

  /** Rows per staged file, 1..10,000,000; default {@value #DEFAULT_BATCH_SIZE}. */
  public SnowflakeLoadOptions withBatchSize(int rows) {
    checkArgument(rows > 0 && rows <= 10_000_000, "batchSize must be 1..10000000, was %s", rows);
    SnowflakeLoadOptions c = copy();
    c.batchSize = rows;
    return c;
  }

  /** How to wait between retries; tests pass one that does not sleep. */
  public SnowflakeLoadOptions withSleeper(Sleeper s) {
    Objects.requireNonNull(s, "sleeper");
    SnowflakeLoadOptions c = copy();
    c.sleeper = s;
    return c;
  }

  public String stagePrefix() {
    return stagePrefix;
  }

  public @Nullable String singleTable() {
    return singleTable;
  }

  public boolean forceReload() {
    return forceReload;
  }

  public boolean keepStaged() {
    return keepStaged;
  }

  public int maxRetries() {
    return maxRetries;
  }

  public Duration retryBackoff() {
    return retryBackoff;
  }

  public @Nullable Path manifestPath() {
    return manifestPath == null ? null : Path.of(manifestPath);
  }

  public @Nullable Path localStagingDir() {
    return localStagingDir == null ? null : Path.of(localStagingDir);
  }

  /** The external stage's URL ({@link #withStageUrl}), or null for an internal stage. */
  public @Nullable String stageUrl() {
    return stageUrl;
  }

  public int batchSize() {
    return batchSize;
  }

  public Sleeper sleeper() {
    return sleeper;
  }

  /** The wait before retry {@code attempt} (1-based): {@code retryBackoff × 2^(attempt-1)}. */
  public Duration backoffBeforeRetry(int attempt) {
    return retryBackoff.multipliedBy(1L << Math.min(attempt - 1, 30));
  }

  @Override
  public String toString() {
    return "SnowflakeLoadOptions{stagePrefix="
        + stagePrefix
        + ", singleTable="
        + singleTable
        + ", forceReload="
        + forceReload
        + ", keepStaged="
        + keepStaged
        + ", maxRetries="
        + maxRetries
        + ", retryBackoff="
        + retryBackoff
        + ", manifestPath="
        + manifestPath
        + ", localStagingDir="
        + localStagingDir
        + (stageUrl == null ? "" : ", stageUrl=" + stageUrl)
        + ", batchSize="
        + batchSize
        + "}";
  }

  static void checkArgument(boolean ok, String format, Object... args) {
    if (!ok) {
      throw new IllegalArgumentException(String.format(format, args));
    }
  }
}
