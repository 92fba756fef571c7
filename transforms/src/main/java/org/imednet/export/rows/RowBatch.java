package org.imednet.export.rows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.DefaultCoder;

/**
 * Typed rows of one table of one study, usually one API page: the unit that travels from flattening
 * to the sinks. Coarse elements keep per-element runner overhead off the hot path.
 *
 * <p>Each row is an {@code Object[]} aligned with {@link TableSchema#columns()}; a value has the
 * Java class {@link ColumnType} names for its column, or is null. Rows are never mutated after
 * construction.
 *
 * <p>A batch keeps its binary form once it has one: a batch decoded by {@link RowBatchCoder} turns
 * its bytes into rows only when {@link #rows()} is first called, and encoding a batch again writes
 * the bytes it was decoded from (or encoded to before). Runners that serialise elements between
 * steps (Flink between operators that are not chained, the DirectRunner to check immutability) so
 * pay for one encoding and one decoding per batch, not one per hop.
 */
@DefaultCoder(RowBatchCoder.class)
public final class RowBatch {
  private final TableSchema schema;
  private final int size;
  private volatile @Nullable List<Object[]> rows;
  private volatile @Nullable byte[] encodedRows;

  private RowBatch(
      TableSchema schema, int size, @Nullable List<Object[]> rows, @Nullable byte[] encoded) {
    this.schema = Objects.requireNonNull(schema, "schema");
    this.size = size;
    this.rows = rows;
    this.encodedRows = encoded;
  }

  public static RowBatch of(TableSchema schema, List<Object[]> rows) {
    for (Object[] row : rows) {
      checkLength(schema, row);
    }
    return new RowBatch(
        schema, rows.size(), Collections.unmodifiableList(new ArrayList<>(rows)), null);
  }

  /**
   * Builds a batch row by row, encoding each row as it is added, so the values need not stay alive
   * (or be touched again) until the batch is complete.
   *
   * <pre>{@code
   * RowBatch.Builder b = RowBatch.builder(schema, 500);
   * for (...) { b.add(row); }
   * RowBatch batch = b.build();
   * }</pre>
   */
  public static Builder builder(TableSchema schema, int expectedRows) {
    return new Builder(schema, expectedRows);
  }

  /** See {@link #builder}. */
  public static final class Builder {
    private final TableSchema schema;
    private final RowBatchCoder.RowEncoder encoder;

    private Builder(TableSchema schema, int expectedRows) {
      this.schema = Objects.requireNonNull(schema, "schema");
      this.encoder = new RowBatchCoder.RowEncoder(schema, expectedRows);
    }

    /**
     * Adds a row aligned with the schema's columns.
     *
     * @throws IllegalArgumentException if the row's length or a value's Java class does not match
     *     the schema; the row is then not added
     */
    public Builder add(Object[] row) {
      checkLength(schema, row);
      encoder.add(row);
      return this;
    }

    /**
     * Starts a row whose values are then written one by one in column order, each with the call for
     * its column's type (or {@link #putNull}), and which {@link #endRow} adds: for writers that
     * have the values unboxed, such as the flattener reading the API's bytes.
     *
     * <pre>{@code
     * b.startRow().putLong(880123).putString(utf8, offset, length).putNull().endRow();
     * }</pre>
     *
     * A value of the wrong type abandons the row (IllegalArgumentException), as does ending it
     * early (IllegalStateException); the rows added before stay.
     *
     * @throws IllegalStateException if a row was started and not ended
     */
    public Builder startRow() {
      encoder.startRow();
      return this;
    }

    public Builder putNull() {
      encoder.putNull();
      return this;
    }

    /** A value of the column's type as {@link #add} takes it, or null. */
    public Builder putValue(@Nullable Object value) {
      encoder.putValue(value);
      return this;
    }

    /** A STRING value as its UTF-8 bytes, which are copied. */
    public Builder putString(byte[] utf8, int offset, int length) {
      encoder.putString(utf8, offset, length);
      return this;
    }

    public Builder putLong(long value) {
      encoder.putLong(value);
      return this;
    }

    public Builder putDouble(double value) {
      encoder.putDouble(value);
      return this;
    }

    public Builder putBoolean(boolean value) {
      encoder.putBoolean(value);
      return this;
    }

    /** A DATE value as days since 1970-01-01. */
    public Builder putDate(long epochDay) {
      encoder.putDate(epochDay);
      return this;
    }

    /** A TIMESTAMP value as seconds since 1970-01-01T00:00 (UTC) and nanoseconds. */
    public Builder putTimestamp(long epochSecond, int nanos) {
      encoder.putTimestamp(epochSecond, nanos);
      return this;
    }

    /** Drops the row started by {@link #startRow} and the values written to it so far. */
    public Builder abandonRow() {
      encoder.abandonRowIfStarted();
      return this;
    }

    /** Adds the row started by {@link #startRow}, which must have a value for every column. */
    public Builder endRow() {
      encoder.endRow();
      return this;
    }

    public int size() {
      return encoder.count();
    }

    /**
     * The batch of the rows added.
     *
     * @throws IllegalStateException if a row was started and not ended
     */
    public RowBatch build() {
      return new RowBatch(schema, encoder.count(), null, encoder.toBytes());
    }
  }

  private static void checkLength(TableSchema schema, Object[] row) {
    if (row.length != schema.size()) {
      throw new IllegalArgumentException(
          "Row has "
              + row.length
              + " values but table "
              + schema.studyKey()
              + "/"
              + schema.tableKey()
              + " has "
              + schema.size()
              + " columns");
    }
  }

  /** A batch of {@code size} rows in {@link RowBatchCoder}'s row encoding, decoded on demand. */
  static RowBatch ofEncoded(TableSchema schema, int size, byte[] encodedRows) {
    return new RowBatch(schema, size, null, encodedRows);
  }

  public TableSchema schema() {
    return schema;
  }

  public List<Object[]> rows() {
    List<Object[]> r = rows;
    if (r == null) {
      // Decoding is deterministic, so two threads racing here build equal lists.
      r = Collections.unmodifiableList(RowBatchCoder.decodeRows(schema, size, encodedRows));
      rows = r;
    }
    return r;
  }

  /** The rows in {@link RowBatchCoder}'s row encoding, computed once. */
  byte[] encodedRows() {
    byte[] e = encodedRows;
    if (e == null) {
      e = RowBatchCoder.encodeRows(schema, rows);
      encodedRows = e;
    }
    return e;
  }

  /**
   * The rows in their binary form read column by column (encoding them first if this batch has none
   * yet), for columnar writers.
   *
   * @throws IllegalArgumentException if a value does not have its column type's Java class
   * @throws IllegalStateException if the encoding is corrupt
   */
  public RowBatchColumns columns() {
    return new RowBatchColumns(schema, size, encodedRows());
  }

  public int size() {
    return size;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof RowBatch)) {
      return false;
    }
    RowBatch b = (RowBatch) o;
    if (!schema.equals(b.schema) || size != b.size) {
      return false;
    }
    List<Object[]> mine = rows();
    List<Object[]> theirs = b.rows();
    for (int i = 0; i < size; i++) {
      if (!Arrays.equals(mine.get(i), theirs.get(i))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = schema.hashCode();
    for (Object[] row : rows()) {
      h = 31 * h + Arrays.hashCode(row);
    }
    return h;
  }

  @Override
  public String toString() {
    return "RowBatch{" + schema.studyKey() + "/" + schema.tableKey() + ", " + size + " rows}";
  }
}
