package org.imednet.export.sinks.snowflake;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;
import org.imednet.export.rows.Column;

/**
 * Writes typed rows to one local Parquet file with the column names and types of the {@code
 * TableSchema}: strings as UTF8, dates as DATE, timestamps as INT64 TIMESTAMP(MICROS, not adjusted
 * to UTC), which Snowflake's COPY reads into VARCHAR, DATE and TIMESTAMP_NTZ. Snappy-compressed,
 * Snowflake's default for Parquet.
 *
 * <p>A minimal writer of our own: the lake's writer in {@code sinks.staging} had not landed when
 * this was written. It writes straight to a {@link Path}, without Hadoop's file system layer.
 */
final class ParquetBatchWriter {
  private ParquetBatchWriter() {}

  /** The Parquet schema for these columns; every field is optional (nullable). */
  static MessageType messageType(List<Column> columns) {
    List<Type> fields = new ArrayList<>(columns.size());
    for (Column c : columns) {
      switch (c.type()) {
        case STRING:
          fields.add(
              Types.optional(PrimitiveTypeName.BINARY)
                  .as(LogicalTypeAnnotation.stringType())
                  .named(c.name()));
          break;
        case LONG:
          fields.add(Types.optional(PrimitiveTypeName.INT64).named(c.name()));
          break;
        case DOUBLE:
          fields.add(Types.optional(PrimitiveTypeName.DOUBLE).named(c.name()));
          break;
        case BOOLEAN:
          fields.add(Types.optional(PrimitiveTypeName.BOOLEAN).named(c.name()));
          break;
        case DATE:
          fields.add(
              Types.optional(PrimitiveTypeName.INT32)
                  .as(LogicalTypeAnnotation.dateType())
                  .named(c.name()));
          break;
        case TIMESTAMP:
          fields.add(
              Types.optional(PrimitiveTypeName.INT64)
                  .as(
                      LogicalTypeAnnotation.timestampType(
                          false, LogicalTypeAnnotation.TimeUnit.MICROS))
                  .named(c.name()));
          break;
      }
    }
    return new MessageType("row", fields);
  }

  /** Writes the rows to {@code file}, which must not exist yet. */
  static void write(Path file, List<Column> columns, List<Object[]> rows) throws IOException {
    MessageType schema = messageType(columns);
    try (ParquetWriter<Object[]> writer =
        new Builder(new LocalOutputFile(file), columns, schema)
            .withCompressionCodec(CompressionCodecName.SNAPPY)
            .withWriteMode(ParquetFileWriter.Mode.CREATE)
            .withConf(new Configuration(false))
            .build()) {
      for (Object[] row : rows) {
        writer.write(row);
      }
    }
  }

  private static final class Builder extends ParquetWriter.Builder<Object[], Builder> {
    private final List<Column> columns;
    private final MessageType schema;

    Builder(OutputFile file, List<Column> columns, MessageType schema) {
      super(file);
      this.columns = columns;
      this.schema = schema;
    }

    @Override
    protected Builder self() {
      return this;
    }

    @Override
    protected WriteSupport<Object[]> getWriteSupport(Configuration conf) {
      return new RowWriteSupport(columns, schema);
    }
  }

  private static final class RowWriteSupport extends WriteSupport<Object[]> {
    private final List<Column> columns;
    private final MessageType schema;
    private RecordConsumer consumer;

    RowWriteSupport(List<Column> columns, MessageType schema) {
      this.columns = columns;
      this.schema = schema;
    }

    @Override
    public WriteContext init(Configuration configuration) {
      return new WriteContext(schema, new HashMap<>());
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
      this.consumer = recordConsumer;
    }

    @Override
    public void write(Object[] row) {
      consumer.startMessage();
      for (int i = 0; i < row.length; i++) {
        Object v = row[i];
        if (v == null) {
          continue;
        }
        Column c = columns.get(i);
        consumer.startField(c.name(), i);
        switch (c.type()) {
          case STRING:
            consumer.addBinary(Binary.fromString((String) v));
            break;
          case LONG:
            consumer.addLong((Long) v);
            break;
          case DOUBLE:
            consumer.addDouble((Double) v);
            break;
          case BOOLEAN:
            consumer.addBoolean((Boolean) v);
            break;
          case DATE:
            consumer.addInteger((int) ((LocalDate) v).toEpochDay());
            break;
          case TIMESTAMP:
            LocalDateTime t = (LocalDateTime) v;
            consumer.addLong(t.toEpochSecond(ZoneOffset.UTC) * 1_000_000L + t.getNano() / 1_000);
            break;
        }
        consumer.endField(c.name(), i);
      }
      consumer.endMessage();
    }
  }

  /** An {@link OutputFile} on the local file system. */
  private static final class LocalOutputFile implements OutputFile {
    private final Path path;

    LocalOutputFile(Path path) {
      this.path = path;
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) throws IOException {
      return open(StandardOpenOption.CREATE_NEW);
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
      return open(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
    }

    private PositionOutputStream open(StandardOpenOption... options) throws IOException {
      List<StandardOpenOption> opts = new ArrayList<>(List.of(options));
      opts.add(StandardOpenOption.WRITE);
      OutputStream out =
          new BufferedOutputStream(
              Files.newOutputStream(path, opts.toArray(new StandardOpenOption[0])), 1 << 16);
      return new PositionOutputStream() {
        private long pos;

        @Override
        public long getPos() {
          return pos;
        }

        @Override
        public void write(int b) throws IOException {
          out.write(b);
          pos++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
          pos += len;
        }

        @Override
        public void flush() throws IOException {
          out.flush();
        }

        @Override
        public void close() throws IOException {
          out.close();
        }
      };
    }

    @Override
    public boolean supportsBlockSize() {
      return false;
    }

    @Override
    public long defaultBlockSize() {
      return 0;
    }
  }
}
