package org.imednet.export.flatten;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import javax.annotation.Nullable;
import org.imednet.export.rows.ColumnType;

/**
 * Maps an iMednet {@code variableType} to the {@link ColumnType} of its column. Types are compared
 * trimmed and case-insensitively because the API and its tools spell them inconsistently ({@code
 * RADIO}, {@code Text}, {@code integer}).
 *
 * <table>
 *   <tr><th>variableType</th><th>column type</th></tr>
 *   <tr><td>integer, int</td><td>LONG</td></tr>
 *   <tr><td>number, float, decimal, numeric, double</td><td>DOUBLE</td></tr>
 *   <tr><td>boolean, bool, yes/no</td><td>BOOLEAN</td></tr>
 *   <tr><td>date</td><td>DATE</td></tr>
 *   <tr><td>datetime, date/time precision, timestamp</td><td>TIMESTAMP</td></tr>
 *   <tr><td>text, string, textarea, memo, radio, dropdown, coded, checkbox, signature, file,
 *       upload, time</td><td>STRING</td></tr>
 *   <tr><td>anything else, or null</td><td>STRING, and {@link #isKnown} is false</td></tr>
 * </table>
 */
public final class VariableTypes {
  private static final Map<String, ColumnType> TYPES = new HashMap<>();

  static {
    put(ColumnType.LONG, "integer", "int");
    put(ColumnType.DOUBLE, "number", "float", "decimal", "numeric", "double");
    put(ColumnType.BOOLEAN, "boolean", "bool", "yes/no");
    put(ColumnType.DATE, "date");
    put(ColumnType.TIMESTAMP, "datetime", "date/time precision", "timestamp");
    put(
        ColumnType.STRING,
        "text",
        "string",
        "textarea",
        "memo",
        "radio",
        "dropdown",
        "coded",
        "checkbox",
        "signature",
        "file",
        "upload",
        "time");
  }

  private VariableTypes() {}

  private static void put(ColumnType type, String... names) {
    for (String name : names) {
      TYPES.put(name, type);
    }
  }

  private static @Nullable ColumnType lookup(@Nullable String variableType) {
    if (variableType == null) {
      return null;
    }
    return TYPES.get(variableType.trim().toLowerCase(Locale.ROOT));
  }

  /** The column type for a variable type; {@link ColumnType#STRING} for an unknown or null type. */
  public static ColumnType columnType(@Nullable String variableType) {
    ColumnType type = lookup(variableType);
    return type == null ? ColumnType.STRING : type;
  }

  /** Whether the variable type is in the documented mapping (null is not). */
  public static boolean isKnown(@Nullable String variableType) {
    return lookup(variableType) != null;
  }
}
