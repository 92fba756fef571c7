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
  private static final Pattern NUMBER =
      Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

  private Values() {}

  static BigDecimal parseNumber(String s) {
    if (s == null || s.isEmpty() || s.length() > 64 || !NUMBER.matcher(s).matches()) {
      return null;
    }
    try {
      return new BigDecimal(s);
    } catch (NumberFormatException e) {
      return null;
    }
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
