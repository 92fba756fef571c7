package org.imednet.export.sinks.staging;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.TableSchema;

/** Writes one {@code Object[]} row of a {@link TableSchema} as one Parquet record. */
final class RowWriteSupport extends WriteSupport<Object[]> {
  private final TableSchema schema;
  private final MessageType messageType;
  private final Map<String, String> keyValueMetadata;
  private final Column[] columns;
  private RecordConsumer consumer;

  RowWriteSupport(TableSchema schema, Map<String, String> keyValueMetadata) {
    this.schema = schema;
    this.messageType = ParquetSchemas.messageType(schema);
    this.keyValueMetadata = keyValueMetadata;
    List<Column> list = schema.columns();
    this.columns = list.toArray(new Column[0]);
  }

  @Override
  public WriteContext init(Configuration configuration) {
    return new WriteContext(messageType, keyValueMetadata);
  }

  @Override
  public void prepareForWrite(RecordConsumer recordConsumer) {
    this.consumer = recordConsumer;
  }

  @Override
  public void write(Object[] row) {
    consumer.startMessage();
    for (int i = 0; i < columns.length; i++) {
      Object value = row[i];
      if (value == null) {
        continue;
      }
      Column column = columns[i];
      consumer.startField(column.name(), i);
      try {
        writeValue(column, value);
      } catch (ClassCastException e) {
        throw new IllegalArgumentException(
            "Table "
                + schema.studyKey()
                + "/"
                + schema.tableKey()
                + ": column '"
                + column.name()
                + "' of type "
                + column.type()
                + " holds a "
                + value.getClass().getName()
                + "; the flattening step must produce the Java type ColumnType documents",
            e);
      }
      consumer.endField(column.name(), i);
    }
    consumer.endMessage();
  }

  private void writeValue(Column column, Object value) {
    switch (column.type()) {
      case STRING:
        consumer.addBinary(
            Binary.fromConstantByteArray(((String) value).getBytes(StandardCharsets.UTF_8)));
        return;
      case LONG:
        consumer.addLong((Long) value);
        return;
      case DOUBLE:
        consumer.addDouble((Double) value);
        return;
      case BOOLEAN:
        consumer.addBoolean((Boolean) value);
        return;
      case DATE:
        consumer.addInteger(Math.toIntExact(((LocalDate) value).toEpochDay()));
        return;
      case TIMESTAMP:
        LocalDateTime t = (LocalDateTime) value;
        consumer.addLong(
            Math.addExact(
                Math.multiplyExact(t.toEpochSecond(ZoneOffset.UTC), 1_000_000L),
                t.getNano() / 1_000L));
        return;
    }
    throw new IllegalArgumentException("Unknown column type " + column.type());
  }
}
