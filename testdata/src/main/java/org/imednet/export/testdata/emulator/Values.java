package org.imednet.export.testdata.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/** Value parsing and ordering shared by filters and sorts. */
final class Values {
  private static final Pattern TIMESTAMP =
      Pattern.compile(
          "\\d{4}-\\d{2}-\\d{2}([ T]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?)?(Z|[+-]\\d{2}:\\d{2})?");

  private Values() {}

  /** The decimal number {@code s} is, or null; see {@link #isNumber}. */
  static BigDecimal parseNumber(String s) {
    if (s == null || s.isEmpty() || s.length() > 64 || !isNumber(s)) {
      return null;
    }
    try {
      return new BigDecimal(s);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * Whether {@code s} matches {@code [+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?} (ASCII digits). Scanned
   * by hand: every filter term is checked, and that regular expression's matcher was the largest
   * method the JIT compiled for the emulator serving the benchmark.
   */
  static boolean isNumber(String s) {
    int n = s.length();
    int i = sign(s, 0);
    int integer = digits(s, i);
    boolean hasInteger = integer > i;
    i = integer;
    if (i < n && s.charAt(i) == '.') {
      int fraction = digits(s, i + 1);
      if (!hasInteger && fraction == i + 1) {
        return false;
      }
      i = fraction;
    } else if (!hasInteger) {
      return false;
    }
    if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
      int exponent = sign(s, i + 1);
      i = digits(s, exponent);
      if (i == exponent) {
        return false;
      }
    }
    return i == n;
  }

  /** The index after an optional sign at {@code i}. */
  private static int sign(String s, int i) {
    return i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-') ? i + 1 : i;
  }

  /** The index after the ASCII digits from {@code i}. */
  private static int digits(String s, int i) {
    while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
      i++;
    }
    return i;
  }

  /** Microseconds since the epoch (UTC) of a date or timestamp string, or null. */
  static Long parseTimestampMicros(String s) {
    if (s == null || s.length() < 10 || !TIMESTAMP.matcher(s).matches()) {
      return null;
    }
    try {
      if (s.length() == 10) {
        return LocalDate.parse(s).toEpochDay() * 86_400_000_000L;
      }
      String iso = s.replace(' ', 'T');
      if (iso.endsWith("Z") || iso.lastIndexOf('+') > 10 || iso.lastIndexOf('-') > 10) {
        OffsetDateTime t = OffsetDateTime.parse(iso);
        return t.toEpochSecond() * 1_000_000L + t.getNano() / 1000;
      }
      LocalDateTime t = LocalDateTime.parse(iso);
      return t.toEpochSecond(ZoneOffset.UTC) * 1_000_000L + t.getNano() / 1000;
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** Orders item attributes for {@code sort}: nulls and missing last, numbers, then text. */
  static int compareNodes(JsonNode a, JsonNode b) {
    boolean an = a == null || a.isNull() || a.isMissingNode();
    boolean bn = b == null || b.isNull() || b.isMissingNode();
    if (an || bn) {
      return an == bn ? 0 : an ? 1 : -1;
    }
    if (a.isNumber() && b.isNumber()) {
      return a.isIntegralNumber() && b.isIntegralNumber()
          ? Long.compare(a.longValue(), b.longValue())
          : a.decimalValue().compareTo(b.decimalValue());
    }
    if (a.isBoolean() && b.isBoolean()) {
      return Boolean.compare(a.booleanValue(), b.booleanValue());
    }
    return a.asText().compareTo(b.asText());
  }
}
