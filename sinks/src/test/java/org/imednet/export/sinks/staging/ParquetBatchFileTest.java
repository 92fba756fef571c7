package org.imednet.export.sinks.staging;

import static org.imednet.export.sinks.staging.TestTables.formBatch;
import static org.imednet.export.sinks.staging.TestTables.query;
import static org.imednet.export.sinks.staging.TestTables.sqlString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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

  /**
   * A value Parquet cannot hold (a date beyond its 32-bit day count) fails the write, and closing
   * the file afterwards does not complete it: no footer, so no reader takes it for a whole file.
   */
  @Test
  void failedWriteIsNeverFinishedIntoAReadableFile() throws Exception {
    Path file = dir.resolve("f.parquet");
    TableSchema schema = TestTables.form("S", "F");
    List<Object[]> rows = new ArrayList<>(formBatch("S", "F", 1, 2).rows());
    Object[] bad = rows.get(1).clone();
    bad[5] = LocalDate.MAX;
    rows.set(1, bad);
    ParquetBatchFile out = ParquetBatchFile.create(file, schema);
    out.write(formBatch("S", "F", 10, 3));
    assertThrows(ArithmeticException.class, () -> out.write(RowBatch.of(schema, rows)));
    out.close();

    // Only the leading magic number: the batches before the failure were still in memory.
    assertEquals("PAR1", Files.readString(file, StandardCharsets.US_ASCII));
    assertThrows(
        IllegalStateException.class,
        () -> query("SELECT count(*) FROM read_parquet(" + sqlString(file) + ")"));
    assertThrows(IllegalStateException.class, () -> out.write(formBatch("S", "F", 20, 1)));
  }

  /** Row groups are cut by size: many batches make several, and every row is read back once. */
  @Test
  void manyBatchesMakeSeveralRowGroupsWithEveryRowOnce() throws Exception {
    Path file = dir.resolve("f.parquet");
    TableSchema schema = TestTables.form("S", "F");
    List<RowBatch> batches = new ArrayList<>();
    for (int b = 0; b < 200; b++) {
      List<Object[]> rows = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        long id = b * 500L + i;
        rows.add(
            new Object[] {
              "S",
              "F",
              id,
              id * 0.25,
              id % 7 == 0 ? null : id,
              LocalDate.of(2024, 1, 1).plusDays(id % 400),
              LocalDateTime.of(2024, 2, 3, 4, 5).plusSeconds(id),
              id % 2 == 0,
              "note "
                  + id
                  + " "
                  + scramble(id)
                  + scramble(id + 1)
                  + scramble(id + 2)
                  + scramble(id + 3)
            });
      }
      batches.add(RowBatch.of(schema, rows));
    }
    assertEquals(100_000, ParquetBatchFile.write(file, schema, batches));

    String parquet = "read_parquet(" + sqlString(file) + ")";
    assertEquals(
        List.of("100000|100000|0|99999|14286|4999950000|100000"),
        query(
            "SELECT count(*), count(DISTINCT record_id), min(record_id), max(record_id),"
                + " count(*) - count(\"体重\"), sum(\"Blood pressure (mmHg)\" * 4)::BIGINT,"
                + " count(DISTINCT note)"
                + " FROM "
                + parquet));
    assertEquals(
        List.of("0"),
        query(
            "SELECT count(*) FROM "
                + parquet
                + " WHERE NOT starts_with(note, 'note ' || record_id || ' ')"
                + " OR visit_date <> DATE '2024-01-01' + (record_id % 400)::INT"
                + " OR seen_at <> TIMESTAMP '2024-02-03 04:05:00' + to_seconds(record_id)"
                + " OR ok <> (record_id % 2 = 0)"));
    List<String> groups =
        query(
            "SELECT count(DISTINCT row_group_id) > 1 FROM parquet_metadata("
                + sqlString(file)
                + ")");
    assertEquals(List.of("true"), groups);
  }

  /** Hex digits that snappy cannot shrink, so row groups fill by their real size. */
  private static String scramble(long x) {
    return Long.toHexString(x * 0x9E3779B97F4A7C15L);
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
