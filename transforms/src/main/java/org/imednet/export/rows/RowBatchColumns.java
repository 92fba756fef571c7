package org.imednet.export.rows;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The rows of an encoded {@link RowBatch} read column by column, in place: one pass over the
 * encoding finds where every value starts, then any column's values are read by row number without
 * building objects. What a columnar writer (Parquet) needs: it writes one column of a batch after
 * the other, so each column's encoder and dictionary stay in the processor's cache.
 *
 * <pre>{@code
 * RowBatchColumns columns = batch.columns();
 * for (int c = 0; c < columns.columnCount(); c++) {
 *   for (int r = 0; r < columns.rowCount(); r++) {
 *     if (columns.isNull(c, r)) continue;
 *     switch (columns.type(c)) { case LONG: use(columns.getLong(c, r)); break; ... }
 *   }
 * }
 * }</pre>
 *
 * Strings are slices of {@link #buffer()}: {@link #stringOffset} and {@link #stringLength}. The
 * buffer is the batch's own; do not modify it.
 */
public final class RowBatchColumns {
  private static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private final TableSchema schema;
  private final ColumnType[] types;
  private final int rows;
  private final byte[] buf;

  /** Where value (column c, row r) starts: {@code at[c * rows + r]}, -1 for null. */
  private final int[] at;

  /**
   * Indexes {@code rows} rows encoded in {@code buf}.
   *
   * @throws IllegalStateException if the encoding is corrupt (too short, too long, or a string
   *     length pointing outside it)
   */
  RowBatchColumns(TableSchema schema, int rows, byte[] buf) {
    this.schema = schema;
    List<Column> columns = schema.columns();
    int n = columns.size();
    this.types = new ColumnType[n];
    for (int i = 0; i < n; i++) {
      types[i] = columns.get(i).type();
    }
    this.rows = rows;
    this.buf = buf;
    this.at = new int[n * rows];
    int bitmap = (n + 7) / 8;
    int pos = 0;
    for (int r = 0; r < rows; r++) {
      int nulls = pos;
      pos += bitmap;
      if (pos > buf.length) {
        throw corrupt("row " + r + " starts beyond the end");
      }
      for (int c = 0; c < n; c++) {
        if ((buf[nulls + (c >> 3)] & (1 << (c & 7))) != 0) {
          at[c * rows + r] = -1;
          continue;
        }
        at[c * rows + r] = pos;
        pos += width(types[c], pos);
        if (pos > buf.length || pos < 0) {
          throw corrupt("value of row " + r + ", column " + c + " ends beyond the end");
        }
      }
    }
    if (pos != buf.length) {
      throw corrupt((buf.length - pos) + " bytes left over");
    }
  }

  /** The encoded size of the value of {@code type} at {@code pos}. */
  private int width(ColumnType type, int pos) {
    switch (type) {
      case STRING:
        if (pos + 4 > buf.length) {
          throw corrupt("string length at " + pos + " beyond the end");
        }
        int n = (int) INT.get(buf, pos);
        if (n < 0) {
          throw corrupt("string of " + n + " bytes at " + pos);
        }
        return 4 + n;
      case LONG:
      case DOUBLE:
      case DATE:
        return 8;
      case BOOLEAN:
        return 1;
      case TIMESTAMP:
        return 12;
    }
    throw new IllegalStateException("Unknown column type " + type);
  }

  public TableSchema schema() {
    return schema;
  }

  public int columnCount() {
    return types.length;
  }

  public int rowCount() {
    return rows;
  }

  public ColumnType type(int column) {
    return types[column];
  }

  public boolean isNull(int column, int row) {
    return at[column * rows + row] < 0;
  }

  public long getLong(int column, int row) {
    return (long) LONG.get(buf, at[column * rows + row]);
  }

  public double getDouble(int column, int row) {
    return Double.longBitsToDouble((long) LONG.get(buf, at[column * rows + row]));
  }

  public boolean getBoolean(int column, int row) {
    return buf[at[column * rows + row]] != 0;
  }

  /** A DATE value as days since 1970-01-01. */
  public long getEpochDay(int column, int row) {
    return (long) LONG.get(buf, at[column * rows + row]);
  }

  /** A TIMESTAMP value as microseconds since 1970-01-01T00:00 (UTC). */
  public long getEpochMicros(int column, int row) {
    int pos = at[column * rows + row];
    long seconds = (long) LONG.get(buf, pos);
    int nanos = (int) INT.get(buf, pos + 8);
    return Math.addExact(Math.multiplyExact(seconds, 1_000_000L), nanos / 1_000L);
  }

  /** Where a STRING value's UTF-8 bytes start in {@link #buffer()}. */
  public int stringOffset(int column, int row) {
    return at[column * rows + row] + 4;
  }

  /** The length of a STRING value's UTF-8 bytes. */
  public int stringLength(int column, int row) {
    return (int) INT.get(buf, at[column * rows + row]);
  }

  public byte[] buffer() {
    return buf;
  }

  private IllegalStateException corrupt(String why) {
    return new IllegalStateException(
        "Corrupt RowBatch rows of table "
            + schema.studyKey()
            + "/"
            + schema.tableKey()
            + ": "
            + why);
  }
}
