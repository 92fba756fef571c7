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
 */
@DefaultCoder(RowBatchCoder.class)
public final class RowBatch {
  private final TableSchema schema;
  private final List<Object[]> rows;

  private RowBatch(TableSchema schema, List<Object[]> rows) {
    this.schema = Objects.requireNonNull(schema, "schema");
    this.rows = Collections.unmodifiableList(rows);
  }

  public static RowBatch of(TableSchema schema, List<Object[]> rows) {
    for (Object[] row : rows) {
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
    return new RowBatch(schema, new ArrayList<>(rows));
  }

  public TableSchema schema() {
    return schema;
  }

  public List<Object[]> rows() {
    return rows;
  }

  public int size() {
    return rows.size();
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
    if (!schema.equals(b.schema) || rows.size() != b.rows.size()) {
      return false;
    }
    for (int i = 0; i < rows.size(); i++) {
      if (!Arrays.equals(rows.get(i), b.rows.get(i))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = schema.hashCode();
    for (Object[] row : rows) {
      h = 31 * h + Arrays.hashCode(row);
    }
    return h;
  }

  @Override
  public String toString() {
    return "RowBatch{"
        + schema.studyKey()
        + "/"
        + schema.tableKey()
        + ", "
        + rows.size()
        + " rows}";
  }
}
