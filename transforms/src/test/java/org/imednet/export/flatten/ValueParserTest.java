package org.imednet.export.flatten;

import static org.imednet.export.flatten.ValueParser.UNPARSEABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.time.LocalDate;
import java.time.LocalDateTime;
import org.imednet.export.rows.ColumnType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class ValueParserTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static JsonNode json(String text) {
    try {
      return MAPPER.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Parses the JSON text {@code json} as {@code type}. */
  private static Object parse(String json, ColumnType type) {
    return ValueParser.parse(json(json), type);
  }

  private static Object text(String s, ColumnType type) {
    return ValueParser.parse(com.fasterxml.jackson.databind.node.TextNode.valueOf(s), type);
  }

  @ParameterizedTest
  @EnumSource(ColumnType.class)
  void blankAndNullAreNullInEveryType(ColumnType type) {
    assertNull(parse("\"\"", type));
    assertNull(parse("null", type));
    assertNull(ValueParser.parse(null, type));
    assertNull(ValueParser.parse(MissingNode.getInstance(), type));
  }

  @ParameterizedTest
  @EnumSource(
      value = ColumnType.class,
      names = {"STRING"},
      mode = EnumSource.Mode.EXCLUDE)
  void whitespaceOnlyIsNullInTypedColumns(ColumnType type) {
    assertNull(text("   ", type));
  }

  @Test
  void stringsAreKeptAsIs() {
    assertEquals("  Lakeside  ", text("  Lakeside  ", ColumnType.STRING));
    assertEquals("   ", text("   ", ColumnType.STRING));
    assertEquals("128", parse("\"128\"", ColumnType.STRING));
    assertEquals("128", parse("128", ColumnType.STRING));
    assertEquals("12.5", parse("12.5", ColumnType.STRING));
    assertEquals("true", parse("true", ColumnType.STRING));
    // Checkbox selections are joined with backticks; they stay one text value.
    assertEquals("Headache`Nausea`Other", parse("\"Headache`Nausea`Other\"", ColumnType.STRING));
    assertEquals(
        "[\"a\",[1,2],{\"b\":null}]", parse("[\"a\", [1, 2], {\"b\": null}]", ColumnType.STRING));
    assertEquals("{\"x\":1}", parse("{ \"x\" : 1 }", ColumnType.STRING));
  }

  @Test
  void longs() {
    assertEquals(128L, parse("\"128\"", ColumnType.LONG));
    assertEquals(128L, parse("128", ColumnType.LONG));
    assertEquals(-7L, parse("\"-7\"", ColumnType.LONG));
    assertEquals(7L, parse("\"+7\"", ColumnType.LONG));
    assertEquals(12L, parse("\" 12 \"", ColumnType.LONG));
    assertEquals(12L, parse("\"12.0\"", ColumnType.LONG));
    assertEquals(12L, parse("\"12.\"", ColumnType.LONG));
    assertEquals(12L, parse("12.0", ColumnType.LONG));
    assertEquals(Long.MAX_VALUE, parse("\"9223372036854775807\"", ColumnType.LONG));
    assertEquals(Long.MIN_VALUE, parse("\"-9223372036854775808\"", ColumnType.LONG));
    assertEquals(Long.MIN_VALUE, parse("-9223372036854775808", ColumnType.LONG));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\"12,5\"",
        "\"12.5\"",
        "\"1e3\"",
        "\"abc\"",
        "\"-\"",
        "\"+\"",
        "\".0\"",
        "\"12 3\"",
        "\"0x1F\"",
        "\"9223372036854775808\"",
        "\"-9223372036854775809\"",
        "\"99999999999999999999\"",
        "9223372036854775808",
        "12.5",
        "1e30",
        "true",
        "[1]",
        "{\"v\":1}"
      })
  void longsThatDoNotParse(String json) {
    assertSame(UNPARSEABLE, parse(json, ColumnType.LONG));
  }

  @Test
  void doubles() {
    assertEquals(12.5, parse("\"12.5\"", ColumnType.DOUBLE));
    assertEquals(128.0, parse("\"128\"", ColumnType.DOUBLE));
    assertEquals(-0.5, parse("\"-.5\"", ColumnType.DOUBLE));
    assertEquals(5.0, parse("\"5.\"", ColumnType.DOUBLE));
    assertEquals(1500.0, parse("\"1.5e3\"", ColumnType.DOUBLE));
    assertEquals(0.015, parse("\"+1.5E-2\"", ColumnType.DOUBLE));
    assertEquals(36.6, parse("\" 36.6\\t\"", ColumnType.DOUBLE));
    assertEquals(12.5, parse("12.5", ColumnType.DOUBLE));
    assertEquals(7.0, parse("7", ColumnType.DOUBLE));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\"12,5\"",
        "\"NaN\"",
        "\"Infinity\"",
        "\"-Infinity\"",
        "\"0x1p3\"",
        "\"1.5d\"",
        "\"1.5f\"",
        "\"1e\"",
        "\"1e+\"",
        "\".\"",
        "\"-\"",
        "\"1.2.3\"",
        "\"1e999\"",
        "\"12 kg\"",
        "true",
        "[1.5]",
        "{}"
      })
  void doublesThatDoNotParse(String json) {
    assertSame(UNPARSEABLE, parse(json, ColumnType.DOUBLE));
  }

  @ParameterizedTest
  @ValueSource(strings = {"true", "TRUE", "True", "yes", "YES", "Yes", "y", "Y", "1", " yes "})
  void trueTokens(String s) {
    assertEquals(Boolean.TRUE, text(s, ColumnType.BOOLEAN));
  }

  @ParameterizedTest
  @ValueSource(strings = {"false", "FALSE", "False", "no", "NO", "No", "n", "N", "0"})
  void falseTokens(String s) {
    assertEquals(Boolean.FALSE, text(s, ColumnType.BOOLEAN));
  }

  /**
   * Short decimals are divided by a power of ten instead of going through Double.parseDouble; the
   * result must be the same double, bit for bit, sign of zero included.
   */
  @Test
  void decimalsAreTheDoublesJavaParses() {
    java.util.Random random = new java.util.Random(11);
    for (int n = 0; n < 200_000; n++) {
      StringBuilder s = new StringBuilder();
      int sign = random.nextInt(4);
      s.append(sign == 0 ? "-" : sign == 1 ? "+" : "");
      int whole = random.nextInt(10);
      for (int k = 0; k < whole; k++) {
        s.append((char) ('0' + random.nextInt(10)));
      }
      if (whole == 0 || random.nextBoolean()) {
        s.append('.');
        int fraction = (whole == 0 ? 1 : 0) + random.nextInt(10);
        for (int k = 0; k < fraction; k++) {
          s.append((char) ('0' + random.nextInt(10)));
        }
      }
      String text = s.toString();
      assertEquals(
          Double.doubleToRawLongBits(Double.parseDouble(text)),
          Double.doubleToRawLongBits((Double) ValueParser.parseText(text, ColumnType.DOUBLE)),
          text);
    }
  }

  @Test
  void jsonBooleansAndIntegers() {
    assertEquals(Boolean.TRUE, parse("true", ColumnType.BOOLEAN));
    assertEquals(Boolean.FALSE, parse("false", ColumnType.BOOLEAN));
    assertEquals(Boolean.TRUE, parse("1", ColumnType.BOOLEAN));
    assertEquals(Boolean.FALSE, parse("0", ColumnType.BOOLEAN));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\"2\"",
        "\"t\"",
        "\"f\"",
        "\"on\"",
        "\"yess\"",
        "\"tru\"",
        "2",
        "1.0",
        "[true]",
        "\"yeſ\"",
        "\"ＹＥＳ\""
      })
  void booleansThatDoNotParse(String json) {
    assertSame(UNPARSEABLE, parse(json, ColumnType.BOOLEAN));
  }

  @Test
  void dates() {
    assertEquals(LocalDate.of(2025, 5, 20), text("2025-05-20", ColumnType.DATE));
    assertEquals(LocalDate.of(2024, 2, 29), text("2024-02-29", ColumnType.DATE));
    assertEquals(LocalDate.of(2025, 12, 31), text(" 2025-12-31 ", ColumnType.DATE));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "2025-05",
        "2025",
        "2025-05-UN",
        "UNK-05-2025",
        "2025-5-20",
        "2025/05/20",
        "20-05-2025",
        "2025-02-29",
        "2025-13-01",
        "2025-00-10",
        "2025-04-31",
        "2025-05-20 10:00:00",
        "2025-05-20T10:00",
        "+2025-05-20"
      })
  void datesThatDoNotParse(String s) {
    assertSame(UNPARSEABLE, text(s, ColumnType.DATE));
  }

  @Test
  void numbersAreNotDates() {
    assertSame(UNPARSEABLE, parse("20250520", ColumnType.DATE));
    assertSame(UNPARSEABLE, parse("1747699200", ColumnType.TIMESTAMP));
  }

  @Test
  void timestamps() {
    assertEquals(
        LocalDateTime.of(2025, 5, 20, 14, 3, 11),
        text("2025-05-20 14:03:11", ColumnType.TIMESTAMP));
    assertEquals(
        LocalDateTime.of(2025, 5, 20, 14, 3), text("2025-05-20 14:03", ColumnType.TIMESTAMP));
    assertEquals(
        LocalDateTime.of(2025, 5, 20, 14, 3, 11, 120_000_000),
        text("2025-05-20 14:03:11.12", ColumnType.TIMESTAMP));
    assertEquals(
        LocalDateTime.of(2025, 5, 20, 14, 3, 11, 123_456_789),
        text("2025-05-20T14:03:11.123456789", ColumnType.TIMESTAMP));
    assertEquals(
        LocalDateTime.of(2025, 5, 20, 14, 3, 11),
        text("2025-05-20T14:03:11Z", ColumnType.TIMESTAMP));
    assertEquals(
        LocalDateTime.of(2025, 5, 20, 14, 3), text("2025-05-20T14:03Z", ColumnType.TIMESTAMP));
    assertEquals(
        LocalDateTime.of(2025, 5, 20, 14, 3, 11),
        text("2025-05-20T14:03:11+00:00", ColumnType.TIMESTAMP));
    assertEquals(
        LocalDateTime.of(2025, 5, 20, 12, 3, 11),
        text("2025-05-20T14:03:11+02:00", ColumnType.TIMESTAMP));
    assertEquals(
        LocalDateTime.of(2025, 5, 20, 19, 33, 11, 500_000_000),
        text("2025-05-20 14:03:11.5-05:30", ColumnType.TIMESTAMP));
    assertEquals(
        LocalDateTime.of(2025, 5, 19, 23, 30), text("2025-05-20T01:30+0200", ColumnType.TIMESTAMP));
    assertEquals(
        LocalDateTime.of(2025, 1, 1, 4, 0), text("2024-12-31T23:00-05", ColumnType.TIMESTAMP));
    assertEquals(
        LocalDateTime.of(2025, 5, 20, 14, 3, 11),
        text(" 2025-05-20 14:03:11 ", ColumnType.TIMESTAMP));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "2025-05-20",
        "2025-05-20 14",
        "2025-05-20 14:",
        "2025-05-20 14:3",
        "2025-05-20 24:00",
        "2025-05-20 14:60",
        "2025-05-20 14:03:60",
        "2025-05-20 14:03:1",
        "2025-05-20 14:03:11.",
        "2025-05-20 14:03:11.1234567890",
        "2025-05-20 14:03:11 UTC",
        "2025-05-20 14:03:11Z+01:00",
        "2025-05-20 14:03:11+1",
        "2025-05-20 14:03:11+19:00",
        "2025-05-20 14:03:11+01:60",
        "2025-05-20 14:03:11+01:00:00",
        "2025-05-20_14:03:11",
        "2025-02-30 10:00",
        "2025-05 14:03:11",
        "05/20/2025 14:03"
      })
  void timestampsThatDoNotParse(String s) {
    assertSame(UNPARSEABLE, text(s, ColumnType.TIMESTAMP));
  }

  @Test
  void rawTextIsStringContentOrJson() {
    assertEquals("12,5", ValueParser.rawText(json("\"12,5\"")));
    assertEquals("12.5", ValueParser.rawText(json("12.5")));
    assertEquals("[1,[2]]", ValueParser.rawText(json("[1, [2]]")));
    assertEquals("true", ValueParser.rawText(json("true")));
  }
}
