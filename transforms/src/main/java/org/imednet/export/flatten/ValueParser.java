package org.imednet.export.flatten;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.Month;
import java.time.Year;
import java.time.ZoneOffset;
import javax.annotation.Nullable;
import org.imednet.export.rows.ColumnType;

/**
 * Parses one JSON value from the API into the Java value of a {@link ColumnType}. It runs for every
 * value of every record, so it scans characters by hand: no regular expressions, and no exception
 * is thrown or caught for any input. A value that does not parse is reported by returning {@link
 * #UNPARSEABLE}; the caller keeps its {@link #rawText raw text}.
 *
 * <p>Rules, in every type: JSON null, a missing value and {@code ""} are null. For every type but
 * STRING, leading and trailing whitespace is ignored and a blank string is null.
 *
 * <ul>
 *   <li>STRING: a JSON string as is; a number or boolean as its JSON text ({@code 12.5}, {@code
 *       true}); an array or object as its compact JSON text. Never unparseable.
 *   <li>LONG: optional sign and decimal digits, optionally followed by {@code .} and zeros only
 *       ({@code "12.0"} is 12); JSON integers; JSON floating-point numbers without a fraction.
 *       Anything else ({@code "12,5"}, {@code "1e3"}, overflow, booleans) does not parse.
 *   <li>DOUBLE: a decimal floating-point literal: optional sign, digits with an optional fraction,
 *       optional exponent ({@code "-1.5e3"}, {@code ".5"}, {@code "5."}); JSON numbers. No hex, no
 *       {@code NaN}/{@code Infinity}, no {@code d}/{@code f} suffix, no decimal comma; a value that
 *       overflows to infinity does not parse.
 *   <li>BOOLEAN: {@code true/false, yes/no, y/n, 1/0} in any ASCII case (ASCII letters only: {@code
 *       "yeſ"} does not parse); JSON booleans; the JSON integers 1 and 0.
 *   <li>DATE: exactly {@code YYYY-MM-DD} with a valid calendar date. Partial dates ({@code
 *       "2025-05"}, {@code "UNK-05-2025"}) and date-times do not parse.
 *   <li>TIMESTAMP: {@code YYYY-MM-DD}, a space or {@code T}, {@code HH:MM}, optionally {@code :SS}
 *       and a fraction of 1–9 digits, optionally {@code Z} or an offset {@code ±HH:MM}, {@code
 *       ±HHMM} or {@code ±HH}. The result is the UTC wall clock: an offset is subtracted, a value
 *       without zone is taken as UTC. A date alone does not parse.
 * </ul>
 *
 * <p>For LONG, DOUBLE, BOOLEAN, DATE and TIMESTAMP, arrays and objects never parse.
 */
public final class ValueParser {

  /** Returned for a value that does not parse as the requested type. Compare by identity. */
  public static final Object UNPARSEABLE =
      new Object() {
        @Override
        public String toString() {
          return "UNPARSEABLE";
        }
      };

  private static final long LONG_MIN_DIV_10 = Long.MIN_VALUE / 10;

  private ValueParser() {}

  /**
   * The value of {@code node} as {@code type}: null, an instance of the type's Java class, or
   * {@link #UNPARSEABLE}.
   */
  public static @Nullable Object parse(@Nullable JsonNode node, ColumnType type) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return null;
    }
    if (node.isTextual()) {
      String s = node.textValue();
      if (s.isEmpty()) {
        return null;
      }
      return parseText(s, type);
    }
    switch (type) {
      case STRING:
        return node.isValueNode() ? node.asText() : node.toString();
      case LONG:
        if (node.isIntegralNumber()) {
          return node.canConvertToLong() ? (Object) node.longValue() : UNPARSEABLE;
        }
        if (node.isFloatingPointNumber()) {
          double d = node.doubleValue();
          if (d == Math.rint(d) && node.canConvertToLong()) {
            return (long) d;
          }
        }
        return UNPARSEABLE;
      case DOUBLE:
        if (node.isNumber()) {
          double d = node.doubleValue();
          return Double.isFinite(d) ? (Object) d : UNPARSEABLE;
        }
        return UNPARSEABLE;
      case BOOLEAN:
        if (node.isBoolean()) {
          return node.booleanValue();
        }
        if (node.isIntegralNumber() && node.canConvertToInt()) {
          int i = node.intValue();
          if (i == 1) {
            return Boolean.TRUE;
          }
          if (i == 0) {
            return Boolean.FALSE;
          }
        }
        return UNPARSEABLE;
      case DATE:
      case TIMESTAMP:
      default:
        return UNPARSEABLE;
    }
  }

  /** Parses text (never empty) as {@code type}. */
  public static @Nullable Object parseText(String s, ColumnType type) {
    if (type == ColumnType.STRING) {
      return s;
    }
    // Every type's grammar is ASCII: a character beyond Latin-1 (which becomes '?') or within it
    // but beyond ASCII (a byte >= 0x80) fails wherever it stands, as the character itself would.
    byte[] text = s.getBytes(StandardCharsets.ISO_8859_1);
    Parsed value = new Parsed();
    switch (parse(text, 0, text.length, type, value)) {
      case BLANK:
        return null;
      case FAILED:
        return UNPARSEABLE;
      default:
        return value.toObject(type);
    }
  }

  /** {@link #parse(byte[], int, int, ColumnType, Parsed)}: the text is blank (a null value). */
  static final int BLANK = 0;

  /** {@link #parse(byte[], int, int, ColumnType, Parsed)}: the value is in the {@link Parsed}. */
  static final int PARSED = 1;

  /** {@link #parse(byte[], int, int, ColumnType, Parsed)}: the text does not parse. */
  static final int FAILED = 2;

  /**
   * A parsed value, unboxed: LONG the value, DOUBLE its bits, BOOLEAN 1 or 0, DATE days since
   * 1970-01-01, TIMESTAMP seconds since 1970-01-01T00:00 UTC and {@link #nanos}.
   */
  static final class Parsed {
    long bits;
    int nanos;

    Object toObject(ColumnType type) {
      switch (type) {
        case LONG:
          return bits;
        case DOUBLE:
          return Double.longBitsToDouble(bits);
        case BOOLEAN:
          return bits != 0;
        case DATE:
          return LocalDate.ofEpochDay(bits);
        case TIMESTAMP:
          return LocalDateTime.ofEpochSecond(bits, nanos, ZoneOffset.UTC);
        default:
          throw new IllegalStateException("Unhandled column type " + type);
      }
    }
  }

  /**
   * Parses the text {@code b[start, end)} (not empty) as {@code type} (not STRING) by the rules of
   * the class comment, one byte per character: {@link #BLANK}, {@link #FAILED}, or {@link #PARSED}
   * with the value in {@code out}. A byte of UTF-8 beyond ASCII fails wherever it stands, as its
   * character would. Nothing is allocated.
   */
  static int parse(byte[] b, int start, int end, ColumnType type, Parsed out) {
    while (start < end && (b[start] & 0xFF) <= ' ') {
      start++;
    }
    while (end > start && (b[end - 1] & 0xFF) <= ' ') {
      end--;
    }
    if (start == end) {
      return BLANK;
    }
    boolean parsed;
    switch (type) {
      case LONG:
        parsed = parseLong(b, start, end, out);
        break;
      case DOUBLE:
        parsed = parseDouble(b, start, end, out);
        break;
      case BOOLEAN:
        parsed = parseBoolean(b, start, end, out);
        break;
      case DATE:
        parsed = parseDate(b, start, end, out);
        break;
      case TIMESTAMP:
        parsed = parseTimestamp(b, start, end, out);
        break;
      default:
        throw new IllegalStateException("Unhandled column type " + type);
    }
    return parsed ? PARSED : FAILED;
  }

  /**
   * The text kept in {@code _parse_errors} for a value: a JSON string's content, or the JSON text
   * of anything else.
   */
  public static String rawText(JsonNode node) {
    return node.isTextual() ? node.textValue() : node.toString();
  }

  private static boolean parseLong(byte[] b, int start, int end, Parsed out) {
    int i = start;
    boolean negative = false;
    int c = b[i];
    if (c == '+' || c == '-') {
      negative = c == '-';
      i++;
    }
    int digitsStart = i;
    // Accumulate negatively so that Long.MIN_VALUE parses.
    long v = 0;
    for (; i < end; i++) {
      int d = b[i] - '0';
      if (d < 0 || d > 9) {
        break;
      }
      if (v < LONG_MIN_DIV_10) {
        return false;
      }
      v *= 10;
      if (v < Long.MIN_VALUE + d) {
        return false;
      }
      v -= d;
    }
    if (i == digitsStart) {
      return false;
    }
    if (i < end) {
      if (b[i] != '.') {
        return false;
      }
      for (i++; i < end; i++) {
        if (b[i] != '0') {
          return false;
        }
      }
    }
    if (!negative) {
      if (v == Long.MIN_VALUE) {
        return false;
      }
      v = -v;
    }
    out.bits = v;
    return true;
  }

  /** Powers of ten that are exact doubles. */
  private static final double[] EXACT_POWERS_OF_TEN = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22
  };

  /** Digits below 2^53 are an exact double. */
  private static final long EXACT_DOUBLE_DIGITS = 1L << 53;

  private static boolean parseDouble(byte[] b, int start, int end, Parsed out) {
    int i = start;
    int c = b[i];
    boolean negative = c == '-';
    if (c == '+' || c == '-') {
      i++;
    }
    int digits = 0;
    int fractionDigits = 0;
    // The digits as a number while it is exact (at most 15 digits: below 2^53).
    long mantissa = 0;
    while (i < end && isDigit(b[i])) {
      mantissa = mantissa * 10 + (b[i] - '0');
      i++;
      digits++;
    }
    if (i < end && b[i] == '.') {
      i++;
      while (i < end && isDigit(b[i])) {
        mantissa = mantissa * 10 + (b[i] - '0');
        i++;
        digits++;
        fractionDigits++;
      }
    }
    if (digits == 0) {
      return false;
    }
    boolean exponent = false;
    if (i < end && (b[i] == 'e' || b[i] == 'E')) {
      exponent = true;
      i++;
      if (i < end && (b[i] == '+' || b[i] == '-')) {
        i++;
      }
      int expDigits = 0;
      while (i < end && isDigit(b[i])) {
        i++;
        expDigits++;
      }
      if (expDigits == 0) {
        return false;
      }
    }
    if (i != end) {
      return false;
    }
    double d;
    if (!exponent && digits <= 15 && mantissa < EXACT_DOUBLE_DIGITS) {
      // Both operands are exact and IEEE division rounds correctly: the double nearest to the
      // decimal, which is what Double.parseDouble returns (Clinger's fast path).
      d = mantissa / EXACT_POWERS_OF_TEN[fractionDigits];
      d = negative ? -d : d;
    } else {
      // The literal was validated above, so parseDouble cannot throw.
      d = Double.parseDouble(new String(b, start, end - start, StandardCharsets.ISO_8859_1));
    }
    if (!Double.isFinite(d)) {
      return false;
    }
    out.bits = Double.doubleToRawLongBits(d);
    return true;
  }

  private static boolean parseBoolean(byte[] b, int start, int end, Parsed out) {
    int value;
    switch (end - start) {
      case 1:
        int c = b[start];
        value = c == '1' || c == 'y' || c == 'Y' ? 1 : c == '0' || c == 'n' || c == 'N' ? 0 : -1;
        break;
      case 2:
        value = matches(b, start, "no") ? 0 : -1;
        break;
      case 3:
        value = matches(b, start, "yes") ? 1 : -1;
        break;
      case 4:
        value = matches(b, start, "true") ? 1 : -1;
        break;
      case 5:
        value = matches(b, start, "false") ? 0 : -1;
        break;
      default:
        value = -1;
    }
    out.bits = value;
    return value >= 0;
  }

  /** Whether the bytes at {@code start} are the lower-case ASCII {@code word}, in any case. */
  private static boolean matches(byte[] b, int start, String word) {
    for (int k = 0; k < word.length(); k++) {
      int c = b[start + k];
      if (c >= 'A' && c <= 'Z') {
        c += 'a' - 'A';
      }
      if (c != word.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  private static boolean parseDate(byte[] b, int start, int end, Parsed out) {
    if (end - start != 10) {
      return false;
    }
    long epochDay = epochDay(b, start, end);
    if (epochDay == NO_DATE) {
      return false;
    }
    out.bits = epochDay;
    return true;
  }

  private static boolean parseTimestamp(byte[] b, int start, int end, Parsed out) {
    // YYYY-MM-DD?HH:MM is the shortest form.
    if (end - start < 16) {
      return false;
    }
    long epochDay = epochDay(b, start, end);
    if (epochDay == NO_DATE) {
      return false;
    }
    int i = start + 10;
    int sep = b[i];
    if (sep != ' ' && sep != 'T' && sep != 't') {
      return false;
    }
    i++;
    int hour = twoDigits(b, i, end);
    if (hour < 0 || hour > 23 || b[i + 2] != ':') {
      return false;
    }
    int minute = twoDigits(b, i + 3, end);
    if (minute < 0 || minute > 59) {
      return false;
    }
    i += 5;
    int second = 0;
    int nanos = 0;
    if (i < end && b[i] == ':') {
      if (i + 3 > end) {
        return false;
      }
      second = twoDigits(b, i + 1, end);
      if (second < 0 || second > 59) {
        return false;
      }
      i += 3;
      if (i < end && b[i] == '.') {
        i++;
        int fractionDigits = 0;
        while (i < end && isDigit(b[i])) {
          if (fractionDigits == 9) {
            return false;
          }
          nanos = nanos * 10 + (b[i] - '0');
          fractionDigits++;
          i++;
        }
        if (fractionDigits == 0) {
          return false;
        }
        for (int k = fractionDigits; k < 9; k++) {
          nanos *= 10;
        }
      }
    }
    int offsetSeconds = 0;
    if (i < end) {
      int z = b[i];
      if ((z == 'Z' || z == 'z') && i + 1 == end) {
        i++;
      } else if (z == '+' || z == '-') {
        int offsetHours = twoDigits(b, i + 1, end);
        int offsetMinutes = 0;
        int next = i + 3;
        if (next < end) {
          if (b[next] == ':') {
            next++;
          }
          offsetMinutes = twoDigits(b, next, end);
          next += 2;
        }
        if (offsetHours < 0 || offsetHours > 18 || offsetMinutes < 0 || offsetMinutes > 59) {
          return false;
        }
        if (next != end) {
          return false;
        }
        offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (z == '-' ? -1 : 1);
        i = end;
      } else {
        return false;
      }
    }
    if (i != end) {
      return false;
    }
    // The UTC wall clock: the offset subtracted.
    out.bits = epochDay * 86_400L + hour * 3600 + minute * 60 + second - offsetSeconds;
    out.nanos = nanos;
    return true;
  }

  /** What {@link #epochDay} returns for text that is no date. */
  private static final long NO_DATE = Long.MIN_VALUE;

  /** The day of a valid {@code YYYY-MM-DD} at {@code start} as days since 1970-01-01. */
  private static long epochDay(byte[] b, int start, int end) {
    if (start + 10 > end || b[start + 4] != '-' || b[start + 7] != '-') {
      return NO_DATE;
    }
    int hi = twoDigits(b, start, end);
    int lo = twoDigits(b, start + 2, end);
    int month = twoDigits(b, start + 5, end);
    int day = twoDigits(b, start + 8, end);
    if (hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1) {
      return NO_DATE;
    }
    int year = hi * 100 + lo;
    if (day > Month.of(month).length(Year.isLeap(year))) {
      return NO_DATE;
    }
    return epochDay(year, month, day);
  }

  /** Days from 0000-01-01 to 1970-01-01 in the proleptic Gregorian calendar. */
  private static final long DAYS_0000_TO_1970 = 719_528L;

  /**
   * Days since 1970-01-01 of a valid date of a year from 0 to 9999, by the arithmetic of {@link
   * LocalDate#toEpochDay} without making a LocalDate.
   */
  private static long epochDay(int year, int month, int day) {
    long days = 365L * year + (year + 3) / 4 - (year + 99) / 100 + (year + 399) / 400;
    days += (367 * month - 362) / 12 + day - 1;
    if (month > 2) {
      days -= Year.isLeap(year) ? 1 : 2;
    }
    return days - DAYS_0000_TO_1970;
  }

  /** The two-digit number at {@code i} (before {@code end}), or -1. */
  private static int twoDigits(byte[] b, int i, int end) {
    if (i + 2 > end) {
      return -1;
    }
    int x = b[i];
    int y = b[i + 1];
    if (!isDigit(x) || !isDigit(y)) {
      return -1;
    }
    return (x - '0') * 10 + (y - '0');
  }

  private static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }
}
