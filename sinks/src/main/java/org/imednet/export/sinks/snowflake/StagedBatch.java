package org.imednet.export.sinks.snowflake;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.imednet.export.rows.Column;

/**
 * A batch whose Parquet file is in the Snowflake stage, ready for {@link
 * SnowflakeBatchLoader#commit}: small (no rows), so it can travel between pipeline steps.
 */
@DefaultCoder(SerializableCoder.class)
public final class StagedBatch implements Serializable {
  private static final long serialVersionUID = 1L;

  final String batchId;
  final String studyKey;
  final String tableKey;
  final String targetTable;
  final ArrayList<Column> columns;
  final ArrayList<String> keyColumns;
  final String sha256;
  final String stageFile;
  final long rowCount;
  final TreeMap<String, Long> rowsByTableKey;
  final boolean alreadyLoaded;

  StagedBatch(String batchId, BatchContent content, String stageFile, boolean alreadyLoaded) {
    this.batchId = batchId;
    this.studyKey = content.studyKey;
    this.tableKey = content.tableKey;
    this.targetTable = content.targetTable;
    this.columns = new ArrayList<>(content.columns);
    this.keyColumns = new ArrayList<>(content.keyColumns);
    this.sha256 = content.sha256;
    this.stageFile = stageFile;
    this.rowCount = content.size();
    this.rowsByTableKey = new TreeMap<>(content.rowsByTableKey);
    this.alreadyLoaded = alreadyLoaded;
  }

  public String batchId() {
    return batchId;
  }

  public String targetTable() {
    return targetTable;
  }

  public String sha256() {
    return sha256;
  }

  /** Path inside the stage: {@code <prefix>/<TABLE>/<sha256>.parquet}. */
  public String stageFile() {
    return stageFile;
  }

  public long rowCount() {
    return rowCount;
  }

  /** True when the manifest already records this content as loaded: commit sends nothing. */
  public boolean alreadyLoaded() {
    return alreadyLoaded;
  }

  List<Column> columns() {
    return columns;
  }

  Map<String, Long> rowsByTableKey() {
    return rowsByTableKey;
  }

  @Override
  public String toString() {
    return "StagedBatch{"
        + batchId
        + " -> "
        + targetTable
        + ", "
        + rowCount
        + " rows, "
        + stageFile
        + "}";
  }
}
