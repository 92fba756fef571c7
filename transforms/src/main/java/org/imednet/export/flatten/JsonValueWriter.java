package org.imednet.export.flatten;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import javax.annotation.Nullable;
import org.imednet.export.model.RecordJson;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.RowBatch;

/**
 * Writes one JSON value, a token of an API response's bytes found by {@link RecordBytes}, into the
 * next column of a row, typed exactly as {@link ValueParser#parse(JsonNode, ColumnType)} types the
 * token's Jackson node: strings are copied as UTF-8, and numbers, booleans, dates and timestamps
 * parsed from the bytes, without a {@code String} or a boxed value. A token that is not such plain
 * text (a string with escapes, a decimal or big JSON number, an object or array) is typed from its
 * Jackson node.
 *
 * <p>Not thread-safe: one per thread.
 */
public final class JsonValueWriter {
  /** {@link #write}: the value is written. */
  public static final int WRITTEN = 0;

  /** {@link #write}: the value is null (JSON null, {@code ""} or blank); nothing is written. */
  public static final int NULL = 1;

  /** {@link #write}: the value does not parse; nothing is written, {@link #raw} has its text. */
  public static final int UNPARSEABLE = 2;

  private static final byte[] TRUE = "true".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] FALSE = "false".getBytes(StandardCharsets.US_ASCII);

  private final ValueParser.Parsed parsed = new ValueParser.Parsed();
  private @Nullable String raw;

  /**
   * Writes the token {@code b[start, |end|)} ({@code end} negated for a string with an escape, as
   * {@link RecordBytes#end} gives it) as {@code type} into {@code rows}: {@link #WRITTEN}, or
   * {@link #NULL} or {@link #UNPARSEABLE} with nothing written.
   */
  public int write(byte[] b, int start, int end, ColumnType type, RowBatch.Builder rows) {
    switch (b[start]) {
      case '"':
        if (end < 0) {
          return writeNode(b, start, -end, type, rows); // escapes: Jackson decodes them
        }
        int from = start + 1;
        int to = end - 1;
        if (from == to) {
          return NULL;
        }
        if (type == ColumnType.STRING) {
          rows.putString(b, from, to - from);
          return WRITTEN;
        }
        switch (ValueParser.parse(b, from, to, type, parsed)) {
          case ValueParser.BLANK:
            return NULL;
          case ValueParser.FAILED:
            return unparseable(new String(b, from, to - from, StandardCharsets.UTF_8));
          default:
            writeParsed(type, rows);
            return WRITTEN;
        }
      case 't':
      case 'f':
        boolean value = b[start] == 't';
        if (type == ColumnType.BOOLEAN) {
          rows.putBoolean(value);
        } else if (type == ColumnType.STRING) {
          byte[] text = value ? TRUE : FALSE;
          rows.putString(text, 0, text.length);
        } else {
          return unparseable(value ? "true" : "false");
        }
        return WRITTEN;
      case 'n':
        return NULL;
      case '{':
      case '[':
        return writeNode(b, start, end, type, rows);
      default:
        long v = RecordBytes.plainInteger(b, start, end);
        if (v == RecordBytes.NOT_PLAIN) {
          return writeNode(b, start, end, type, rows); // decimals and big integers: Jackson's
        }
        switch (type) {
          case LONG:
            rows.putLong(v);
            return WRITTEN;
          case DOUBLE:
            rows.putDouble((double) v);
            return WRITTEN;
          case STRING:
            rows.putString(b, start, end - start);
            return WRITTEN;
          case BOOLEAN:
            if (v == 0 || v == 1) {
              rows.putBoolean(v == 1);
              return WRITTEN;
            }
            return unparseable(Long.toString(v));
          default:
            return unparseable(Long.toString(v));
        }
    }
  }

  /** The raw text of the value {@link #write} last found {@link #UNPARSEABLE}. */
  public String raw() {
    if (raw == null) {
      throw new IllegalStateException("No value was unparseable");
    }
    return raw;
  }

  private int unparseable(String text) {
    raw = text;
    return UNPARSEABLE;
  }

  private void writeParsed(ColumnType type, RowBatch.Builder rows) {
    switch (type) {
      case LONG:
        rows.putLong(parsed.bits);
        return;
      case DOUBLE:
        rows.putDouble(Double.longBitsToDouble(parsed.bits));
        return;
      case BOOLEAN:
        rows.putBoolean(parsed.bits != 0);
        return;
      case DATE:
        rows.putDate(parsed.bits);
        return;
      case TIMESTAMP:
        rows.putTimestamp(parsed.bits, parsed.nanos);
        return;
      default:
        throw new IllegalStateException("Unhandled column type " + type);
    }
  }

  /** Writes the value of the node Jackson reads for the token {@code b[start, end)}. */
  private int writeNode(byte[] b, int start, int end, ColumnType type, RowBatch.Builder rows) {
    JsonNode node;
    try (JsonParser p = RecordJson.parser(b, start, end - start)) {
      node = RecordJson.scalar(p, p.nextToken());
    } catch (IOException e) {
      // RecordBytes checked the token, so Jackson reads it.
      throw new IllegalStateException("Jackson could not read a checked JSON value", e);
    }
    Object value = ValueParser.parse(node, type);
    if (value == ValueParser.UNPARSEABLE) {
      return unparseable(ValueParser.rawText(node));
    }
    if (value == null) {
      return NULL;
    }
    rows.putValue(value);
    return WRITTEN;
  }
}
