package org.imednet.export.sinks.staging;

import static org.imednet.export.sinks.staging.TestTables.query;
import static org.imednet.export.sinks.staging.TestTables.sqlString;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.function.LongFunction;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.values.ValuesWriter;
import org.apache.parquet.column.values.factory.DefaultValuesWriterFactory;
import org.apache.parquet.column.values.factory.ValuesWriterFactory;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.TableSchema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Files written with {@link CompactDictionaryValuesWriterFactory} (the default of {@link
 * ParquetBatchFile}) hold exactly what was written, keep dictionaries where values repeat, fall
 * back to PLAIN where they do not, and are byte for byte the files parquet-mr's own value writers
 * make.
 */
class CompactDictionaryValuesWriterFactoryTest {
  /** Codes as a form holds them: empty, one letter, multi-byte UTF-8, several words. */
  private static final String[] CODES = {
    "", "A", "B", "体重", "Ünïcödé ✓", "😀", "a code long enough to take several words"
  };

  private static final String SORTED_ENCODINGS =
      "array_to_string(list_sort(string_split(encodings, ', ')), ' ')";

  @TempDir Path dir;

  @Test
  void lowCardinalityStringsKeepADictionaryAndReadBackExactly() throws Exception {
    TableSchema schema = schema(string("code"), string("label"));
    LongFunction<Object[]> row =
        i ->
            new Object[] {
              i,
              i % 9 == 4 ? null : CODES[(int) (i % CODES.length)],
              i % 5 == 0 ? null : "label " + i % 3
            };
    Path file = writeBothWays(schema, batches(schema, row, 500, 300, 201));

    assertEquals(expectedRows(row, 1001), rowsInFileOrder(file, "code, label"));
    assertEquals(
        List.of(
            "0|record_id|BIT_PACKED PLAIN RLE|false",
            "0|code|BIT_PACKED PLAIN_DICTIONARY RLE|true",
            "0|label|BIT_PACKED PLAIN_DICTIONARY RLE|true"),
        columnChunks(file));
  }

  /**
   * 30,000 distinct values of about 35 bytes: the dictionary passes its 256 KiB after some 7,500
   * values, long before the first page is full (20,000 rows or 1 MiB), so every page is PLAIN and
   * the column chunk has no dictionary page.
   */
  @Test
  void distinctStringsFallBackToPlainWithinTheFirstPage() throws Exception {
    TableSchema schema = schema(string("text"));
    LongFunction<Object[]> row =
        i ->
            new Object[] {
              i, i % 11 == 3 ? null : i % 13 == 0 ? "" : "wert " + i + " ✓ " + scramble(i)
            };
    Path file = writeBothWays(schema, batches(schema, row, repeat(500, 60)));

    assertEquals(expectedRows(row, 30_000), rowsInFileOrder(file, "text"));
    assertEquals(
        List.of("0|record_id|BIT_PACKED PLAIN RLE|false", "0|text|BIT_PACKED PLAIN RLE|false"),
        columnChunks(file));
  }

  /**
   * Seven codes for 30,000 rows, so the first page (20,000 rows) is dictionary-encoded; then
   * distinct values overflow the dictionary within a later page of the same row group, which is
   * written PLAIN, and the dictionary page keeps the entries the first page uses.
   */
  @Test
  void stringsOverflowingTheDictionaryInALaterPageKeepItForEarlierPages() throws Exception {
    TableSchema schema = schema(string("text"));
    LongFunction<Object[]> row =
        i ->
            new Object[] {
              i,
              i % 7 == 0
                  ? null
                  : i < 30_000 ? "code " + CODES[(int) (i % CODES.length)] : "wert " + scramble(i)
            };
    Path file = writeBothWays(schema, batches(schema, row, repeat(500, 120)));

    assertEquals(expectedRows(row, 60_000), rowsInFileOrder(file, "text"));
    assertEquals(
        List.of(
            "0|record_id|BIT_PACKED PLAIN RLE|false",
            "0|text|BIT_PACKED PLAIN PLAIN_DICTIONARY RLE|true"),
        columnChunks(file));
  }

  /**
   * INT64 and INT32 (DATE) columns: few values keep a dictionary; fifty values for 30,000 rows (the
   * first page) and then distinct ones overflow it (256 KiB: 32,768 longs, 65,536 ints) in a later
   * page. Zero, negative and extreme values included.
   */
  @Test
  void integerColumnsKeepOrOverflowTheirDictionaryAndReadBackExactly() throws Exception {
    TableSchema schema =
        schema(
            variable("small", ColumnType.LONG),
            variable("many", ColumnType.LONG),
            variable("visit", ColumnType.DATE),
            variable("born", ColumnType.DATE));
    long[] small = {0, -1, 1, 42, Long.MIN_VALUE, Long.MAX_VALUE};
    LongFunction<Object[]> row =
        i ->
            new Object[] {
              i,
              i % 6 == 5 ? null : small[(int) (i % small.length)],
              (i < 30_000 ? i % 50 - 25 : i) * 0x9E3779B97F4A7C15L,
              i % 4 == 1 ? null : LocalDate.of(1969, 12, 30).plusDays(i % 5),
              LocalDate.of(1800, 1, 1).plusDays(i < 30_000 ? i % 50 : i)
            };
    Path file = writeBothWays(schema, batches(schema, row, repeat(500, 200)));

    assertEquals(expectedRows(row, 100_000), rowsInFileOrder(file, "small, many, visit, born"));
    assertEquals(
        List.of(
            "0|record_id|BIT_PACKED PLAIN RLE|false",
            "0|small|BIT_PACKED PLAIN_DICTIONARY RLE|true",
            "0|many|BIT_PACKED PLAIN PLAIN_DICTIONARY RLE|true",
            "0|visit|BIT_PACKED PLAIN_DICTIONARY RLE|true",
            "0|born|BIT_PACKED PLAIN PLAIN_DICTIONARY RLE|true"),
        columnChunks(file));
  }

  /**
   * Incompressible distinct text fills three 4 MiB row groups; each row group starts a new
   * dictionary for the codes, subject ids and dates, and falls back for the text again.
   */
  @Test
  void everyRowGroupHasItsOwnDictionary() throws Exception {
    TableSchema schema =
        schema(
            string("site"),
            Column.metadata("subject_id", ColumnType.LONG),
            variable("visit", ColumnType.DATE),
            string("text"));
    LongFunction<Object[]> row =
        i ->
            new Object[] {
              i,
              i % 10 == 0 ? null : "Site " + CODES[(int) (i % CODES.length)],
              1_000 + i % 5_000,
              LocalDate.of(2024, 1, 1).plusDays(i % 30),
              i % 9 == 0 ? null : scramble(i) + " " + scramble(i + 1) + " " + scramble(i + 2) + " ✓"
            };
    Path file = writeBothWays(schema, batches(schema, row, repeat(500, 500)));

    assertEquals(
        expectedRows(row, 250_000), rowsInFileOrder(file, "site, subject_id, visit, text"));
    assertEquals(
        List.of(
            "record_id|BIT_PACKED PLAIN RLE|false|3",
            "site|BIT_PACKED PLAIN_DICTIONARY RLE|true|3",
            "subject_id|BIT_PACKED PLAIN_DICTIONARY RLE|true|3",
            "visit|BIT_PACKED PLAIN_DICTIONARY RLE|true|3",
            "text|BIT_PACKED PLAIN RLE|false|3"),
        query(
            "SELECT path_in_schema, "
                + SORTED_ENCODINGS
                + ", dictionary_page_offset IS NOT NULL, count(*) FROM parquet_metadata("
                + sqlString(file)
                + ") GROUP BY ALL ORDER BY min(column_id)"));
  }

  /** A table of every column type, as {@link ParquetBatchFileTest} writes it. */
  @Test
  void columnsWithoutDictionaryAreWrittenAsByParquetMr() throws Exception {
    writeBothWays(
        TestTables.form("S", "F"),
        List.of(TestTables.formBatch("S", "F", 1, 500), TestTables.formBatch("S", "F", 501, 7)));
  }

  enum ValueType {
    BINARY,
    INT32,
    INT64
  }

  /**
   * A column chunk as the values of its pages, and the outline of how it is written: each page's
   * encoding, then whether there is a dictionary page.
   */
  private record Chunk(String outline, long[]... pages) {}

  /** Column chunks that take every path through the fallback, with a dictionary limit of 1 KiB. */
  private static final Chunk KEPT =
      new Chunk(
          "PLAIN_DICTIONARY PLAIN_DICTIONARY PLAIN_DICTIONARY dictionary",
          repeating(300, 20),
          repeating(300, 20),
          repeating(7, 20));

  /** Distinct values overflow the dictionary, which the first two pages keep using. */
  private static final Chunk OVERFLOW_IN_THIRD_PAGE =
      new Chunk(
          "PLAIN_DICTIONARY PLAIN_DICTIONARY PLAIN dictionary",
          repeating(300, 20),
          repeating(300, 20),
          distinct(1_000, 300));

  /** Distinct values within the limit: the dictionary would be as large as the values. */
  private static final Chunk NO_SMALLER =
      new Chunk("PLAIN PLAIN none", distinct(5_000, 40), repeating(300, 20));

  private static final Chunk OVERFLOW_IN_FIRST_PAGE =
      new Chunk("PLAIN PLAIN none", distinct(9_000, 500), repeating(300, 20));

  /**
   * The value writers on their own, driven as a column writer drives them: pages, encodings, sizes
   * and dictionary pages are those of parquet-mr's writers.
   */
  @ParameterizedTest
  @EnumSource(ValueType.class)
  void valuesWriterMatchesParquetMrThroughEveryFallback(ValueType type) {
    for (Chunk chunk : List.of(KEPT, OVERFLOW_IN_THIRD_PAGE, NO_SMALLER, OVERFLOW_IN_FIRST_PAGE)) {
      List<String> compact = transcript(new CompactDictionaryValuesWriterFactory(), type, chunk);
      assertEquals(chunk.outline(), outline(compact));
      assertEquals(transcript(new DefaultValuesWriterFactory(), type, chunk), compact);
    }
  }

  /**
   * A writer reused for column chunk after column chunk, as a column writer may be, writes each as
   * a new writer would, also after a page that fell back to PLAIN (where parquet-mr 1.13.1's own
   * writers fail or carry stale ids into the next chunk).
   */
  @ParameterizedTest
  @EnumSource(ValueType.class)
  void reusedValuesWriterWritesEachColumnChunkAsANewOne(ValueType type) {
    List<String> separately = new ArrayList<>();
    for (Chunk chunk : List.of(OVERFLOW_IN_THIRD_PAGE, KEPT, OVERFLOW_IN_THIRD_PAGE, KEPT)) {
      separately.addAll(transcript(new CompactDictionaryValuesWriterFactory(), type, chunk));
    }
    assertEquals(
        separately,
        transcript(
            new CompactDictionaryValuesWriterFactory(),
            type,
            OVERFLOW_IN_THIRD_PAGE,
            KEPT,
            OVERFLOW_IN_THIRD_PAGE,
            KEPT));
  }

  @Test
  void refusesFormatVersion2() {
    ParquetProperties.Builder v2 =
        ParquetProperties.builder()
            .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_2_0)
            .withValuesWriterFactory(new CompactDictionaryValuesWriterFactory());
    assertThrows(IllegalArgumentException.class, v2::build);
  }

  /**
   * What a column writer takes from one values writer for the given column chunks (each page's
   * sizes, bytes and encoding; each chunk's dictionary page), with a dictionary page limit of 1
   * KiB.
   */
  private static List<String> transcript(
      ValuesWriterFactory factory, ValueType type, Chunk... chunks) {
    ParquetProperties properties =
        ParquetProperties.builder()
            .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0)
            .withDictionaryPageSize(1024)
            .withValuesWriterFactory(factory)
            .build();
    PrimitiveTypeName primitive = PrimitiveTypeName.valueOf(type.name());
    ValuesWriter writer =
        properties.newValuesWriter(
            new ColumnDescriptor(new String[] {"v"}, Types.optional(primitive).named("v"), 0, 1));
    List<String> out = new ArrayList<>();
    for (Chunk chunk : chunks) {
      for (long[] page : chunk.pages()) {
        for (long v : page) {
          switch (type) {
            case BINARY:
              // 3 to 29 bytes, many with long runs in common.
              writer.writeBytes(Binary.fromString("x".repeat((int) (v % 23)) + v + "é"));
              break;
            case INT32:
              writer.writeInteger((int) v * 7919);
              break;
            case INT64:
              writer.writeLong(v * 0x9E3779B97F4A7C15L);
              break;
          }
        }
        out.add(
            "buffered " + writer.getBufferedSize() + ", allocated " + writer.getAllocatedSize());
        // As ColumnWriterV1 does: the bytes first, then the encoding.
        String bytes = Base64.getEncoder().encodeToString(toByteArray(writer));
        out.add("page " + writer.getEncoding() + " " + bytes);
        writer.reset();
      }
      DictionaryPage dictionary = writer.toDictPageAndClose();
      if (dictionary == null) {
        out.add("none");
      } else {
        out.add(
            "dictionary "
                + dictionary.getEncoding()
                + " "
                + dictionary.getDictionarySize()
                + " "
                + Base64.getEncoder().encodeToString(toByteArray(dictionary)));
        // As ColumnWriterBase does: only after a dictionary page.
        writer.resetDictionary();
      }
    }
    writer.close();
    return out;
  }

  /** The encodings of a transcript's pages, then "dictionary" or "none". */
  private static String outline(List<String> transcript) {
    StringBuilder outline = new StringBuilder();
    for (String line : transcript) {
      String[] words = line.split(" ");
      if (!words[0].equals("buffered")) {
        outline
            .append(outline.length() == 0 ? "" : " ")
            .append(words[0].equals("page") ? words[1] : words[0]);
      }
    }
    return outline.toString();
  }

  private static byte[] toByteArray(ValuesWriter writer) {
    try {
      return writer.getBytes().toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] toByteArray(DictionaryPage page) {
    try {
      return page.getBytes().toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code n} values cycling through {@code distinct} of them. */
  private static long[] repeating(int n, int distinct) {
    long[] values = new long[n];
    for (int i = 0; i < n; i++) {
      values[i] = i % distinct;
    }
    return values;
  }

  private static long[] distinct(long first, int n) {
    long[] values = new long[n];
    for (int i = 0; i < n; i++) {
      values[i] = first + i;
    }
    return values;
  }

  /**
   * Writes the batches with {@link ParquetBatchFile} and again with parquet-mr's value writers,
   * asserts the two files are equal byte for byte, and returns the first.
   */
  private Path writeBothWays(TableSchema schema, List<RowBatch> batches) throws Exception {
    Path file = dir.resolve("compact.parquet");
    ParquetBatchFile.write(file, schema, batches);
    Path reference = dir.resolve("parquet-mr.parquet");
    try (ParquetBatchFile out =
        ParquetBatchFile.create(reference, schema, new DefaultValuesWriterFactory())) {
      for (RowBatch batch : batches) {
        out.write(batch);
      }
    }
    assertArrayEquals(Files.readAllBytes(reference), Files.readAllBytes(file));
    return file;
  }

  /** A form table of {@code record_id} (never dictionary-encoded) and the given columns. */
  private static TableSchema schema(Column... columns) {
    List<Column> all = new ArrayList<>();
    all.add(Column.metadata("record_id", ColumnType.LONG));
    all.addAll(Arrays.asList(columns));
    return TableSchema.form("S", "F", 7L, all);
  }

  private static Column string(String name) {
    return variable(name, ColumnType.STRING);
  }

  private static Column variable(String name, ColumnType type) {
    return Column.variable(name, type, name.toUpperCase(Locale.ROOT), "text", null);
  }

  /** Batches of the given sizes, of rows {@code row.apply(0)}, {@code row.apply(1)}, ... */
  private static List<RowBatch> batches(
      TableSchema schema, LongFunction<Object[]> row, int... sizes) {
    List<RowBatch> batches = new ArrayList<>();
    long next = 0;
    for (int size : sizes) {
      List<Object[]> rows = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        rows.add(row.apply(next++));
      }
      batches.add(RowBatch.of(schema, rows));
    }
    return batches;
  }

  private static int[] repeat(int size, int times) {
    int[] sizes = new int[times];
    Arrays.fill(sizes, size);
    return sizes;
  }

  /** The rows as {@link #rowsInFileOrder} reads them: position, then values, {@code |}-joined. */
  private static List<String> expectedRows(LongFunction<Object[]> row, int n) {
    List<String> rows = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      StringBuilder line = new StringBuilder().append(i);
      for (Object value : row.apply(i)) {
        line.append('|').append(value);
      }
      rows.add(line.toString());
    }
    return rows;
  }

  /** Each row's position in the file, its record_id and the given columns, in file order. */
  private static List<String> rowsInFileOrder(Path file, String columns) {
    return query(
        "SELECT file_row_number, record_id, "
            + columns
            + " FROM read_parquet("
            + sqlString(file)
            + ", file_row_number = true) ORDER BY file_row_number");
  }

  /**
   * Row group, column, encodings (sorted: parquet-mr lists them in no fixed order) and whether
   * there is a dictionary page, of each column chunk. The levels are encoded BIT_PACKED and RLE;
   * PLAIN marks PLAIN data pages, PLAIN_DICTIONARY the dictionary page and the pages encoded with
   * it.
   */
  private static List<String> columnChunks(Path file) {
    return query(
        "SELECT row_group_id, path_in_schema, "
            + SORTED_ENCODINGS
            + ", dictionary_page_offset IS NOT NULL FROM parquet_metadata("
            + sqlString(file)
            + ") ORDER BY row_group_id, column_id");
  }

  /** Hex digits that snappy cannot shrink. */
  private static String scramble(long x) {
    return Long.toHexString(x * 0x9E3779B97F4A7C15L);
  }
}
