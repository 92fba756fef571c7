package org.imednet.export.testdata.snowflake;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Conversions between DuckDB JDBC values and the wire encodings of the Snowflake driver: result
 * columns and rowset strings one way, bind values the other.
 */
final class DuckDbValues {
  private static final Pattern DECIMAL = Pattern.compile("DECIMAL\\((\\d+),\\s*(\\d+)\\)");

  private DuckDbValues() {}

  /** Snowflake column for a DuckDB result column; labels are normalised as Snowflake shows them. */
  static Result.Column column(ResultSetMetaData md, int i, boolean upperLabels)
      throws SQLException {
    String label = label(md.getColumnLabel(i), upperLabels);
    String type = md.getColumnTypeName(i).toUpperCase(Locale.ROOT);
    Matcher m = DECIMAL.matcher(type);
    if (m.matches()) {
      return new Result.Column(
          label, "fixed", Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }
    switch (type) {
      case "BOOLEAN":
        return new Result.Column(label, "boolean", 0, 0);
      case "TINYINT":
      case "SMALLINT":
      case "INTEGER":
      case "BIGINT":
      case "HUGEINT":
      case "UTINYINT":
      case "USMALLINT":
      case "UINTEGER":
      case "UBIGINT":
      case "UHUGEINT":
        return new Result.Column(label, "fixed", 38, 0);
      case "FLOAT":
      case "DOUBLE":
        return new Result.Column(label, "real", 0, 0);
      case "DATE":
        return new Result.Column(label, "date", 0, 0);
      case "TIME":
        return new Result.Column(label, "time", 0, 9);
      case "TIMESTAMP":
      case "TIMESTAMP_S":
      case "TIMESTAMP_MS":
      case "TIMESTAMP_NS":
        return new Result.Column(label, "timestamp_ntz", 0, 9);
      case "TIMESTAMP WITH TIME ZONE":
        return new Result.Column(label, "timestamp_ltz", 0, 9);
      case "BLOB":
        return new Result.Column(label, "binary", 0, 0);
      case "JSON":
        return new Result.Column(label, "variant", 0, 0);
      default:
        return new Result.Column(label, "text", 0, 0);
    }
  }

  /**
   * DuckDB names an unaliased expression after its own rendering ({@code count_star()}); Snowflake
   * shows the upper-cased expression ({@code COUNT(*)}).
   */
  private static String label(String label, boolean upper) {
    if (label.equals("count_star()")) {
      return "COUNT(*)";
    }
    if (upper || label.contains("(")) {
      return label.replace("\"", "").toUpperCase(Locale.ROOT);
    }
    return label;
  }

  static void readRows(ResultSet rs, Result result) throws SQLException {
    int n = result.columns.size();
    while (rs.next()) {
      List<String> row = new ArrayList<>(n);
      for (int i = 1; i <= n; i++) {
        row.add(encode(rs, i, result.columns.get(i - 1).type));
      }
      result.rows.add(row);
    }
  }

  private static String encode(ResultSet rs, int i, String type) throws SQLException {
    Object o = rs.getObject(i);
    if (o == null) {
      return null;
    }
    switch (type) {
      case "fixed":
        return o instanceof BigDecimal ? ((BigDecimal) o).toPlainString() : o.toString();
      case "real":
        return Double.toString(((Number) o).doubleValue());
      case "boolean":
        return Boolean.TRUE.equals(o) ? "1" : "0";
      case "date":
        return Long.toString(toLocalDate(o).toEpochDay());
      case "time":
        LocalTime t = o instanceof LocalTime ? (LocalTime) o : LocalTime.parse(o.toString());
        return seconds(t.toNanoOfDay() / 1_000_000_000L, (int) (t.toNanoOfDay() % 1_000_000_000L));
      case "timestamp_ntz":
        LocalDateTime ldt = toLocalDateTime(rs, i, o);
        return seconds(ldt.toEpochSecond(ZoneOffset.UTC), ldt.getNano());
      case "timestamp_ltz":
        Instant instant = rs.getObject(i, OffsetDateTime.class).toInstant();
        return seconds(instant.getEpochSecond(), instant.getNano());
      case "binary":
        return HexFormat.of().withUpperCase().formatHex(rs.getBytes(i));
      default:
        return rs.getString(i);
    }
  }

  private static String seconds(long epochSeconds, int nanos) {
    return epochSeconds + "." + String.format(Locale.ROOT, "%09d", nanos);
  }

  private static LocalDate toLocalDate(Object o) {
    if (o instanceof LocalDate) {
      return (LocalDate) o;
    }
    if (o instanceof java.sql.Date) {
      return ((java.sql.Date) o).toLocalDate();
    }
    return LocalDate.parse(o.toString());
  }

  private static LocalDateTime toLocalDateTime(ResultSet rs, int i, Object o) throws SQLException {
    if (o instanceof LocalDateTime) {
      return (LocalDateTime) o;
    }
    try {
      return rs.getObject(i, LocalDateTime.class);
    } catch (SQLException | RuntimeException e) {
      return ((Timestamp) o).toLocalDateTime();
    }
  }

  /** Java value for a query result read back by tests: dates and timestamps as java.time. */
  static Object plain(ResultSet rs, int i) throws SQLException {
    Object o = rs.getObject(i);
    if (o instanceof Timestamp) {
      return toLocalDateTime(rs, i, o);
    }
    if (o instanceof java.sql.Date) {
      return ((java.sql.Date) o).toLocalDate();
    }
    return o;
  }

  /** Binds one Snowflake wire bind ({@code {"type":..,"value":..}} element) to a DuckDB slot. */
  static void bind(PreparedStatement ps, int slot, String type, JsonNode value)
      throws SQLException {
    if (value == null || value.isNull()) {
      ps.setObject(slot, null);
      return;
    }
    String v = value.asText();
    switch (type == null ? "TEXT" : type) {
      case "FIXED":
        if (v.contains(".") || v.contains("e") || v.contains("E")) {
          ps.setBigDecimal(slot, new BigDecimal(v));
        } else {
          try {
            ps.setLong(slot, Long.parseLong(v));
          } catch (NumberFormatException e) {
            ps.setBigDecimal(slot, new BigDecimal(v));
          }
        }
        break;
      case "REAL":
        ps.setDouble(slot, Double.parseDouble(v));
        break;
      case "BOOLEAN":
        ps.setBoolean(slot, v.equalsIgnoreCase("true") || v.equals("1"));
        break;
      case "DATE":
        ps.setObject(
            slot, Instant.ofEpochMilli(Long.parseLong(v)).atOffset(ZoneOffset.UTC).toLocalDate());
        break;
      case "TIME":
        ps.setObject(slot, LocalTime.ofNanoOfDay(Long.parseLong(v.trim().split(" ")[0])));
        break;
      case "TIMESTAMP_LTZ":
      case "TIMESTAMP_NTZ":
      case "TIMESTAMP_TZ":
      case "TIMESTAMP":
        // The session TIMEZONE is UTC, so an absolute instant and a UTC wall clock coincide.
        long nanos = new BigDecimal(v.trim().split(" ")[0]).longValueExact();
        ps.setObject(
            slot,
            LocalDateTime.ofEpochSecond(
                Math.floorDiv(nanos, 1_000_000_000L),
                (int) Math.floorMod(nanos, 1_000_000_000L),
                ZoneOffset.UTC));
        break;
      case "BINARY":
        ps.setBytes(slot, HexFormat.of().parseHex(v));
        break;
      default:
        ps.setString(slot, v);
    }
  }
}
