package org.imednet.export.sinks.snowflake;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.TableSchema;

/** Small form and metadata row batches with every column type. */
final class Fixtures {
  private Fixtures() {}

  static List<Column> formColumns(String... extraVariables) {
    List<Column> cols = new ArrayList<>();
    cols.add(Column.metadata("study_key", ColumnType.STRING));
    cols.add(Column.metadata("form_key", ColumnType.STRING));
    cols.add(Column.metadata("record_id", ColumnType.LONG));
    cols.add(Column.metadata("deleted", ColumnType.BOOLEAN));
    cols.add(Column.metadata("date_modified", ColumnType.TIMESTAMP));
    cols.add(Column.variable("AGE", ColumnType.LONG, "AGE", "integer", null));
    cols.add(Column.variable("weight kg", ColumnType.DOUBLE, "WEIGHT", "number", "weight kg"));
    cols.add(Column.variable("dob", ColumnType.DATE, "dob", "date", null));
    for (String v : extraVariables) {
      cols.add(Column.variable(v, ColumnType.STRING, v, "text", null));
    }
    return cols;
  }

  static TableSchema form(String study, String formKey, String... extraVariables) {
    return TableSchema.form(study, formKey, 10L, formColumns(extraVariables));
  }

  /** A row: record id, age, weight, dob day-of-month, modified minute; extra strings appended. */
  static Object[] row(
      String study,
      String form,
      long recordId,
      Long age,
      Double weight,
      int minute,
      String... extra) {
    Object[] r = new Object[8 + extra.length];
    r[0] = study;
    r[1] = form;
    r[2] = recordId;
    r[3] = false;
    r[4] = LocalDateTime.of(2024, 1, 2, 3, minute, 5, 123_456_000);
    r[5] = age;
    r[6] = weight;
    r[7] = LocalDate.of(1980, 1, (int) (recordId % 28) + 1);
    System.arraycopy(extra, 0, r, 8, extra.length);
    return r;
  }

  static RowBatch batch(TableSchema schema, Object[]... rows) {
    return RowBatch.of(schema, List.of(rows));
  }

  static TableSchema sites(String study) {
    return TableSchema.metadata(
        study,
        "sites",
        List.of(
            Column.metadata("study_key", ColumnType.STRING),
            Column.metadata("site_id", ColumnType.LONG),
            Column.metadata("site_name", ColumnType.STRING)));
  }
}
