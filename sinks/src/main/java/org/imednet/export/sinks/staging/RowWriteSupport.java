package org.imednet.export.sinks.staging;

import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.RowBatchCoder;
import org.imednet.export.rows.TableSchema;

/**
 * Writes the current row of a {@link RowBatchCoder.Cursor} of a {@link TableSchema} as one Parquet
 * record, straight from the batch's binary form: strings go to Parquet as slices of the batch's
 * UTF-8 bytes, numbers and dates without boxing. A value of the wrong Java class never gets here:
 * encoding the batch rejects it.
 */
final class RowWriteSupport extends WriteSupport<RowBatchCoder.Cursor> {
  private final MessageType messageType;
  private final Map<String, String> keyValueMetadata;
  private final String[] names;
  private RecordConsumer consumer;

  RowWriteSupport(TableSchema schema, Map<String, String> keyValueMetadata) {
    this.messageType = ParquetSchemas.messageType(schema);
    this.keyValueMetadata = keyValueMetadata;
    this.names = schema.columns().stream().map(Column::name).toArray(String[]::new);
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
  public void write(RowBatchCoder.Cursor row) {
    consumer.startMessage();
    for (int i = 0; i < names.length; i++) {
      if (row.isNull(i)) {
        continue;
      }
      consumer.startField(names[i], i);
      switch (row.type(i)) {
        case STRING:
          int at = row.readUtf8();
          // "Reused": Parquet copies what it keeps (dictionary entries, min/max statistics) instead
          // of holding on to the whole batch's buffer.
          consumer.addBinary(Binary.fromReusedByteArray(row.buffer(), at, row.stringLength()));
          break;
        case LONG:
          consumer.addLong(row.readLong());
          break;
        case DOUBLE:
          consumer.addDouble(row.readDouble());
          break;
        case BOOLEAN:
          consumer.addBoolean(row.readBoolean());
          break;
        case DATE:
          consumer.addInteger(Math.toIntExact(row.readEpochDay()));
          break;
        case TIMESTAMP:
          consumer.addLong(row.readEpochMicros());
          break;
      }
      consumer.endField(names[i], i);
    }
    consumer.endMessage();
  }
}
