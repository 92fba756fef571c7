package org.imednet.export.sinks.snowflake;

import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * What and how to load, apart from the connection: stage prefix, table layout, batch size, retries,
 * manifest and local staging. Immutable; every {@code withX} returns a copy.
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

  private final String stagePrefix;
  private final @Nullable String singleTable;
  private final boolean forceReload;
  private final boolean keepStaged;
  private final int maxRetries;
  private final Duration retryBackoff;
  private final @Nullable String manifestPath;
  private final @Nullable String localStagingDir;
  private final int batchSize;
  private final Sleeper sleeper;

  private SnowflakeLoadOptions(
      String stagePrefix,
      @Nullable String singleTable,
      boolean forceReload,
      boolean keepStaged,
      int maxRetries,
      Duration retryBackoff,
      @Nullable String manifestPath,
      @Nullable String localStagingDir,
      int batchSize,
      Sleeper sleeper) {
    this.stagePrefix = stagePrefix;
    this.singleTable = singleTable;
    this.forceReload = forceReload;
    this.keepStaged = keepStaged;
    this.maxRetries = maxRetries;
    this.retryBackoff = retryBackoff;
    this.manifestPath = manifestPath;
    this.localStagingDir = localStagingDir;
    this.batchSize = batchSize;
    this.sleeper = sleeper;
  }

  /**
   * Defaults: stage prefix {@code imednet}, one table per form, {@code FORCE = FALSE}, staged files
   * removed after loading, 3 retries from 1 s, no manifest, a temporary local staging directory,
   * {@value #DEFAULT_BATCH_SIZE} rows per batch.
   */
  public static SnowflakeLoadOptions defaults() {
    return new SnowflakeLoadOptions(
        "imednet",
        null,
        false,
        false,
        3,
        Duration.ofSeconds(1),
        null,
        null,
        DEFAULT_BATCH_SIZE,
        Sleeper.SYSTEM);
  }

  /** Folder inside the stage, {@code imednet} by default; segments of [A-Za-z0-9_.=-]. */
  public SnowflakeLoadOptions withStagePrefix(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    String trimmed = prefix.replaceAll("^/+|/+$", "");
    SnowflakeSql.checkStagePath(trimmed);
    return new SnowflakeLoadOptions(
        trimmed,
        singleTable,
        forceReload,
        keepStaged,
        maxRetries,
        retryBackoff,
        manifestPath,
        localStagingDir,
        batchSize,
        sleeper);
  }

  /** Loads every form of every study into this one table (the union of their columns). */
  public SnowflakeLoadOptions withSingleTable(String table) {
    checkArgument(table != null && !table.isBlank(), "singleTable must not be blank");
    return new SnowflakeLoadOptions(
        stagePrefix,
        table,
        forceReload,
        keepStaged,
        maxRetries,
        retryBackoff,
        manifestPath,
        localStagingDir,
        batchSize,
        sleeper);
  }

  /**
   * {@code COPY ... FORCE = TRUE} and ignore the manifest ledger: every batch is loaded again. Rows
   * still replace rows with the same key, so this never duplicates. Default false.
   */
  public SnowflakeLoadOptions withForceReload(boolean force) {
    return new SnowflakeLoadOptions(
        stagePrefix,
        singleTable,
        force,
        keepStaged,
        maxRetries,
        retryBackoff,
        manifestPath,
        localStagingDir,
        batchSize,
        sleeper);
  }

  /** Keep files in the Snowflake stage after loading (default false: {@code REMOVE}d). */
  public SnowflakeLoadOptions withKeepStaged(boolean keep) {
    return new SnowflakeLoadOptions(
        stagePrefix,
        singleTable,
        forceReload,
        keep,
        maxRetries,
        retryBackoff,
        manifestPath,
        localStagingDir,
        batchSize,
        sleeper);
  }

  /** Retries per batch after the first attempt, 0..20; default 3. */
  public SnowflakeLoadOptions withMaxRetries(int retries) {
    checkArgument(retries >= 0 && retries <= 20, "maxRetries must be 0..20, was %s", retries);
    return new SnowflakeLoadOptions(
        stagePrefix,
        singleTable,
        forceReload,
        keepStaged,
        retries,
        retryBackoff,
        manifestPath,
        localStagingDir,
        batchSize,
        sleeper);
  }

  /** Base of the exponential backoff: retry n waits {@code backoff × 2^(n-1)}; default 1 s. */
  public SnowflakeLoadOptions withRetryBackoff(Duration backoff) {
    checkArgument(
        backoff != null && !backoff.isNegative() && backoff.compareTo(Duration.ofMinutes(10)) <= 0,
        "retryBackoff must be 0..10 min, was %s",
        backoff);
    return new SnowflakeLoadOptions(
        stagePrefix,
        singleTable,
        forceReload,
        keepStaged,
        maxRetries,
        backoff,
        manifestPath,
        localStagingDir,
        batchSize,
        sleeper);
  }

  /** JSON-lines ledger of loaded batches, consulted on re-runs; default none. */
  public SnowflakeLoadOptions withManifestPath(Path path) {
    Objects.requireNonNull(path, "path");
    return new SnowflakeLoadOptions(
        stagePrefix,
        singleTable,
        forceReload,
        keepStaged,
        maxRetries,
        retryBackoff,
        path.toAbsolutePath().toString(),
        localStagingDir,
        batchSize,
        sleeper);
  }

  /** Write Parquet files here and keep them; default a temporary directory, removed at the end. */
  public SnowflakeLoadOptions withLocalStagingDir(Path dir) {
    Objects.requireNonNull(dir, "dir");
    return new SnowflakeLoadOptions(
        stagePrefix,
        singleTable,
        forceReload,
        keepStaged,
        maxRetries,
        retryBackoff,
        manifestPath,
        dir.toAbsolutePath().toString(),
        batchSize,
        sleeper);
  }

  /** Rows per staged file, 1..10,000,000; default {@value #DEFAULT_BATCH_SIZE}. */
  public SnowflakeLoadOptions withBatchSize(int rows) {
    checkArgument(rows > 0 && rows <= 10_000_000, "batchSize must be 1..10000000, was %s", rows);
    return new SnowflakeLoadOptions(
        stagePrefix,
        singleTable,
        forceReload,
        keepStaged,
        maxRetries,
        retryBackoff,
        manifestPath,
        localStagingDir,
        rows,
        sleeper);
  }

  /** How to wait between retries; tests pass one that does not sleep. */
  public SnowflakeLoadOptions withSleeper(Sleeper s) {
    Objects.requireNonNull(s, "sleeper");
    return new SnowflakeLoadOptions(
        stagePrefix,
        singleTable,
        forceReload,
        keepStaged,
        maxRetries,
        retryBackoff,
        manifestPath,
        localStagingDir,
        batchSize,
        s);
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
