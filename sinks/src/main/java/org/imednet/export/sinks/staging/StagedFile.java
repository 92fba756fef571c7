package org.imednet.export.sinks.staging;

import java.io.Serializable;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.imednet.export.rows.TableSchema;

/**
 * A closed staging Parquet file: which table of which study it holds, where it is and how many rows
 * it has. Only files whose bundle committed are ever emitted, so a commit step that acts on these
 * elements never sees a partial or retried-away file.
 */
@DefaultCoder(SerializableCoder.class)
public final class StagedFile implements Serializable {
  private static final long serialVersionUID = 1L;

  private final TableSchema.Kind kind;
  private final String studyKey;
  private final String tableKey;
  private final String path;
  private final long rowCount;

  public StagedFile(
      TableSchema.Kind kind, String studyKey, String tableKey, String path, long rowCount) {
    this.kind = Objects.requireNonNull(kind, "kind");
    this.studyKey = Objects.requireNonNull(studyKey, "studyKey");
    this.tableKey = Objects.requireNonNull(tableKey, "tableKey");
    this.path = Objects.requireNonNull(path, "path");
    this.rowCount = rowCount;
  }

  public TableSchema.Kind kind() {
    return kind;
  }

  public String studyKey() {
    return studyKey;
  }

  public String tableKey() {
    return tableKey;
  }

  /** The absolute local path of the file, or its URI on a remote file system ({@code s3://…}). */
  public String path() {
    return path;
  }

  public long rowCount() {
    return rowCount;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof StagedFile)) {
      return false;
    }
    StagedFile f = (StagedFile) o;
    return kind == f.kind
        && studyKey.equals(f.studyKey)
        && tableKey.equals(f.tableKey)
        && path.equals(f.path)
        && rowCount == f.rowCount;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, studyKey, tableKey, path, rowCount);
  }

  @Override
  public String toString() {
    return kind + " " + studyKey + "/" + tableKey + " " + rowCount + " rows in " + path;
  }
}
