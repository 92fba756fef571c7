package org.imednet.export.sinks.staging;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.RowBatchCoder;
import org.imednet.export.rows.TableSchema;

/**
 * One Snappy-compressed Parquet file holding rows of one {@link TableSchema}, written batch by
 * batch with bounded memory (a row group is flushed every {@link #ROW_GROUP_BYTES}).
 *
 * <pre>{@code
 * try (ParquetBatchFile file = ParquetBatchFile.create(path, schema)) {
 *   for (RowBatch batch : batches) {
 *     file.write(batch);
 *   }
 * }
 * }</pre>
 *
 * <p>Column names and types follow {@link ParquetSchemas}. The file's key/value metadata records
 * {@code imednet.study_key}, {@code imednet.table_key} and {@code imednet.table_kind}. A value
 * whose Java class does not match its column type fails the write with an {@link
 * IllegalArgumentException} naming the study, table and column. The target file must not exist.
 */
public final class ParquetBatchFile implements AutoCloseable {
  /**
   * Row group size. A writer holds its current row group in memory, and a worker keeps one writer
   * open per table it has seen, so this bounds a worker's heap for Parquet at tables × 4 MiB (20
   * forms and the metadata tables on 2 parallel instances: about 170 MiB). With 16 MiB, a 1
   * M-record export held whole files in memory and the JVM spent its time in garbage collection.
   */
  public static final int ROW_GROUP_BYTES = 4 << 20;

  private static final int PAGE_BYTES = 1 << 20;

  /**
   * A column chunk's dictionary beyond this size falls back to plain encoding: coded values (sites,
   * statuses, radio and checkbox codes) stay far below it, free text reaches it early instead of
   * being hashed into a dictionary of a megabyte first.
   */
  private static final int DICTIONARY_BYTES = 256 << 10;

  /** Columns whose values are unique per record: a dictionary never pays for them. */
  private static final Set<String> UNIQUE_METADATA = Set.of("record_id", "record_oid");

  private final Path path;
  private final TableSchema schema;
  private final ParquetWriter<RowBatchCoder.Cursor> writer;
  private long rowCount;

  private ParquetBatchFile(
      Path path, TableSchema schema, ParquetWriter<RowBatchCoder.Cursor> writer) {
    this.path = path;
    this.schema = schema;
    this.writer = writer;
  }

  /** Creates the file (which must not exist yet); its parent directory must exist. */
  public static ParquetBatchFile create(Path path, TableSchema schema) throws IOException {
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("imednet.study_key", schema.studyKey());
    metadata.put("imednet.table_key", schema.tableKey());
    metadata.put("imednet.table_kind", schema.kind().name());
    Builder builder =
        new Builder(new NioOutputFile(path), new RowWriteSupport(schema, metadata))
            .withConf(new Configuration(false))
            .withWriteMode(ParquetFileWriter.Mode.CREATE)
            .withCompressionCodec(CompressionCodecName.SNAPPY)
            .withRowGroupSize(ROW_GROUP_BYTES)
            .withPageSize(PAGE_BYTES)
            .withDictionaryPageSize(DICTIONARY_BYTES);
    for (Column c : schema.columns()) {
      if (!dictionaryEncoded(c)) {
        builder = builder.withDictionaryEncoding(c.name(), false);
      }
    }
    ParquetWriter<RowBatchCoder.Cursor> writer = builder.build();
    return new ParquetBatchFile(path, schema, writer);
  }

  /**
   * Whether a column is dictionary-encoded. Not for values that are nearly always distinct, where a
   * dictionary only costs CPU (it was half of the Parquet writing time in the 1 M-record profile)
   * until Parquet falls back: {@code _record_data} and {@code _parse_errors}, measurements
   * (DOUBLE), timestamps, and each record's own ids.
   */
  static boolean dictionaryEncoded(Column c) {
    if (c.kind() == Column.Kind.SYSTEM) {
      return false;
    }
    if (c.type() == ColumnType.DOUBLE || c.type() == ColumnType.TIMESTAMP) {
      return false;
    }
    return !(c.kind() == Column.Kind.METADATA && UNIQUE_METADATA.contains(c.name()));
  }

  /** Writes all batches to a new file and returns the number of rows written. */
  public static long write(Path path, TableSchema schema, Iterable<RowBatch> batches)
      throws IOException {
    try (ParquetBatchFile file = create(path, schema)) {
      for (RowBatch batch : batches) {
        file.write(batch);
      }
      return file.rowCount();
    }
  }

  /** Appends the rows of a batch, which must have this file's schema. */
  public void write(RowBatch batch) throws IOException {
    if (!batch.schema().equals(schema)) {
      throw new IllegalArgumentException(
          "Batch of " + batch.schema() + " does not match the file's schema " + schema);
    }
    RowBatchCoder.Cursor cursor;
    try {
      cursor = batch.cursor();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Table "
              + schema.studyKey()
              + "/"
              + schema.tableKey()
              + ": "
              + e.getMessage()
              + "; the flattening step must produce the Java type ColumnType documents",
          e);
    }
    while (cursor.nextRow()) {
      writer.write(cursor);
      rowCount++;
    }
  }

  public Path path() {
    return path;
  }

  public TableSchema schema() {
    return schema;
  }

  public long rowCount() {
    return rowCount;
  }

  @Override
  public void close() throws IOException {
    writer.close();
  }

  private static final class Builder extends ParquetWriter.Builder<RowBatchCoder.Cursor, Builder> {
    private final RowWriteSupport writeSupport;

    Builder(OutputFile file, RowWriteSupport writeSupport) {
      super(file);
      this.writeSupport = writeSupport;
    }

    @Override
    protected Builder self() {
      return this;
    }

    @Override
    protected WriteSupport<RowBatchCoder.Cursor> getWriteSupport(Configuration conf) {
      return writeSupport;
    }
  }
}
