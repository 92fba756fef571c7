package org.imednet.export.sinks.staging;

import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.TableSchema;

/**
 * The Parquet schema of a {@link TableSchema}: one optional (nullable) field per column, named
 * exactly like the column, in column order.
 *
 * <table>
 *   <tr><th>ColumnType</th><th>Parquet</th><th>DuckDB reads it as</th></tr>
 *   <tr><td>STRING</td><td>BINARY (STRING)</td><td>VARCHAR</td></tr>
 *   <tr><td>LONG</td><td>INT64</td><td>BIGINT</td></tr>
 *   <tr><td>DOUBLE</td><td>DOUBLE</td><td>DOUBLE</td></tr>
 *   <tr><td>BOOLEAN</td><td>BOOLEAN</td><td>BOOLEAN</td></tr>
 *   <tr><td>DATE</td><td>INT32 (DATE)</td><td>DATE</td></tr>
 *   <tr><td>TIMESTAMP</td><td>INT64 (TIMESTAMP(MICROS, isAdjustedToUTC=false))</td>
 *       <td>TIMESTAMP (not TIMESTAMPTZ)</td></tr>
 * </table>
 *
 * <p>The files are written with Parquet's own column writers ({@link ParquetBatchFile}), not Avro,
 * because column names come from variable names or labels and may hold spaces, punctuation or any
 * Unicode (such as {@code Blood pressure (mmHg)} or {@code 体重}), which Avro names forbid.
 */
public final class ParquetSchemas {
  private ParquetSchemas() {}

  /** The message type for a table; the message is named {@code row}. */
  public static MessageType messageType(TableSchema schema) {
    Types.MessageTypeBuilder builder = Types.buildMessage();
    for (Column column : schema.columns()) {
      builder.addField(field(column));
    }
    return builder.named("row");
  }

  private static Type field(Column column) {
    switch (column.type()) {
      case STRING:
        return Types.optional(PrimitiveTypeName.BINARY)
            .as(LogicalTypeAnnotation.stringType())
            .named(column.name());
      case LONG:
        return Types.optional(PrimitiveTypeName.INT64).named(column.name());
      case DOUBLE:
        return Types.optional(PrimitiveTypeName.DOUBLE).named(column.name());
      case BOOLEAN:
        return Types.optional(PrimitiveTypeName.BOOLEAN).named(column.name());
      case DATE:
        return Types.optional(PrimitiveTypeName.INT32)
            .as(LogicalTypeAnnotation.dateType())
            .named(column.name());
      case TIMESTAMP:
        return Types.optional(PrimitiveTypeName.INT64)
            .as(LogicalTypeAnnotation.timestampType(false, LogicalTypeAnnotation.TimeUnit.MICROS))
            .named(column.name());
    }
    throw new IllegalArgumentException("Unknown column type " + column.type());
  }
}
