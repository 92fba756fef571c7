package org.imednet.export.rows;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;

/**
 * A compact, deterministic binary coder for {@link RowBatch}: the schema, then each row as a null
 * bitmap followed by the non-null values in their column type's encoding (big-endian).
 *
 * <pre>
 * int schemaLength, schema, int rowCount, int rowsLength, rows
 * row    = null bitmap (1 bit per column, set = null), then each non-null value:
 *          STRING int length + UTF-8 | LONG long | DOUBLE long bits | BOOLEAN byte
 *          DATE long epoch day | TIMESTAMP long epoch second (UTC) + int nanos
 * </pre>
 *
 * The rows are written and read as one block of bytes, which a {@link RowBatch} keeps: re-encoding
 * a decoded batch copies that block, and decoding defers building the row objects until the rows
 * are used.
 */
public final class RowBatchCoder extends AtomicCoder<RowBatch> {
  private static final long serialVersionUID = 1L;
  private static final RowBatchCoder INSTANCE = new RowBatchCoder();
  private static final ColumnType[] TYPES = ColumnType.values();
  private static final Column.Kind[] COLUMN_KINDS = Column.Kind.values();
  private static final TableSchema.Kind[] TABLE_KINDS = TableSchema.Kind.values();
  private static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  public static RowBatchCoder of() {
    return INSTANCE;
  }

  private RowBatchCoder() {}

  @Override
  public void encode(RowBatch value, OutputStream outStream) throws IOException {
    byte[] rows;
    try {
      rows = value.encodedRows();
    } catch (IllegalArgumentException e) {
      throw new CoderException(e.getMessage(), e);
    }
    Bytes header = new Bytes(1024);
    header.putInt(0); // schema length, filled in below
    encodeSchema(value.schema(), header);
    INT.set(header.buf, 0, header.len - 4);
    header.putInt(value.size());
    header.putInt(rows.length);
    outStream.write(header.buf, 0, header.len);
    outStream.write(rows);
  }

  @Override
  public RowBatch decode(InputStream inStream) throws IOException {
    DataInputStream in = new DataInputStream(inStream);
    byte[] schemaBytes = new byte[in.readInt()];
    in.readFully(schemaBytes);
    TableSchema schema;
    try {
      schema = decodeSchema(new Reader(schemaBytes));
    } catch (RuntimeException e) {
      throw new CoderException("Corrupt RowBatch schema", e);
    }
    int size = in.readInt();
    byte[] rows = new byte[in.readInt()];
    in.readFully(rows);
    return RowBatch.ofEncoded(schema, size, rows);
  }

  @Override
  public void verifyDeterministic() {}

  /**
   * Encodes rows of {@code schema}; a value of the wrong Java class is an IllegalArgumentException.
   */
  static byte[] encodeRows(TableSchema schema, List<Object[]> rows) {
    RowEncoder encoder = new RowEncoder(schema, rows.size());
    for (Object[] row : rows) {
      encoder.add(row);
    }
    return encoder.toBytes();
  }

  /** Appends rows to one growing block in the row encoding. */
  static final class RowEncoder {
    private final List<Column> columns;
    private final ColumnType[] types;
    private final int bitmap;
    private final Bytes out;
    private int count;

    RowEncoder(TableSchema schema, int expectedRows) {
      this.columns = schema.columns();
      this.types = new ColumnType[columns.size()];
      for (int i = 0; i < types.length; i++) {
        types[i] = columns.get(i).type();
      }
      this.bitmap = (types.length + 7) / 8;
      this.out = new Bytes(Math.max(64, expectedRows * (bitmap + 8 * types.length)));
    }

    void add(Object[] row) {
      checkNoRowStarted();
      int start = out.len;
      int at = out.reserve(bitmap);
      for (int i = 0; i < types.length; i++) {
        Object v = row[i];
        if (v == null) {
          out.buf[at + (i >> 3)] |= (byte) (1 << (i & 7));
          continue;
        }
        try {
          writeValue(types[i], v, out);
        } catch (ClassCastException e) {
          Arrays.fill(out.buf, start, out.len, (byte) 0);
          out.len = start;
          throw new IllegalArgumentException(
              "column '"
                  + columns.get(i).name()
                  + "' of type "
                  + types[i]
                  + " holds a "
                  + v.getClass().getName(),
              e);
        }
      }
      count++;
    }

    int count() {
      return count;
    }

    byte[] toBytes() {
      checkNoRowStarted();
      return out.buf.length == out.len ? out.buf : Arrays.copyOf(out.buf, out.len);
    }

    // A row written value by value (RowBatch.Builder#startRow): the column the next value is for
    // (-1: no row started), where the row starts, and where its null bitmap is.
    private int column = -1;
    private int rowStart;
    private int nullsAt;

    private void checkNoRowStarted() {
      if (column >= 0) {
        throw new IllegalStateException("A row was started and not ended");
      }
    }

    void startRow() {
      checkNoRowStarted();
      rowStart = out.len;
      nullsAt = out.reserve(bitmap);
      column = 0;
    }

    /** Moves on to the next column, which must have the type of the value about to be written. */
    private void next(ColumnType type) {
      if (column < 0 || column >= types.length) {
        throw new IllegalStateException(
            column < 0 ? "No row started" : "The row already has all its values");
      }
      if (types[column] != type) {
        String message =
            "column '"
                + columns.get(column).name()
                + "' of type "
                + types[column]
                + " given a "
                + type;
        abandonRow();
        throw new IllegalArgumentException(message);
      }
      column++;
    }

    void abandonRowIfStarted() {
      if (column >= 0) {
        abandonRow();
      }
    }

    private void abandonRow() {
      Arrays.fill(out.buf, rowStart, out.len, (byte) 0);
      out.len = rowStart;
      column = -1;
    }

    void putNull() {
      if (column < 0 || column >= types.length) {
        throw new IllegalStateException(
            column < 0 ? "No row started" : "The row already has all its values");
      }
      out.buf[nullsAt + (column >> 3)] |= (byte) (1 << (column & 7));
      column++;
    }

    void putValue(@Nullable Object value) {
      if (value == null) {
        putNull();
        return;
      }
      ColumnType type = column >= 0 && column < types.length ? types[column] : null;
      int at = out.len;
      next(type);
      try {
        writeValue(type, value, out);
      } catch (ClassCastException e) {
        String name = columns.get(column - 1).name();
        out.len = at;
        abandonRow();
        throw new IllegalArgumentException(
            "column '" + name + "' of type " + type + " holds a " + value.getClass().getName(), e);
      }
    }

    void putString(byte[] utf8, int offset, int length) {
      next(ColumnType.STRING);
      out.putInt(length);
      out.ensure(length);
      System.arraycopy(utf8, offset, out.buf, out.len, length);
      out.len += length;
    }

    void putLong(long value) {
      next(ColumnType.LONG);
      out.putLong(value);
    }

    void putDouble(double value) {
      next(ColumnType.DOUBLE);
      out.putLong(Double.doubleToLongBits(value));
    }

    void putBoolean(boolean value) {
      next(ColumnType.BOOLEAN);
      out.putByte(value ? 1 : 0);
    }

    void putDate(long epochDay) {
      next(ColumnType.DATE);
      out.putLong(epochDay);
    }

    void putTimestamp(long epochSecond, int nanos) {
      next(ColumnType.TIMESTAMP);
      out.putLong(epochSecond);
      out.putInt(nanos);
    }

    void endRow() {
      if (column != types.length) {
        int missing = column < 0 ? -1 : types.length - column;
        if (column >= 0) {
          abandonRow();
        }
        throw new IllegalStateException(
            missing < 0 ? "No row started" : "The row ended " + missing + " values short");
      }
      column = -1;
      count++;
    }
  }

  /** Decodes {@code size} rows written by {@link #encodeRows}. */
  static List<Object[]> decodeRows(TableSchema schema, int size, byte[] bytes) {
    List<Column> columns = schema.columns();
    int n = columns.size();
    ColumnType[] types = new ColumnType[n];
    for (int i = 0; i < n; i++) {
      types[i] = columns.get(i).type();
    }
    int bitmap = (n + 7) / 8;
    Reader in = new Reader(bytes);
    List<Object[]> rows = new ArrayList<>(size);
    try {
      for (int r = 0; r < size; r++) {
        int nulls = in.pos;
        in.pos += bitmap;
        Object[] row = new Object[n];
        for (int i = 0; i < n; i++) {
          if ((bytes[nulls + (i >> 3)] & (1 << (i & 7))) == 0) {
            row[i] = readValue(types[i], in);
          }
        }
        rows.add(row);
      }
    } catch (IndexOutOfBoundsException e) {
      throw new IllegalStateException(
          "Corrupt RowBatch rows of table " + schema.studyKey() + "/" + schema.tableKey(), e);
    }
    if (in.pos != bytes.length) {
      throw new IllegalStateException(
          "Corrupt RowBatch rows of table "
              + schema.studyKey()
              + "/"
              + schema.tableKey()
              + ": "
              + (bytes.length - in.pos)
              + " bytes left over");
    }
    return rows;
  }

  private static void writeValue(ColumnType type, Object value, Bytes out) {
    switch (type) {
      case STRING:
        out.putBytes(((String) value).getBytes(StandardCharsets.UTF_8));
        return;
      case LONG:
        out.putLong((Long) value);
        return;
      case DOUBLE:
        out.putLong(Double.doubleToLongBits((Double) value));
        return;
      case BOOLEAN:
        out.putByte(((Boolean) value) ? 1 : 0);
        return;
      case DATE:
        out.putLong(((LocalDate) value).toEpochDay());
        return;
      case TIMESTAMP:
        LocalDateTime t = (LocalDateTime) value;
        out.putLong(t.toEpochSecond(ZoneOffset.UTC));
        out.putInt(t.getNano());
        return;
    }
    throw new IllegalArgumentException("Unknown column type " + type);
  }

  private static Object readValue(ColumnType type, Reader in) {
    switch (type) {
      case STRING:
        return in.string();
      case LONG:
        return in.getLong();
      case DOUBLE:
        return Double.longBitsToDouble(in.getLong());
      case BOOLEAN:
        return in.getByte() != 0;
      case DATE:
        return LocalDate.ofEpochDay(in.getLong());
      case TIMESTAMP:
        long seconds = in.getLong();
        int nanos = in.getInt();
        return LocalDateTime.ofEpochSecond(seconds, nanos, ZoneOffset.UTC);
    }
    throw new IllegalStateException("Unknown column type " + type);
  }

  private static void encodeSchema(TableSchema schema, Bytes out) {
    out.putString(schema.studyKey());
    out.putString(schema.tableKey());
    out.putByte(schema.kind().ordinal());
    Long formId = schema.formId();
    out.putByte(formId != null ? 1 : 0);
    if (formId != null) {
      out.putLong(formId);
    }
    out.putInt(schema.size());
    for (Column c : schema.columns()) {
      out.putString(c.name());
      out.putByte(c.type().ordinal());
      out.putByte(c.kind().ordinal());
      out.putNullableString(c.sourceVariable());
      out.putNullableString(c.variableType());
      out.putNullableString(c.label());
    }
  }

  private static TableSchema decodeSchema(Reader in) {
    String studyKey = in.string();
    String tableKey = in.string();
    TableSchema.Kind kind = TABLE_KINDS[in.getByte()];
    Long formId = in.getByte() != 0 ? in.getLong() : null;
    int size = in.getInt();
    List<Column> columns = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      String name = in.string();
      ColumnType type = TYPES[in.getByte()];
      Column.Kind columnKind = COLUMN_KINDS[in.getByte()];
      columns.add(
          Column.of(
              name,
              type,
              columnKind,
              in.nullableString(),
              in.nullableString(),
              in.nullableString()));
    }
    return TableSchema.of(studyKey, tableKey, kind, formId, Collections.unmodifiableList(columns));
  }

  /** A growable big-endian byte buffer. */
  private static final class Bytes {
    byte[] buf;
    int len;

    Bytes(int capacity) {
      buf = new byte[capacity];
    }

    private void ensure(int more) {
      if (len + more > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(len + more, buf.length * 2));
      }
    }

    int reserve(int bytes) {
      ensure(bytes);
      int at = len;
      len += bytes;
      return at;
    }

    void putByte(int b) {
      ensure(1);
      buf[len++] = (byte) b;
    }

    void putInt(int v) {
      ensure(4);
      INT.set(buf, len, v);
      len += 4;
    }

    void putLong(long v) {
      ensure(8);
      LONG.set(buf, len, v);
      len += 8;
    }

    void putBytes(byte[] b) {
      putInt(b.length);
      ensure(b.length);
      System.arraycopy(b, 0, buf, len, b.length);
      len += b.length;
    }

    void putString(String s) {
      putBytes(s.getBytes(StandardCharsets.UTF_8));
    }

    void putNullableString(@Nullable String s) {
      putByte(s != null ? 1 : 0);
      if (s != null) {
        putString(s);
      }
    }
  }

  /** Reads what {@link Bytes} wrote. */
  private static final class Reader {
    final byte[] buf;
    int pos;

    Reader(byte[] buf) {
      this.buf = buf;
    }

    byte getByte() {
      return buf[pos++];
    }

    int getInt() {
      int v = (int) INT.get(buf, pos);
      pos += 4;
      return v;
    }

    long getLong() {
      long v = (long) LONG.get(buf, pos);
      pos += 8;
      return v;
    }

    String string() {
      int n = getInt();
      if (n < 0 || n > buf.length - pos) {
        throw new IndexOutOfBoundsException("string of " + n + " bytes at " + pos);
      }
      String s = new String(buf, pos, n, StandardCharsets.UTF_8);
      pos += n;
      return s;
    }

    @Nullable
    String nullableString() {
      return getByte() != 0 ? string() : null;
    }
  }
}
