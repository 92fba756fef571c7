package org.imednet.export.sinks.staging;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.values.factory.ValuesWriterFactory;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.RowBatchColumns;
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
  private final MessageType messageType;
  private final ColumnDescriptor[] descriptors;
  private final ParquetProperties properties;
  private final CodecFactory codecs;
  private final CodecFactory.BytesCompressor compressor;
  private final NioOutputFile output;
  private final ParquetFileWriter fileWriter;
  private final Map<String, String> metadata;
  // The current row group: its pages, and the column writers that fill them.
  private ColumnChunkPageWriteStore pageStore;
  private ColumnWriteStore columnStore;
  private ColumnWriter[] columnWriters;
  private long rowsInGroup;
  private long rowCount;
  private boolean failed;
  private boolean closed;

  private ParquetBatchFile(Path path, TableSchema schema, ValuesWriterFactory valuesWriters)
      throws IOException {
    this.path = path;
    this.schema = schema;
    this.messageType = ParquetSchemas.messageType(schema);
    this.descriptors = messageType.getColumns().toArray(new ColumnDescriptor[0]);
    ParquetProperties.Builder props =
        ParquetProperties.builder()
            .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0)
            .withValuesWriterFactory(valuesWriters)
            .withPageSize(PAGE_BYTES)
            .withDictionaryPageSize(DICTIONARY_BYTES)
            .withDictionaryEncoding(true);
    for (Column c : schema.columns()) {
      if (!dictionaryEncoded(c)) {
        props = props.withDictionaryEncoding(c.name(), false);
      }
    }
    this.properties = props.build();
    this.metadata = new LinkedHashMap<>();
    metadata.put("imednet.study_key", schema.studyKey());
    metadata.put("imednet.table_key", schema.tableKey());
    metadata.put("imednet.table_kind", schema.kind().name());
    this.codecs = new CodecFactory(new Configuration(false), PAGE_BYTES);
    this.compressor = codecs.getCompressor(CompressionCodecName.SNAPPY);
    this.output = new NioOutputFile(path);
    try {
      this.fileWriter =
          new ParquetFileWriter(
              output,
              messageType,
              ParquetFileWriter.Mode.CREATE,
              ROW_GROUP_BYTES,
              0,
              properties.getColumnIndexTruncateLength(),
              properties.getStatisticsTruncateLength(),
              properties.getPageWriteChecksumEnabled());
      fileWriter.start();
      startRowGroup();
    } catch (IOException | RuntimeException e) {
      // E.g. the file exists already: release what was opened.
      codecs.release();
      try {
        output.abort();
      } catch (IOException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }

  /**
   * Creates the file (which must not exist yet); its parent directory must exist. Dictionaries of
   * string and integer columns are kept by {@link CompactDictionaryValuesWriterFactory}.
   */
  public static ParquetBatchFile create(Path path, TableSchema schema) throws IOException {
    return create(path, schema, new CompactDictionaryValuesWriterFactory());
  }

  /**
   * Creates the file with the given value writers (a new factory per file), so tests and
   * measurements can compare with parquet-mr's own.
   */
  static ParquetBatchFile create(Path path, TableSchema schema, ValuesWriterFactory valuesWriters)
      throws IOException {
    return new ParquetBatchFile(path, schema, valuesWriters);
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
    if (closed) {
      throw new IllegalStateException("Parquet file " + path + " is closed");
    }
    if (!batch.schema().equals(schema)) {
      throw new IllegalArgumentException(
          "Batch of " + batch.schema() + " does not match the file's schema " + schema);
    }
    RowBatchColumns columns;
    try {
      columns = batch.columns();
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
    int rows = columns.rowCount();
    if (rows == 0) {
      return;
    }
    try {
      for (int c = 0; c < columnWriters.length; c++) {
        writeColumn(columns, c, columnWriters[c]);
      }
      for (int r = 0; r < rows; r++) {
        columnStore.endRecord();
      }
      rowsInGroup += rows;
      rowCount += rows;
      if (columnStore.getBufferedSize() >= ROW_GROUP_BYTES) {
        flushRowGroup();
        startRowGroup();
      }
    } catch (IOException | RuntimeException e) {
      failed = true;
      throw e;
    }
  }

  /**
   * Writes one column of a batch. Every field is optional and flat: definition level 1 for a value,
   * 0 for null; repetition level always 0.
   */
  private static void writeColumn(RowBatchColumns columns, int c, ColumnWriter w) {
    int rows = columns.rowCount();
    byte[] buf = columns.buffer();
    switch (columns.type(c)) {
      case STRING:
        for (int r = 0; r < rows; r++) {
          if (columns.isNull(c, r)) {
            w.writeNull(0, 0);
          } else {
            // "Reused": Parquet copies what it keeps (dictionary entries, min/max statistics)
            // instead of holding on to the whole batch's buffer.
            w.write(
                Binary.fromReusedByteArray(
                    buf, columns.stringOffset(c, r), columns.stringLength(c, r)),
                0,
                1);
          }
        }
        return;
      case LONG:
        for (int r = 0; r < rows; r++) {
          if (columns.isNull(c, r)) {
            w.writeNull(0, 0);
          } else {
            w.write(columns.getLong(c, r), 0, 1);
          }
        }
        return;
      case DOUBLE:
        for (int r = 0; r < rows; r++) {
          if (columns.isNull(c, r)) {
            w.writeNull(0, 0);
          } else {
            w.write(columns.getDouble(c, r), 0, 1);
          }
        }
        return;
      case BOOLEAN:
        for (int r = 0; r < rows; r++) {
          if (columns.isNull(c, r)) {
            w.writeNull(0, 0);
          } else {
            w.write(columns.getBoolean(c, r), 0, 1);
          }
        }
        return;
      case DATE:
        for (int r = 0; r < rows; r++) {
          if (columns.isNull(c, r)) {
            w.writeNull(0, 0);
          } else {
            w.write(Math.toIntExact(columns.getEpochDay(c, r)), 0, 1);
          }
        }
        return;
      case TIMESTAMP:
        for (int r = 0; r < rows; r++) {
          if (columns.isNull(c, r)) {
            w.writeNull(0, 0);
          } else {
            w.write(columns.getEpochMicros(c, r), 0, 1);
          }
        }
        return;
    }
    throw new IllegalStateException("Unknown column type " + columns.type(c));
  }

  private void startRowGroup() {
    pageStore =
        new ColumnChunkPageWriteStore(
            compressor,
            messageType,
            properties.getAllocator(),
            properties.getColumnIndexTruncateLength(),
            properties.getPageWriteChecksumEnabled());
    columnStore = properties.newColumnWriteStore(messageType, pageStore);
    columnWriters = new ColumnWriter[descriptors.length];
    for (int c = 0; c < descriptors.length; c++) {
      columnWriters[c] = columnStore.getColumnWriter(descriptors[c]);
    }
    rowsInGroup = 0;
  }

  private void flushRowGroup() throws IOException {
    if (rowsInGroup > 0) {
      fileWriter.startBlock(rowsInGroup);
      columnStore.flush();
      pageStore.flushToFileWriter(fileWriter);
      fileWriter.endBlock();
    }
    columnStore.close();
    rowsInGroup = 0;
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

  /**
   * Writes the last row group and the footer. After a failed {@link #write} nothing more is
   * written: the file is left incomplete (no footer), which no Parquet reader accepts, and the
   * caller deletes it.
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (failed) {
        columnStore.close();
        output.abort();
        return;
      }
      flushRowGroup();
      fileWriter.end(metadata);
    } finally {
      codecs.release();
    }
  }
}
