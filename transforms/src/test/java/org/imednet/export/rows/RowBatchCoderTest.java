package org.imednet.export.rows;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

class RowBatchCoderTest {
  private static final TableSchema SCHEMA =
      TableSchema.form(
          "S 1",
          "AE LOG",
          42L,
          List.of(
              Column.metadata("study_key", ColumnType.STRING),
              Column.metadata("record_id", ColumnType.LONG),
              Column.metadata("deleted", ColumnType.BOOLEAN),
              Column.metadata("date_created", ColumnType.TIMESTAMP),
              Column.variable("WEIGHT", ColumnType.DOUBLE, "WEIGHT", "number", "Weight (kg)"),
              Column.variable("VISDAT", ColumnType.DATE, "VISDAT", "date", null),
              Column.variable("Note", ColumnType.STRING, "note", "text", "Note"),
              Column.variable("n9", ColumnType.STRING, "n9", null, null),
              Column.system("_parse_errors", ColumnType.STRING)));

  private static Object[] row(long id) {
    return new Object[] {
      "S 1",
      id,
      id % 2 == 0,
      LocalDateTime.of(2024, 2, 29, 23, 59, 58, 123_456_789),
      id * 0.5,
      LocalDate.of(1899, 12, 31),
      "héllo ✓ 𝄞 " + id,
      null,
      id % 3 == 0 ? null : "{\"WEIGHT\":\"abc\"}"
    };
  }

  private static RowBatch batch(int rows) {
    List<Object[]> list = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      list.add(row(i));
    }
    return RowBatch.of(SCHEMA, list);
  }

  @Test
  void roundTripsEveryTypeNullsAndUnicode() throws Exception {
    RowBatch original = batch(7);
    RowBatch decoded = CoderUtils.clone(RowBatchCoder.of(), original);
    assertEquals(SCHEMA, decoded.schema());
    assertEquals(SCHEMA.columns(), decoded.schema().columns());
    assertEquals(7, decoded.size());
    for (int i = 0; i < 7; i++) {
      assertArrayEquals(original.rows().get(i), decoded.rows().get(i), "row " + i);
    }
    assertEquals(original, decoded);
    assertEquals(original.hashCode(), decoded.hashCode());
  }

  @Test
  void emptyBatchAndStringsBeyond64KiB() throws Exception {
    RowBatch empty = RowBatch.of(SCHEMA, List.of());
    RowBatch back = CoderUtils.clone(RowBatchCoder.of(), empty);
    assertEquals(0, back.size());
    assertEquals(List.of(), back.rows());

    char[] big = new char[200_000];
    Arrays.fill(big, 'é');
    Object[] r = row(1);
    r[6] = new String(big);
    RowBatch large = RowBatch.of(SCHEMA, List.<Object[]>of(r));
    assertEquals(new String(big), CoderUtils.clone(RowBatchCoder.of(), large).rows().get(0)[6]);
  }

  @Test
  void encodingIsDeterministicAndSurvivesReEncodingUndecoded() throws Exception {
    byte[] first = CoderUtils.encodeToByteArray(RowBatchCoder.of(), batch(50));
    byte[] second = CoderUtils.encodeToByteArray(RowBatchCoder.of(), batch(50));
    assertArrayEquals(first, second);
    // A decoded batch whose rows were never looked at encodes to the same bytes.
    RowBatch lazy = CoderUtils.decodeFromByteArray(RowBatchCoder.of(), first);
    assertArrayEquals(first, CoderUtils.encodeToByteArray(RowBatchCoder.of(), lazy));
    assertEquals(50, lazy.rows().size());
    assertArrayEquals(first, CoderUtils.encodeToByteArray(RowBatchCoder.of(), lazy));
  }

  @Test
  void builderEncodesRowByRowAndRejectsABadRowWithoutKeepingIt() throws Exception {
    RowBatch.Builder b = RowBatch.builder(SCHEMA, 2);
    b.add(row(0));
    Object[] bad = row(1);
    bad[4] = "70.5";
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.add(bad));
    assertEquals("column 'WEIGHT' of type DOUBLE holds a java.lang.String", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.add(new Object[3]));
    b.add(row(1));
    b.add(row(2));
    RowBatch built = b.build();
    assertEquals(3, built.size());
    assertEquals(batch(3), built);
    assertArrayEquals(
        CoderUtils.encodeToByteArray(RowBatchCoder.of(), batch(3)),
        CoderUtils.encodeToByteArray(RowBatchCoder.of(), built));
  }

  /** Row r written value by value, as the flattener writes rows from the API's bytes. */
  private static void putRow(RowBatch.Builder b, long r) {
    byte[] note = ("xx héllo ✓ 𝄞 " + r).getBytes(StandardCharsets.UTF_8);
    b.startRow()
        .putValue("S 1")
        .putLong(r)
        .putBoolean(r % 2 == 0)
        .putTimestamp(
            LocalDateTime.of(2024, 2, 29, 23, 59, 58).toEpochSecond(ZoneOffset.UTC), 123_456_789)
        .putDouble(r * 0.5)
        .putDate(LocalDate.of(1899, 12, 31).toEpochDay())
        .putString(note, 3, note.length - 3)
        .putNull()
        .putValue(r % 3 == 0 ? null : "{\"WEIGHT\":\"abc\"}")
        .endRow();
  }

  @Test
  void rowsWrittenValueByValueEncodeAsRowsAdded() throws Exception {
    RowBatch.Builder b = RowBatch.builder(SCHEMA, 1);
    putRow(b, 0);
    b.add(row(1));
    putRow(b, 2);
    RowBatch built = b.build();
    assertEquals(batch(3), built);
    assertArrayEquals(
        CoderUtils.encodeToByteArray(RowBatchCoder.of(), batch(3)),
        CoderUtils.encodeToByteArray(RowBatchCoder.of(), built));
  }

  @Test
  void aRowWrittenWronglyIsAbandonedAndTheBatchStaysWhole() throws Exception {
    RowBatch.Builder b = RowBatch.builder(SCHEMA, 2);
    putRow(b, 0);
    // A value of another type: the row is dropped, the rows before it stay.
    b.startRow().putValue("S 1");
    IllegalArgumentException wrongType =
        assertThrows(IllegalArgumentException.class, () -> b.putDouble(1.5));
    assertEquals("column 'record_id' of type LONG given a DOUBLE", wrongType.getMessage());
    b.startRow().putValue("S 1");
    IllegalArgumentException wrongClass =
        assertThrows(IllegalArgumentException.class, () -> b.putValue(7));
    assertEquals(
        "column 'record_id' of type LONG holds a java.lang.Integer", wrongClass.getMessage());
    // Too few values, too many, none started, one left open.
    b.startRow().putValue("S 1").putLong(1);
    assertEquals(
        "The row ended 7 values short",
        assertThrows(IllegalStateException.class, b::endRow).getMessage());
    assertThrows(IllegalStateException.class, b::endRow);
    assertThrows(IllegalStateException.class, b::putNull);
    putRow(b, 1);
    b.startRow();
    assertThrows(IllegalStateException.class, () -> b.add(row(2)));
    assertThrows(IllegalStateException.class, b::build);
    for (int c = 0; c < SCHEMA.size(); c++) {
      b.putNull();
    }
    assertThrows(IllegalStateException.class, b::putNull);
    b.endRow();
    RowBatch built = b.build();
    List<Object[]> expected = new ArrayList<>(batch(2).rows());
    expected.add(new Object[SCHEMA.size()]);
    assertEquals(RowBatch.of(SCHEMA, expected), built);
  }

  @Test
  void aValueOfTheWrongClassNamesItsColumn() {
    Object[] r = row(1);
    r[1] = "not a long";
    RowBatch wrong = RowBatch.of(SCHEMA, List.<Object[]>of(r));
    CoderException e =
        assertThrows(
            CoderException.class, () -> CoderUtils.encodeToByteArray(RowBatchCoder.of(), wrong));
    assertTrue(
        e.getMessage().contains("column 'record_id' of type LONG holds a java.lang.String"),
        e::getMessage);
  }

  /** The column view reads what rows() holds, from encoded and not-yet-encoded batches alike. */
  @Test
  void columnsReadEveryValueInPlace() throws Exception {
    RowBatch fresh = batch(5);
    RowBatch decoded = CoderUtils.clone(RowBatchCoder.of(), batch(5));
    for (RowBatch b : List.of(fresh, decoded)) {
      RowBatchColumns c = b.columns();
      assertEquals(5, c.rowCount());
      assertEquals(SCHEMA.size(), c.columnCount());
      List<List<Object>> seen = new ArrayList<>();
      for (int r = 0; r < c.rowCount(); r++) {
        seen.add(new ArrayList<>());
      }
      // Column by column, as a columnar writer reads them.
      for (int i = 0; i < c.columnCount(); i++) {
        for (int r = 0; r < c.rowCount(); r++) {
          seen.get(r).add(value(c, i, r));
        }
      }
      for (int r = 0; r < 5; r++) {
        List<Object> expected = new ArrayList<>(Arrays.asList(row(r)));
        expected.set(
            3,
            LocalDateTime.of(2024, 2, 29, 23, 59, 58).toEpochSecond(ZoneOffset.UTC) * 1_000_000L
                + 123_456L);
        assertEquals(expected, seen.get(r), "row " + r);
      }
    }
  }

  private static Object value(RowBatchColumns c, int column, int row) {
    if (c.isNull(column, row)) {
      return null;
    }
    switch (c.type(column)) {
      case STRING:
        return new String(
            c.buffer(),
            c.stringOffset(column, row),
            c.stringLength(column, row),
            StandardCharsets.UTF_8);
      case LONG:
        return c.getLong(column, row);
      case DOUBLE:
        return c.getDouble(column, row);
      case BOOLEAN:
        return c.getBoolean(column, row);
      case DATE:
        return LocalDate.ofEpochDay(c.getEpochDay(column, row));
      case TIMESTAMP:
        return c.getEpochMicros(column, row);
    }
    throw new AssertionError(c.type(column));
  }

  @Test
  void truncatedRowsAreACorruptionErrorNotWrongRows() throws Exception {
    byte[] bytes = CoderUtils.encodeToByteArray(RowBatchCoder.of(), batch(3));
    // Keep the header's declared row count (3) but drop the last 10 bytes of row data and fix the
    // declared length, so only decoding the rows can notice.
    byte[] cut = Arrays.copyOf(bytes, bytes.length - 10);
    int rowsLengthAt = bytes.length - rowsLength(bytes) - 4;
    int newLength = rowsLength(bytes) - 10;
    cut[rowsLengthAt] = (byte) (newLength >>> 24);
    cut[rowsLengthAt + 1] = (byte) (newLength >>> 16);
    cut[rowsLengthAt + 2] = (byte) (newLength >>> 8);
    cut[rowsLengthAt + 3] = (byte) newLength;
    RowBatch lazy = RowBatchCoder.of().decode(new ByteArrayInputStream(cut));
    IllegalStateException e = assertThrows(IllegalStateException.class, lazy::rows);
    assertTrue(e.getMessage().contains("Corrupt RowBatch rows of table S 1/AE LOG"), e::getMessage);
    e = assertThrows(IllegalStateException.class, lazy::columns);
    assertTrue(e.getMessage().contains("Corrupt RowBatch rows of table S 1/AE LOG"), e::getMessage);

    // One byte too many is as corrupt as one too few.
    RowBatch good = batch(3);
    byte[] rows = good.encodedRows();
    RowBatch longer = RowBatch.ofEncoded(SCHEMA, 3, Arrays.copyOf(rows, rows.length + 1));
    e = assertThrows(IllegalStateException.class, longer::columns);
    assertEquals("Corrupt RowBatch rows of table S 1/AE LOG: 1 bytes left over", e.getMessage());
  }

  private static int rowsLength(byte[] encoded) throws Exception {
    RowBatch b = CoderUtils.decodeFromByteArray(RowBatchCoder.of(), encoded);
    return b.encodedRows().length;
  }
}
