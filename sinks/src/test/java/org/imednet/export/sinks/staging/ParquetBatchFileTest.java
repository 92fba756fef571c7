package org.imednet.export.sinks.staging;

import static org.imednet.export.sinks.staging.TestTables.formBatch;
import static org.imednet.export.sinks.staging.TestTables.query;
import static org.imednet.export.sinks.staging.TestTables.sqlString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.TableSchema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParquetBatchFileTest {
  @TempDir Path dir;

  @Test
  void writesExactNamesTypesAndValuesReadByDuckDb() throws Exception {
    Path file = dir.resolve("f.parquet");
    long rows =
        ParquetBatchFile.write(
            file,
            TestTables.form("S", "F"),
            List.of(formBatch("S", "F", 1, 2), formBatch("S", "F", 3, 1)));

    assertEquals(3, rows);
    assertEquals(
        List.of(
            "study_key|VARCHAR",
            "form_key|VARCHAR",
            "record_id|BIGINT",
            "Blood pressure (mmHg)|DOUBLE",
            "体重|BIGINT",
            "visit_date|DATE",
            "seen_at|TIMESTAMP",
            "ok|BOOLEAN",
            "note|VARCHAR"),
        query(
            "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet("
                + sqlString(file)
                + "))"));
    assertEquals(
        List.of(
            "S|F|1|null|null|null|null|null|null",
            "S|F|2|2.5|20|2024-01-03|2024-02-03 04:05:08.789|true|n2",
            "S|F|3|null|null|null|null|null|null"),
        query("SELECT * FROM read_parquet(" + sqlString(file) + ") ORDER BY record_id"));
  }

  /**
   * Coded values keep a dictionary; per-record ids, measurements and timestamps are written plain,
   * because hashing nearly distinct values into a dictionary was half of the Parquet CPU time.
   */
  @Test
  void dictionaryOnlyWhereValuesRepeat() throws Exception {
    Path file = dir.resolve("f.parquet");
    List<Object[]> rows = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      // Every variable repeats one of three values, so each column would keep a dictionary.
      rows.add(
          new Object[] {
            "S",
            "F",
            (long) i,
            120.5 + i % 3,
            70L + i % 3,
            LocalDate.of(2024, 1, 1 + i % 3),
            LocalDateTime.of(2024, 2, 3, 4, 5, i % 3),
            i % 3 == 0,
            "code " + i % 3
          });
    }
    TableSchema schema = TestTables.form("S", "F");
    ParquetBatchFile.write(file, schema, List.of(RowBatch.of(schema, rows)));
    assertEquals(
        List.of(
            "study_key|true",
            "form_key|true",
            "record_id|false",
            "Blood pressure (mmHg)|false",
            "体重|true",
            "visit_date|true",
            "seen_at|false",
            "ok|false", // Parquet has no dictionary for booleans
            "note|true"),
        query(
            "SELECT path_in_schema, encodings LIKE '%DICTIONARY%' FROM parquet_metadata("
                + sqlString(file)
                + ") ORDER BY column_id"));
  }

  @Test
  void wrongJavaTypeFailsNamingTableAndColumn() {
    List<Object[]> rows = new ArrayList<>(formBatch("S", "F", 1, 2).rows());
    Object[] bad = rows.get(1).clone();
    bad[4] = "ten";
    rows.set(1, bad);
    RowBatch batch = RowBatch.of(TestTables.form("S", "F"), rows);

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ParquetBatchFile.write(dir.resolve("f.parquet"), batch.schema(), List.of(batch)));
    assertEquals(
        "Table S/F: column '体重' of type LONG holds a java.lang.String; the flattening step must"
            + " produce the Java type ColumnType documents",
        e.getMessage());
  }

  @Test
  void batchOfAnotherTableIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ParquetBatchFile.write(
                    dir.resolve("f.parquet"),
                    TestTables.form("S", "F"),
                    List.of(formBatch("S", "G", 1, 1))));
    assertEquals(true, e.getMessage().startsWith("Batch of FORM S/G"));
  }
}
