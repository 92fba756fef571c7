package org.imednet.export.sinks.snowflake;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import javax.annotation.Nullable;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.TableSchema;
import org.imednet.export.sinks.staging.ParquetBatchFile;
import org.imednet.export.sinks.staging.RemoteFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads batches of rows into Snowflake, one batch at a time, exactly once. Usable on its own and
 * used by {@link LoadIntoSnowflake}:
 *
 * <pre>{@code
 * try (SnowflakeBatchLoader loader =
 *     SnowflakeBatchLoader.open(settings,
 *         SnowflakeLoadOptions.defaults().withManifestPath(Path.of("manifest.jsonl")))) {
 *   LoadResult r = loader.load(rowBatchesOfOneTable, "MY_STUDY/DEMOG/0");
 * }
 * }</pre>
 *
 * <p>Each batch: the rows are put in canonical order and hashed ({@link BatchContent}); the Parquet
 * file {@code <sha256>.parquet} is written locally and {@code PUT} to
 * {@code @"STAGE"/<prefix>/<TABLE>/} ({@code OVERWRITE = FALSE}: the same name always has the same
 * content). Then the target table is created or widened, the file is {@code COPY}ed into a fresh
 * transient staging table, and in ONE transaction the target rows with the staged rows' keys
 * ({@code study_key, record_id} for forms) are deleted and the staged rows inserted. So:
 *
 * <ul>
 *   <li>a batch already recorded as LOADED in the manifest for the same table and content is not
 *       sent again (status ALREADY_LOADED, 0 rows), beyond Snowflake's 64-day load history;
 *   <li>changed rows replace their previous version; re-exporting a study never duplicates;
 *   <li>a retried or repeated attempt repeats the same replace, so a connection lost after COMMIT
 *       cannot load twice; a failed attempt leaves the target as it was.
 * </ul>
 *
 * <p><b>External stages</b> ({@link SnowflakeLoadOptions#withStageUrl}): instead of the PUT, the
 * file is written through Beam's {@link org.apache.beam.sdk.io.FileSystems} to {@code
 * <stageUrl>/<prefix>/<TABLE>/<sha256>.parquet} (skipped when that object exists: the name fixes
 * the content, and object stores show only complete objects), the COPY reads it from
 * {@code @"STAGE"/<prefix>/<TABLE>/} as above, and after the commit it is deleted through {@code
 * FileSystems} instead of {@code REMOVE}d. Everything else, the manifest and the keyed replace
 * included, is the same, so the guarantees are too. {@code FileSystems} must know the job's options
 * (endpoint, region; {@code Pipeline.create} registers them, {@link LoadIntoSnowflake} re-registers
 * them before each call, see {@link #beforeEachFileSystemsCall}); the bucket's credentials come
 * from the cloud's default chain.
 *
 * <p>Each step is retried up to {@code maxRetries} times after {@code retryBackoff × 2^(n-1)},
 * reconnecting first; SQL compilation, permission and authentication errors are not retried. Then
 * {@link ExportBatchError} names the batch, and the manifest gets a FAILED line. A crash can leave
 * a staged file (removed by the next successful load of the same content, or with {@code
 * REMOVE @STAGE/<prefix>/}; in an external stage's bucket, delete {@code <stageUrl>/<prefix>/}) and
 * a {@code <TABLE>_STG_*} transient table (safe to drop); never partial rows in a target table. Not
 * thread-safe: one loader per thread.
 */
public final class SnowflakeBatchLoader implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SnowflakeBatchLoader.class);

  private final SnowflakeSettings settings;
  private final SnowflakeLoadOptions options;
  private final Path stagingDir;
  private final boolean temporaryStagingDir;
  private final @Nullable LoadManifest manifest;
  private final Set<String> ledger;
  private final Map<String, Set<String>> columnsByTable = new HashMap<>();
  private @Nullable Connection connection;
  private int lastAttempts;
  private Runnable beforeFileSystems = () -> {};

  private SnowflakeBatchLoader(
      SnowflakeSettings settings,
      SnowflakeLoadOptions options,
      Path stagingDir,
      boolean temporaryStagingDir) {
    this.settings = settings;
    this.options = options;
    this.stagingDir = stagingDir;
    this.temporaryStagingDir = temporaryStagingDir;
    Path manifestPath = options.manifestPath();
    this.manifest = manifestPath == null ? null : new LoadManifest(manifestPath);
    this.ledger = manifest == null ? new HashSet<>() : manifest.loadedKeys();
  }

  /**
   * Validates the settings and connects.
   *
   * @throws ExportConfigurationError naming missing settings, or when the connection fails
   */
  public static SnowflakeBatchLoader open(
      SnowflakeSettings settings, SnowflakeLoadOptions options) {
    settings.validate();
    Path dir = options.localStagingDir();
    boolean temporary = dir == null;
    try {
      if (temporary) {
        dir = Files.createTempDirectory("imednet-snowflake-");
      } else {
        Files.createDirectories(dir);
      }
    } catch (IOException e) {
      throw new ExportConfigurationError("Cannot create the local staging directory " + dir, e);
    }
    SnowflakeBatchLoader loader = new SnowflakeBatchLoader(settings, options, dir, temporary);
    try {
      loader.connection = settings.connect();
    } catch (ExportConfigurationError e) {
      loader.close();
      throw e;
    }
    return loader;
  }

  /**
   * Runs {@code hook} right before each {@code FileSystems} call on an external stage (the
   * existence check, the write, the delete). {@link LoadIntoSnowflake} makes {@code FileSystems}
   * use the job's options there ({@link RemoteFiles#useOptions}), because a runner may register
   * other options in the meantime. Default: nothing.
   */
  public SnowflakeBatchLoader beforeEachFileSystemsCall(Runnable hook) {
    this.beforeFileSystems = Objects.requireNonNull(hook, "hook");
    return this;
  }

  /** Stages and commits one batch: {@link #stage} then {@link #commit}. */
  public LoadResult load(List<RowBatch> rowsOfOneTable, String batchId) {
    return commit(stage(rowsOfOneTable, batchId));
  }

  /**
   * Writes the batch's Parquet file and PUTs it into the stage (or, with an external stage, writes
   * it to the stage's URL), unless the manifest shows the same content already loaded into the same
   * table. A null {@code batchId} becomes {@code <study>/<TABLE>/<first 16 hex digits of the
   * content hash>}.
   *
   * @throws ExportBatchError when the PUT (or the write) fails after all retries
   */
  public StagedBatch stage(List<RowBatch> rowsOfOneTable, @Nullable String batchId) {
    if (rowsOfOneTable.isEmpty()) {
      throw new IllegalArgumentException("Batch " + batchId + " has no RowBatch");
    }
    String table = TableNames.of(rowsOfOneTable.get(0).schema(), options.singleTable());
    for (RowBatch b : rowsOfOneTable) {
      String other = TableNames.of(b.schema(), options.singleTable());
      if (!other.equals(table)) {
        throw new IllegalArgumentException(
            "Batch " + batchId + " mixes tables " + table + " and " + other + "; load them apart");
      }
    }
    BatchContent content = BatchContent.of(rowsOfOneTable, table);
    if (batchId == null) {
      batchId = content.studyKey + "/" + table + "/" + content.sha256.substring(0, 16);
    }
    String folder = options.stagePrefix() + "/" + TableNames.sanitize(table);
    String stageFile = folder + "/" + content.sha256 + ".parquet";
    if (!options.forceReload()
        && ledger.contains(LoadManifest.key(qualified(table), content.sha256))) {
      return new StagedBatch(batchId, content, stageFile, true);
    }
    StagedBatch staged = new StagedBatch(batchId, content, stageFile, false);
    String stageUrl = options.stageUrl();
    if (stageUrl != null && existsInExternalStage(stageUrl + "/" + stageFile)) {
      return staged; // written by an earlier attempt or run; the same name is the same content
    }
    Path local = writeLocalFile(content, batchId);
    try {
      if (stageUrl == null) {
        withRetries(
            staged,
            "PUT",
            conn -> {
              put(conn, local, folder);
              return null;
            });
      } else {
        withRetries(
            staged,
            "WRITE",
            false,
            unused -> {
              writeToExternalStage(local, stageUrl + "/" + stageFile);
              return null;
            });
      }
    } catch (ExportBatchError e) {
      appendManifest(failed(staged, e));
      throw e;
    }
    if (temporaryStagingDir) {
      deleteQuietly(local);
    }
    return staged;
  }

  /**
   * Copies a staged batch into its table, replacing rows with the same keys, in one transaction;
   * then removes the staged file (unless kept) and appends the manifest line.
   *
   * @throws ExportBatchError after the last failed attempt
   */
  public LoadResult commit(StagedBatch batch) {
    if (batch.alreadyLoaded) {
      LoadResult r = result(batch, LoadResult.Status.ALREADY_LOADED, 0, 0, null);
      appendManifest(r);
      // The rows are in the table from an earlier load; the run summary reconciles them too.
      for (Map.Entry<String, Long> e : batch.rowsByTableKey().entrySet()) {
        ExportMetrics.counter(
                ExportMetrics.Metric.ROWS_ALREADY_LOADED_SNOWFLAKE, batch.studyKey, e.getKey())
            .inc(e.getValue());
      }
      return r;
    }
    long rowsLoaded;
    try {
      rowsLoaded = withRetries(batch, "COPY", conn -> copyAndReplace(conn, batch));
    } catch (ExportBatchError e) {
      appendManifest(failed(batch, e));
      throw e;
    }
    LoadResult r = result(batch, LoadResult.Status.LOADED, rowsLoaded, lastAttempts, null);
    appendManifest(r);
    ledger.add(LoadManifest.key(qualified(batch.targetTable), batch.sha256));
    for (Map.Entry<String, Long> e : batch.rowsByTableKey().entrySet()) {
      ExportMetrics.counter(ExportMetrics.Metric.ROWS_LOADED_SNOWFLAKE, batch.studyKey, e.getKey())
          .inc(e.getValue());
    }
    LOG.info(
        "Loaded batch {} into {}: {} rows in {} attempt(s)",
        batch.batchId,
        r.targetTable(),
        rowsLoaded,
        lastAttempts);
    if (!options.keepStaged()) {
      removeStaged(batch);
    }
    return r;
  }

  @Override
  public void close() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        LOG.warn("Closing the Snowflake connection failed: {}", settings.redact(e.getMessage()));
      }
      connection = null;
    }
    if (temporaryStagingDir) {
      deleteRecursively(stagingDir);
    }
  }

  // ---- steps

  private long copyAndReplace(Connection conn, StagedBatch batch) throws SQLException {
    String target = qualified(batch.targetTable);
    ensureTable(conn, target, batch);
    String stagingName =
        batch.targetTable
            + "_STG_"
            + batch.sha256.substring(0, 12)
            + "_"
            + UUID.randomUUID().toString().substring(0, 8);
    String staging = qualified(stagingName);
    execute(conn, SnowflakeSql.createStagingTable(staging, batch.columns()));
    try {
      CopyOutcome copy =
          copy(
              conn,
              SnowflakeSql.copyInto(
                  staging, settings.stage(), batch.stageFile, options.forceReload()));
      if (copy.files == 0) {
        // A fresh staging table has no load history, so "0 files processed" means either the
        // file is gone from the stage, or this is a re-execution of a COPY that already ran (a
        // driver retry after a lost answer): then the staging table holds the rows.
        copy.rowsLoaded = countRows(conn, staging);
        if (copy.rowsLoaded == 0) {
          throw new SQLException(missingFileMessage(batch), NOT_RETRYABLE_STATE);
        }
      }
      if (copy.rowsLoaded != batch.rowCount) {
        throw new SQLException(
            "COPY loaded "
                + copy.rowsLoaded
                + " of "
                + batch.rowCount
                + " rows (status "
                + copy.status
                + ", errors in column "
                + copy.firstErrorColumn
                + ")",
            NOT_RETRYABLE_STATE);
      }
      execute(conn, "BEGIN");
      try {
        execute(conn, SnowflakeSql.deleteReplaced(target, staging, batch.keyColumns));
        execute(conn, SnowflakeSql.insertFromStaging(target, staging, batch.columns()));
        execute(conn, "COMMIT");
      } catch (SQLException e) {
        try {
          execute(conn, "ROLLBACK");
        } catch (SQLException rollback) {
          e.addSuppressed(settings.redactedCopy(rollback));
        }
        throw e;
      }
      return copy.rowsLoaded;
    } finally {
      dropQuietly(conn, staging);
    }
  }

  private String missingFileMessage(StagedBatch batch) {
    String at = SnowflakeSql.stageRef(settings.stage()) + "/" + batch.stageFile;
    String stageUrl = options.stageUrl();
    if (stageUrl == null) {
      return "COPY found no file at "
          + at
          + "; it was removed from the stage after PUT. Re-run to stage it again";
    }
    return "COPY found no file at "
        + at
        + " although it was written to "
        + stageUrl
        + "/"
        + batch.stageFile
        + ": is "
        + stageUrl
        + " the URL of stage "
        + settings.stage()
        + " (DESC STAGE "
        + settings.stage()
        + ")? Otherwise it was deleted after it was written; re-run to write it again";
  }

  private void ensureTable(Connection conn, String target, StagedBatch batch) throws SQLException {
    Set<String> known = columnsByTable.get(target);
    if (known == null) {
      execute(conn, SnowflakeSql.createTableIfNotExists(target, batch.columns()));
      known = new HashSet<>();
      try (Statement st = conn.createStatement();
          ResultSet rs = st.executeQuery(SnowflakeSql.describeColumns(target))) {
        ResultSetMetaData md = rs.getMetaData();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          known.add(md.getColumnLabel(i).toUpperCase(Locale.ROOT));
        }
      }
      columnsByTable.put(target, known);
    }
    for (org.imednet.export.rows.Column c : batch.columns()) {
      String name = SnowflakeSql.normalizedName(c.name()).toUpperCase(Locale.ROOT);
      if (!known.contains(name)) {
        LOG.info("Adding column {} to {}", SnowflakeSql.identifier(c.name()), target);
        execute(conn, SnowflakeSql.addColumn(target, c));
        known.add(name);
      }
    }
  }

  private void put(Connection conn, Path local, String folder) throws SQLException {
    if (!local.toAbsolutePath().toString().contains("'")) {
      putFile(conn, local, folder);
      return;
    }
    // The driver reads PUT's file path up to the next quote, escaped or not, so a path with a
    // quote cannot be written in PUT: upload a copy from a quote-free temporary directory.
    Path dir = null;
    try {
      dir = Files.createTempDirectory("imednet-put-");
      if (dir.toString().contains("'")) {
        throw new SQLException(
            "Cannot PUT "
                + local
                + ": the Snowflake driver cannot read paths with a quote,"
                + " and the temporary directory has one too",
            NOT_RETRYABLE_STATE);
      }
      Path copy = dir.resolve(local.getFileName().toString());
      Files.copy(local, copy);
      putFile(conn, copy, folder);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot copy " + local + " for PUT", e);
    } finally {
      if (dir != null) {
        deleteRecursively(dir);
      }
    }
  }

  private void putFile(Connection conn, Path local, String folder) throws SQLException {
    String sql = SnowflakeSql.put(local.toAbsolutePath().toString(), settings.stage(), folder);
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      int statusColumn = findColumn(rs.getMetaData(), "status");
      while (rs.next()) {
        String status = statusColumn > 0 ? rs.getString(statusColumn) : "UPLOADED";
        if (!"UPLOADED".equalsIgnoreCase(status) && !"SKIPPED".equalsIgnoreCase(status)) {
          throw new SQLException("PUT of " + local.getFileName() + " ended with status " + status);
        }
      }
    }
  }

  private boolean existsInExternalStage(String target) {
    try {
      beforeFileSystems.run();
      return RemoteFiles.exists(target);
    } catch (IOException | RuntimeException e) {
      // Writing it tells what is wrong, with retries and the batch named.
      LOG.debug("Could not tell whether {} exists: {}", target, e.toString());
      return false;
    }
  }

  /** Writes the file; any failure (the cloud SDK's are unchecked) is retryable I/O. */
  private void writeToExternalStage(Path local, String target) {
    try {
      beforeFileSystems.run();
      RemoteFiles.upload(local, target);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + target + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new UncheckedIOException(
          "Cannot write " + target + ": " + e.getMessage(), new IOException(e));
    }
  }

  private static CopyOutcome copy(Connection conn, String sql) throws SQLException {
    CopyOutcome out = new CopyOutcome();
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      int rowsLoaded = findColumn(md, "rows_loaded");
      int status = findColumn(md, "status");
      int errorColumn = findColumn(md, "first_error_column_name");
      // "Copy executed with 0 files processed." has no rows_loaded column: nothing was loaded.
      while (rs.next()) {
        if (rowsLoaded <= 0) {
          continue;
        }
        out.files++;
        out.rowsLoaded += rs.getLong(rowsLoaded);
        out.status = status > 0 ? rs.getString(status) : null;
        out.firstErrorColumn = errorColumn > 0 ? rs.getString(errorColumn) : null;
      }
    }
    return out;
  }

  private static long countRows(Connection conn, String table) throws SQLException {
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private void removeStaged(StagedBatch batch) {
    String stageUrl = options.stageUrl();
    if (stageUrl != null) {
      String target = stageUrl + "/" + batch.stageFile;
      try {
        beforeFileSystems.run();
        RemoteFiles.delete(target);
      } catch (IOException | RuntimeException e) {
        // The rows are committed; a leftover file only costs storage.
        LOG.warn(
            "Batch {} loaded, but deleting {} from the external stage failed; delete it by hand: {}",
            batch.batchId,
            target,
            e.toString());
      }
      return;
    }
    try {
      execute(connection(), SnowflakeSql.remove(settings.stage(), batch.stageFile));
    } catch (SQLException | ExportConfigurationError e) {
      // The rows are committed; a leftover staged file only costs storage.
      discardConnection();
      LOG.warn(
          "Batch {} loaded, but removing {} from the stage failed; remove it with REMOVE: {}",
          batch.batchId,
          batch.stageFile,
          settings.redact(e.getMessage()));
    }
  }

  // ---- retries and plumbing

  static final String NOT_RETRYABLE_STATE = "IMNRT";

  @FunctionalInterface
  private interface SqlStep<T> {
    T run(Connection conn) throws SQLException;
  }

  private <T> T withRetries(StagedBatch batch, String step, SqlStep<T> body) {
    return withRetries(batch, step, true, body);
  }

  /**
   * Runs {@code body} with retries; a step that does not use Snowflake ({@code usesSnowflake}
   * false) gets no connection, and its failures leave the loader's connection open.
   */
  private <T> T withRetries(
      StagedBatch batch, String step, boolean usesSnowflake, SqlStep<T> body) {
    for (int attempt = 1; ; attempt++) {
      try {
        T result = body.run(usesSnowflake ? connection() : null);
        lastAttempts = attempt;
        return result;
      } catch (SQLException | ExportConfigurationError | UncheckedIOException e) {
        if (usesSnowflake) {
          discardConnection();
        }
        if (!isRetryable(e) || attempt > options.maxRetries()) {
          throw new ExportBatchError(
              batch.batchId,
              attempt,
              "Snowflake batch "
                  + batch.batchId
                  + " ("
                  + batch.studyKey
                  + "/"
                  + batch.tableKey
                  + " -> "
                  + qualified(batch.targetTable)
                  + ", "
                  + batch.rowCount
                  + " rows) failed at "
                  + step
                  + " after "
                  + attempt
                  + " attempt(s): "
                  + describe(e),
              e instanceof SQLException ? settings.redactedCopy((SQLException) e) : null);
        }
        Duration wait = options.backoffBeforeRetry(attempt);
        LOG.warn(
            "Snowflake batch {} failed at {} (attempt {} of {}), retrying in {}: {}",
            batch.batchId,
            step,
            attempt,
            options.maxRetries() + 1,
            wait,
            describe(e));
        try {
          options.sleeper().sleep(wait);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new ExportBatchError(
              batch.batchId, attempt, "Interrupted while retrying batch " + batch.batchId, null);
        }
      }
    }
  }

  /** SQL compilation, access and authentication errors, and our own checks, need a person. */
  static boolean isRetryable(Exception e) {
    if (!(e instanceof SQLException)) {
      return true;
    }
    String state = ((SQLException) e).getSQLState();
    if (state == null) {
      return true;
    }
    return !(state.equals(NOT_RETRYABLE_STATE)
        || state.startsWith("42")
        || state.startsWith("28")
        || state.startsWith("0A"));
  }

  private String describe(Exception e) {
    String prefix = "";
    if (e instanceof SQLException) {
      SQLException s = (SQLException) e;
      if (!NOT_RETRYABLE_STATE.equals(s.getSQLState())) {
        prefix = "[SQLState " + s.getSQLState() + ", code " + s.getErrorCode() + "] ";
      }
    }
    return prefix + settings.redact(e.getMessage());
  }

  private Connection connection() {
    if (connection == null) {
      connection = settings.connect();
    }
    return connection;
  }

  private void discardConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        // The connection is already broken; the next attempt opens a new one.
      }
      connection = null;
    }
  }

  private static void execute(Connection conn, String sql) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute(sql);
    }
  }

  private void dropQuietly(Connection conn, String table) {
    try {
      execute(conn, SnowflakeSql.dropTableIfExists(table));
    } catch (SQLException e) {
      LOG.warn(
          "Could not drop the staging table {}; it is safe to drop by hand: {}",
          table,
          settings.redact(e.getMessage()));
    }
  }

  private static int findColumn(ResultSetMetaData md, String name) throws SQLException {
    for (int i = 1; i <= md.getColumnCount(); i++) {
      if (md.getColumnLabel(i).equalsIgnoreCase(name)) {
        return i;
      }
    }
    return -1;
  }

  private String qualified(String table) {
    return SnowflakeSql.qualifiedTable(settings.database(), settings.schema(), table);
  }

  private Path writeLocalFile(BatchContent content, String batchId) {
    Path dir = stagingDir.resolve(TableNames.sanitize(content.targetTable));
    Path file = dir.resolve(content.sha256 + ".parquet");
    if (Files.exists(file)) {
      return file; // complete: only ever moved into place once written
    }
    Path tmp = dir.resolve(content.sha256 + "." + UUID.randomUUID() + ".tmp");
    try {
      Files.createDirectories(dir);
      ParquetBatchFile.write(tmp, content.schema, List.of(content.asRowBatch()));
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new UncheckedIOException(
          "Cannot write the Parquet file of batch " + batchId + " to " + file, e);
    }
    return file;
  }

  private LoadResult result(
      StagedBatch batch,
      LoadResult.Status status,
      long rowsLoaded,
      int attempts,
      @Nullable String error) {
    return new LoadResult(
        batch.batchId,
        batch.studyKey,
        batch.tableKey,
        qualified(batch.targetTable),
        SnowflakeSql.stageRef(settings.stage()) + "/" + batch.stageFile,
        batch.sha256,
        rowsLoaded,
        batch.rowCount,
        status,
        attempts,
        Instant.now().truncatedTo(ChronoUnit.MILLIS).toString(),
        error);
  }

  private LoadResult failed(StagedBatch batch, ExportBatchError e) {
    return result(batch, LoadResult.Status.FAILED, 0, e.attempts(), e.getMessage());
  }

  private void appendManifest(LoadResult r) {
    if (manifest != null) {
      manifest.append(r);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.warn("Could not delete the local staging file {}", p);
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(SnowflakeBatchLoader::deleteQuietly);
    } catch (IOException e) {
      LOG.warn("Could not remove the local staging directory {}", dir);
    }
  }

  private static final class CopyOutcome {
    int files;
    long rowsLoaded;
    @Nullable String status;
    @Nullable String firstErrorColumn;
  }

  /** For tests and callers that inspect a schema's destination. */
  String targetTableOf(TableSchema schema) {
    return qualified(TableNames.of(schema, options.singleTable()));
  }
}
