package org.imednet.export.rows;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;

/**
 * A compact, deterministic binary coder for {@link RowBatch}: the schema, then each row as a null
 * bitmap followed by the non-null values in their column type's encoding.
 */
public final class RowBatchCoder extends AtomicCoder<RowBatch> {
  private static final long serialVersionUID = 1L;
  private static final RowBatchCoder INSTANCE = new RowBatchCoder();
  private static final ColumnType[] TYPES = ColumnType.values();
  private static final Column.Kind[] COLUMN_KINDS = Column.Kind.values();
  private static final TableSchema.Kind[] TABLE_KINDS = TableSchema.Kind.values();

  public static RowBatchCoder of() {
    return INSTANCE;
  }

  private RowBatchCoder() {}

  @Override
  public void encode(RowBatch value, OutputStream outStream) throws IOException {
    DataOutputStream out = new DataOutputStream(outStream);
    encodeSchema(value.schema(), out);
    List<Column> columns = value.schema().columns();
    out.writeInt(value.size());
    for (Object[] row : value.rows()) {
      byte[] nulls = new byte[(columns.size() + 7) / 8];
      for (int i = 0; i < row.length; i++) {
        if (row[i] == null) {
          nulls[i >> 3] |= (byte) (1 << (i & 7));
        }
      }
      out.write(nulls);
      for (int i = 0; i < row.length; i++) {
        if (row[i] != null) {
          writeValue(columns.get(i), row[i], out);
        }
      }
    }
    out.flush();
  }

  @Override
  public RowBatch decode(InputStream inStream) throws IOException {
    DataInputStream in = new DataInputStream(inStream);
    TableSchema schema = decodeSchema(in);
    List<Column> columns = schema.columns();
    int n = in.readInt();
    List<Object[]> rows = new ArrayList<>(n);
    byte[] nulls = new byte[(columns.size() + 7) / 8];
    for (int r = 0; r < n; r++) {
      in.readFully(nulls);
      Object[] row = new Object[columns.size()];
      for (int i = 0; i < row.length; i++) {
        if ((nulls[i >> 3] & (1 << (i & 7))) == 0) {
          row[i] = readValue(columns.get(i).type(), in);
        }
      }
      rows.add(row);
    }
    return RowBatch.of(schema, rows);
  }

  @Override
  public void verifyDeterministic() {}

  private static void encodeSchema(TableSchema schema, DataOutputStream out) throws IOException {
    out.writeUTF(schema.studyKey());
    out.writeUTF(schema.tableKey());
    out.writeByte(schema.kind().ordinal());
    writeNullableLong(schema.formId(), out);
    out.writeInt(schema.size());
    for (Column c : schema.columns()) {
      out.writeUTF(c.name());
      out.writeByte(c.type().ordinal());
      out.writeByte(c.kind().ordinal());
      writeNullableString(c.sourceVariable(), out);
      writeNullableString(c.variableType(), out);
      writeNullableString(c.label(), out);
    }
  }

  private static TableSchema decodeSchema(DataInputStream in) throws IOException {
    String studyKey = in.readUTF();
    String tableKey = in.readUTF();
    TableSchema.Kind kind = TABLE_KINDS[in.readByte()];
    Long formId = readNullableLong(in);
    int size = in.readInt();
    List<Column> columns = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      String name = in.readUTF();
      ColumnType type = TYPES[in.readByte()];
      Column.Kind columnKind = COLUMN_KINDS[in.readByte()];
      columns.add(
          Column.of(
              name,
              type,
              columnKind,
              readNullableString(in),
              readNullableString(in),
              readNullableString(in)));
    }
    return TableSchema.of(studyKey, tableKey, kind, formId, Collections.unmodifiableList(columns));
  }

  private static void writeValue(Column column, Object value, DataOutputStream out)
      throws IOException {
    try {
      switch (column.type()) {
        case STRING:
          writeLongString((String) value, out);
          break;
        case LONG:
          out.writeLong((Long) value);
          break;
        case DOUBLE:
          out.writeDouble((Double) value);
          break;
        case BOOLEAN:
          out.writeBoolean((Boolean) value);
          break;
        case DATE:
          out.writeLong(((LocalDate) value).toEpochDay());
          break;
        case TIMESTAMP:
          LocalDateTime t = (LocalDateTime) value;
          out.writeLong(t.toEpochSecond(ZoneOffset.UTC));
          out.writeInt(t.getNano());
          break;
      }
    } catch (ClassCastException e) {
      throw new CoderException(
          "Column " + column.name() + " of type " + column.type() + " holds a " + value.getClass(),
          e);
    }
  }

  private static Object readValue(ColumnType type, DataInputStream in) throws IOException {
    switch (type) {
      case STRING:
        return readLongString(in);
      case LONG:
        return in.readLong();
      case DOUBLE:
        return in.readDouble();
      case BOOLEAN:
        return in.readBoolean();
      case DATE:
        return LocalDate.ofEpochDay(in.readLong());
      case TIMESTAMP:
        long seconds = in.readLong();
        int nanos = in.readInt();
        return LocalDateTime.ofEpochSecond(seconds, nanos, ZoneOffset.UTC);
    }
    throw new CoderException("Unknown column type " + type);
  }

  /** writeUTF is limited to 64 KiB; free-text values can be longer. */
  private static void writeLongString(String s, DataOutputStream out) throws IOException {
    byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private static String readLongString(DataInputStream in) throws IOException {
    byte[] bytes = new byte[in.readInt()];
    in.readFully(bytes);
    return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
  }

  private static void writeNullableString(@Nullable String s, DataOutputStream out)
      throws IOException {
    out.writeBoolean(s != null);
    if (s != null) {
      writeLongString(s, out);
    }
  }

  private static @Nullable String readNullableString(DataInputStream in) throws IOException {
    return in.readBoolean() ? readLongString(in) : null;
  }

  private static void writeNullableLong(@Nullable Long v, DataOutputStream out) throws IOException {
    out.writeBoolean(v != null);
    if (v != null) {
      out.writeLong(v);
    }
  }

  private static @Nullable Long readNullableLong(DataInputStream in) throws IOException {
    return in.readBoolean() ? in.readLong() : null;
  }
}
