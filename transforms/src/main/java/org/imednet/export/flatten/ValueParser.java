package org.imednet.export.flatten;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.Month;
import java.time.Year;
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
 *   <li>BOOLEAN: {@code true/false, yes/no, y/n, 1/0} in any case; JSON booleans; the JSON integers
 *       1 and 0.
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
    int start = 0;
    int end = s.length();
    while (start < end && s.charAt(start) <= ' ') {
      start++;
    }
    while (end > start && s.charAt(end - 1) <= ' ') {
      end--;
    }
    if (start == end) {
      return null;
    }
    switch (type) {
      case LONG:
        return parseLong(s, start, end);
      case DOUBLE:
        return parseDouble(s, start, end);
      case BOOLEAN:
        return parseBoolean(s, start, end);
      case DATE:
        return parseDate(s, start, end);
      case TIMESTAMP:
        return parseTimestamp(s, start, end);
      default:
        throw new IllegalStateException("Unhandled column type " + type);
    }
  }

  /**
   * The text kept in {@code _parse_errors} for a value: a JSON string's content, or the JSON text
   * of anything else.
   */
  public static String rawText(JsonNode node) {
    return node.isTextual() ? node.textValue() : node.toString();
  }

  private static Object parseLong(String s, int start, int end) {
    int i = start;
    boolean negative = false;
    char c = s.charAt(i);
    if (c == '+' || c == '-') {
      negative = c == '-';
      i++;
    }
    int digitsStart = i;
    // Accumulate negatively so that Long.MIN_VALUE parses.
    long v = 0;
    for (; i < end; i++) {
      c = s.charAt(i);
      if (c < '0' || c > '9') {
        break;
      }
      int d = c - '0';
      if (v < LONG_MIN_DIV_10) {
        return UNPARSEABLE;
      }
      v *= 10;
      if (v < Long.MIN_VALUE + d) {
        return UNPARSEABLE;
      }
      v -= d;
    }
    if (i == digitsStart) {
      return UNPARSEABLE;
    }
    if (i < end) {
      if (s.charAt(i) != '.') {
        return UNPARSEABLE;
      }
      for (i++; i < end; i++) {
        if (s.charAt(i) != '0') {
          return UNPARSEABLE;
        }
      }
    }
    if (negative) {
      return v;
    }
    return v == Long.MIN_VALUE ? UNPARSEABLE : (Object) (-v);
  }

  private static Object parseDouble(String s, int start, int end) {
    int i = start;
    char c = s.charAt(i);
    if (c == '+' || c == '-') {
      i++;
    }
    int digits = 0;
    while (i < end && isDigit(s.charAt(i))) {
      i++;
      digits++;
    }
    if (i < end && s.charAt(i) == '.') {
      i++;
      while (i < end && isDigit(s.charAt(i))) {
        i++;
        digits++;
      }
    }
    if (digits == 0) {
      return UNPARSEABLE;
    }
    if (i < end && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
      i++;
      if (i < end && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
        i++;
      }
      int expDigits = 0;
      while (i < end && isDigit(s.charAt(i))) {
        i++;
        expDigits++;
      }
      if (expDigits == 0) {
        return UNPARSEABLE;
      }
    }
    if (i != end) {
      return UNPARSEABLE;
    }
    // The literal was validated above, so parseDouble cannot throw.
    double d = Double.parseDouble(start == 0 && end == s.length() ? s : s.substring(start, end));
    return Double.isFinite(d) ? (Object) d : UNPARSEABLE;
  }

  private static Object parseBoolean(String s, int start, int end) {
    int len = end - start;
    switch (len) {
      case 1:
        char c = s.charAt(start);
        if (c == '1' || c == 'y' || c == 'Y') {
          return Boolean.TRUE;
        }
        if (c == '0' || c == 'n' || c == 'N') {
          return Boolean.FALSE;
        }
        return UNPARSEABLE;
      case 2:
        return s.regionMatches(true, start, "no", 0, 2) ? Boolean.FALSE : UNPARSEABLE;
      case 3:
        return s.regionMatches(true, start, "yes", 0, 3) ? Boolean.TRUE : UNPARSEABLE;
      case 4:
        return s.regionMatches(true, start, "true", 0, 4) ? Boolean.TRUE : UNPARSEABLE;
      case 5:
        return s.regionMatches(true, start, "false", 0, 5) ? Boolean.FALSE : UNPARSEABLE;
      default:
        return UNPARSEABLE;
    }
  }

  private static Object parseDate(String s, int start, int end) {
    if (end - start != 10) {
      return UNPARSEABLE;
    }
    long epochDayOrFail = dateParts(s, start);
    if (epochDayOrFail < 0) {
      return UNPARSEABLE;
    }
    return LocalDate.of(year(epochDayOrFail), month(epochDayOrFail), day(epochDayOrFail));
  }

  private static Object parseTimestamp(String s, int start, int end) {
    // YYYY-MM-DD?HH:MM is the shortest form.
    if (end - start < 16) {
      return UNPARSEABLE;
    }
    long date = dateParts(s, start);
    if (date < 0) {
      return UNPARSEABLE;
    }
    int i = start + 10;
    char sep = s.charAt(i);
    if (sep != ' ' && sep != 'T' && sep != 't') {
      return UNPARSEABLE;
    }
    i++;
    int hour = twoDigits(s, i);
    if (hour < 0 || hour > 23 || s.charAt(i + 2) != ':') {
      return UNPARSEABLE;
    }
    int minute = twoDigits(s, i + 3);
    if (minute < 0 || minute > 59) {
      return UNPARSEABLE;
    }
    i += 5;
    int second = 0;
    int nanos = 0;
    if (i < end && s.charAt(i) == ':') {
      if (i + 3 > end) {
        return UNPARSEABLE;
      }
      second = twoDigits(s, i + 1);
      if (second < 0 || second > 59) {
        return UNPARSEABLE;
      }
      i += 3;
      if (i < end && s.charAt(i) == '.') {
        i++;
        int fractionDigits = 0;
        while (i < end && isDigit(s.charAt(i))) {
          if (fractionDigits == 9) {
            return UNPARSEABLE;
          }
          nanos = nanos * 10 + (s.charAt(i) - '0');
          fractionDigits++;
          i++;
        }
        if (fractionDigits == 0) {
          return UNPARSEABLE;
        }
        for (int k = fractionDigits; k < 9; k++) {
          nanos *= 10;
        }
      }
    }
    int offsetSeconds = 0;
    if (i < end) {
      char z = s.charAt(i);
      if ((z == 'Z' || z == 'z') && i + 1 == end) {
        i++;
      } else if (z == '+' || z == '-') {
        int offsetHours = twoDigits(s, i + 1);
        int offsetMinutes = 0;
        int next = i + 3;
        if (next < end) {
          if (s.charAt(next) == ':') {
            next++;
          }
          offsetMinutes = twoDigits(s, next);
          next += 2;
        }
        if (offsetHours < 0 || offsetHours > 18 || offsetMinutes < 0 || offsetMinutes > 59) {
          return UNPARSEABLE;
        }
        if (next != end) {
          return UNPARSEABLE;
        }
        offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (z == '-' ? -1 : 1);
        i = end;
      } else {
        return UNPARSEABLE;
      }
    }
    if (i != end) {
      return UNPARSEABLE;
    }
    LocalDateTime t =
        LocalDateTime.of(year(date), month(date), day(date), hour, minute, second, nanos);
    return offsetSeconds == 0 ? t : t.minusSeconds(offsetSeconds);
  }

  /**
   * Validates {@code YYYY-MM-DD} at {@code start} and packs it as {@code year*10000 + month*100 +
   * day}, or returns -1.
   */
  private static long dateParts(String s, int start) {
    if (start + 10 > s.length() || s.charAt(start + 4) != '-' || s.charAt(start + 7) != '-') {
      return -1;
    }
    int hi = twoDigits(s, start);
    int lo = twoDigits(s, start + 2);
    int month = twoDigits(s, start + 5);
    int day = twoDigits(s, start + 8);
    if (hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1) {
      return -1;
    }
    int year = hi * 100 + lo;
    if (day > Month.of(month).length(Year.isLeap(year))) {
      return -1;
    }
    return year * 10000L + month * 100L + day;
  }

  private static int year(long packed) {
    return (int) (packed / 10000);
  }

  private static int month(long packed) {
    return (int) (packed / 100 % 100);
  }

  private static int day(long packed) {
    return (int) (packed % 100);
  }

  /** The two-digit number at {@code i}, or -1. */
  private static int twoDigits(String s, int i) {
    if (i + 2 > s.length()) {
      return -1;
    }
    char a = s.charAt(i);
    char b = s.charAt(i + 1);
    if (!isDigit(a) || !isDigit(b)) {
      return -1;
    }
    return (a - '0') * 10 + (b - '0');
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
