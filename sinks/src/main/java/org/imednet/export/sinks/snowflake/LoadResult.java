package org.imednet.export.sinks.snowflake;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.Serializable;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * What happened to one batch: one line of the manifest, and the output of {@link
 * LoadIntoSnowflake}. {@code rowCount} is {@code rows_loaded} as reported by COPY (0 when nothing
 * was copied).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class LoadResult implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The outcome. */
  public enum Status {
    /** Copied and committed into the target table. */
    LOADED,
    /** The manifest shows the same content already loaded into the same table; nothing sent. */
    ALREADY_LOADED,
    /** All attempts failed; nothing of the batch is in the target table. */
    FAILED
  }

  private final String batchId;
  private final String studyKey;
  private final String tableKey;
  private final String targetTable;
  private final String stagePath;
  private final String sha256;
  private final long rowCount;
  private final long batchRows;
  private final Status status;
  private final int attempts;
  private final String loadedAt;
  private final @Nullable String error;

  @JsonCreator
  public LoadResult(
      @JsonProperty("batch_id") String batchId,
      @JsonProperty("study_key") String studyKey,
      @JsonProperty("table_key") String tableKey,
      @JsonProperty("target_table") String targetTable,
      @JsonProperty("stage_path") String stagePath,
      @JsonProperty("sha256") String sha256,
      @JsonProperty("row_count") long rowCount,
      @JsonProperty("batch_rows") long batchRows,
      @JsonProperty("status") Status status,
      @JsonProperty("attempts") int attempts,
      @JsonProperty("loaded_at") String loadedAt,
      @JsonProperty("error") @Nullable String error) {
    this.batchId = Objects.requireNonNull(batchId, "batch_id");
    this.studyKey = Objects.requireNonNull(studyKey, "study_key");
    this.tableKey = Objects.requireNonNull(tableKey, "table_key");
    this.targetTable = Objects.requireNonNull(targetTable, "target_table");
    this.stagePath = Objects.requireNonNull(stagePath, "stage_path");
    this.sha256 = Objects.requireNonNull(sha256, "sha256");
    this.rowCount = rowCount;
    this.batchRows = batchRows;
    this.status = Objects.requireNonNull(status, "status");
    this.attempts = attempts;
    this.loadedAt = Objects.requireNonNull(loadedAt, "loaded_at");
    this.error = error;
  }

  @JsonProperty("batch_id")
  public String batchId() {
    return batchId;
  }

  @JsonProperty("study_key")
  public String studyKey() {
    return studyKey;
  }

  /** The form key or metadata resource of the rows ({@code *} when a batch mixes several). */
  @JsonProperty("table_key")
  public String tableKey() {
    return tableKey;
  }

  /** The Snowflake table, {@code DB.SCHEMA.TABLE} as quoted in the SQL. */
  @JsonProperty("target_table")
  public String targetTable() {
    return targetTable;
  }

  /** Where the file was staged, {@code @"STAGE"/prefix/TABLE/<sha256>.parquet}. */
  @JsonProperty("stage_path")
  public String stagePath() {
    return stagePath;
  }

  /** SHA-256 of the batch's canonical content; also the staged file's name. */
  @JsonProperty("sha256")
  public String sha256() {
    return sha256;
  }

  /** {@code rows_loaded} from COPY. */
  @JsonProperty("row_count")
  public long rowCount() {
    return rowCount;
  }

  /** Rows in the batch file. */
  @JsonProperty("batch_rows")
  public long batchRows() {
    return batchRows;
  }

  @JsonProperty("status")
  public Status status() {
    return status;
  }

  @JsonProperty("attempts")
  public int attempts() {
    return attempts;
  }

  /** UTC ISO-8601 instant. */
  @JsonProperty("loaded_at")
  public String loadedAt() {
    return loadedAt;
  }

  /** For FAILED: why (no secrets, no row values). */
  @JsonProperty("error")
  public @Nullable String error() {
    return error;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof LoadResult)) {
      return false;
    }
    LoadResult r = (LoadResult) o;
    return batchId.equals(r.batchId)
        && studyKey.equals(r.studyKey)
        && tableKey.equals(r.tableKey)
        && targetTable.equals(r.targetTable)
        && stagePath.equals(r.stagePath)
        && sha256.equals(r.sha256)
        && rowCount == r.rowCount
        && batchRows == r.batchRows
        && status == r.status
        && attempts == r.attempts
        && loadedAt.equals(r.loadedAt)
        && Objects.equals(error, r.error);
  }

  @Override
  public int hashCode() {
    return Objects.hash(batchId, sha256, status, loadedAt);
  }

  @Override
  public String toString() {
    return status + " " + batchId + " -> " + targetTable + " rows_loaded=" + rowCount;
  }
}
