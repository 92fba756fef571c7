package org.imednet.export.flatten;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import javax.annotation.Nullable;
import org.imednet.export.model.JsonCursor;

/**
 * One API item read straight from its bytes: where the value of each column lies (a JSON token, for
 * {@link JsonValueWriter}). It checks every byte of the item against the JSON grammar ({@link
 * JsonCursor}) and gives up (null) on anything its caller's tree path should decide.
 *
 * <ul>
 *   <li>{@link #read}: a record for {@link RecordFlattener#flattenInto}, with where {@code
 *       recordData} lies. Gives up on a key with an escape, a metadata field holding an object or
 *       array, no single {@code recordData} object, a {@code recordId} that is not a plain integer,
 *       invalid JSON.
 *   <li>{@link #readFlat}: an object of known fields (a metadata item). Gives up on a key with an
 *       escape, a key that is not one of the fields, invalid JSON.
 * </ul>
 *
 * <p>Duplicate keys: the last one counts, as in Jackson's trees.
 */
public final class RecordBytes extends JsonCursor {
  private static final byte[] RECORD_DATA = ascii("recordData");
  private static final byte[] RECORD_ID = ascii("recordId");

  // Each column's value: the range of its JSON token, starts[c] to ends[c], and ends[c] negated
  // for a string with an escape. A start of 0 is no value: an item starts with its {, so no value
  // of it starts at 0.
  private final int[] starts;
  private final int[] ends;

  // The range of the recordData object, braces included.
  private int recordDataStart;
  private int recordDataEnd;

  /** Where column {@code c}'s value token starts, or 0 if the item has no value for it. */
  public int start(int c) {
    return starts[c];
  }

  /** Where column {@code c}'s value token ends, negated for a string with an escape. */
  public int end(int c) {
    return ends[c];
  }

  /** Where the {@code recordData} object (braces included) starts. */
  int recordDataStart() {
    return recordDataStart;
  }

  int recordDataLength() {
    return recordDataEnd - recordDataStart;
  }

  private RecordBytes(byte[] json, int offset, int columns) {
    super(json, offset);
    starts = new int[columns];
    ends = new int[columns];
  }

  /**
   * Reads the record whose JSON is the {@code length} bytes of {@code json} from {@code offset}, or
   * returns null where the flattener's other paths decide (see the class comment).
   */
  static @Nullable RecordBytes read(
      byte[] json, int offset, int length, int columns, Names fields, Names variables) {
    RecordBytes r = new RecordBytes(json, offset, columns);
    try {
      return r.record(offset + length, fields, variables) ? r : null;
    } catch (GiveUp | ArrayIndexOutOfBoundsException e) {
      // Out of bounds: the bytes ended inside a value.
      return null;
    }
  }

  /**
   * Reads the object whose JSON is the {@code length} bytes of {@code json} from {@code offset},
   * each of whose keys {@code fields} must know, or returns null (see the class comment).
   */
  public static @Nullable RecordBytes readFlat(
      byte[] json, int offset, int length, int columns, Names fields) {
    RecordBytes r = new RecordBytes(json, offset, columns);
    try {
      return r.flat(offset + length, fields) ? r : null;
    } catch (GiveUp | ArrayIndexOutOfBoundsException e) {
      return null;
    }
  }

  private boolean flat(int end, Names fields) {
    whitespace();
    expect('{');
    if (opens('}')) {
      do {
        plainKey();
        int[] columns = fields.get(b, stringStart, stringEnd);
        if (columns == null) {
          return false;
        }
        member(columns, 2);
      } while (more('}'));
    }
    return i == end;
  }

  private boolean record(int end, Names fields, Names variables) {
    whitespace();
    expect('{');
    boolean hasRecordId = false;
    if (opens('}')) {
      do {
        plainKey();
        if (is(RECORD_DATA)) {
          if (recordDataStart != 0 || b[i] != '{') {
            return false;
          }
          recordDataStart = i;
          variables(variables);
          recordDataEnd = i;
          continue;
        }
        boolean isRecordId = is(RECORD_ID);
        int[] columns = fields.get(b, stringStart, stringEnd);
        if (columns == null && !isRecordId) {
          value(2);
          continue;
        }
        if (b[i] == '{' || b[i] == '[') {
          return false;
        }
        int start = i;
        scalar(columns);
        if (isRecordId) {
          hasRecordId = plainInteger(b, start, i) != NOT_PLAIN;
          if (!hasRecordId) {
            return false;
          }
        }
      } while (more('}'));
    }
    // A record's range ends with its closing brace (whitespace after it would be read beyond).
    return i == end && hasRecordId && recordDataStart != 0;
  }

  /** The members of the recordData object at {@code i}. */
  private void variables(Names variables) {
    i++; // {
    if (opens('}')) {
      do {
        plainKey();
        int[] columns = variables.get(b, stringStart, stringEnd);
        if (columns == null) {
          value(3);
        } else {
          member(columns, 3);
        }
      } while (more('}'));
    }
  }

  /** Passes over the value at {@code i}, an object or array as a whole, and records it. */
  private void member(int[] columns, int depth) {
    if (b[i] == '{' || b[i] == '[') {
      int start = i;
      value(depth);
      place(columns, start, i);
    } else {
      scalar(columns);
    }
  }

  /**
   * Passes over the scalar at {@code i} and records it as the value of {@code columns} (if any).
   */
  private void scalar(@Nullable int[] columns) {
    int start = i;
    int end;
    switch (b[i]) {
      case '"':
        boolean plain = string();
        end = plain ? i : -i;
        break;
      case 't':
        literal("true");
        end = i;
        break;
      case 'f':
        literal("false");
        end = i;
        break;
      case 'n':
        literal("null");
        end = i;
        break;
      default:
        number();
        end = i;
    }
    if (columns != null) {
      place(columns, start, end);
    }
  }

  private void place(int[] columns, int start, int end) {
    for (int c : columns) {
      starts[c] = start;
      ends[c] = end;
    }
  }

  /** What {@link #plainInteger} returns for a token that is no plain integer. */
  static final long NOT_PLAIN = Long.MIN_VALUE;

  /**
   * The value of a JSON number token that is an integer of at most 18 digits other than {@code -0},
   * or {@link #NOT_PLAIN}. Such a token is the text Jackson's int and long nodes give back.
   */
  static long plainInteger(byte[] b, int start, int end) {
    int k = start;
    boolean negative = b[k] == '-';
    if (negative) {
      k++;
    }
    int digits = end - k;
    if (digits <= 0 || digits > 18 || (negative && digits == 1 && b[k] == '0')) {
      return NOT_PLAIN;
    }
    long v = 0;
    for (; k < end; k++) {
      int d = b[k] - '0';
      if (d < 0 || d > 9) {
        return NOT_PLAIN;
      }
      v = v * 10 + d;
    }
    return negative ? -v : v;
  }

  /**
   * The columns of each name, looked up by the name's UTF-8 bytes (no String is made for a key): an
   * open-addressing table, at most half full.
   */
  public static final class Names {
    private static final VarHandle LONGS =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** An odd constant whose bits look random (2^64 divided by the golden ratio). */
    private static final long MULTIPLIER = 0x9E3779B97F4A7C15L;

    private final byte[][] names;
    private final int[][] columns;
    private final int mask;

    public Names(Map<String, int[]> columnsOfName) {
      int size = 8;
      while (size < 2 * columnsOfName.size()) {
        size <<= 1;
      }
      names = new byte[size][];
      columns = new int[size][];
      mask = size - 1;
      for (Map.Entry<String, int[]> e : columnsOfName.entrySet()) {
        byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
        int k = hash(name, 0, name.length) & mask;
        while (names[k] != null) {
          k = (k + 1) & mask;
        }
        names[k] = name;
        columns[k] = e.getValue();
      }
    }

    @Nullable
    int[] get(byte[] b, int start, int end) {
      for (int k = hash(b, start, end) & mask; ; k = (k + 1) & mask) {
        byte[] name = names[k];
        if (name == null) {
          return null;
        }
        if (name.length == end - start && Arrays.equals(name, 0, name.length, b, start, end)) {
          return columns[k];
        }
      }
    }

    /**
     * A hash of a name from its length and its first and last eight bytes (fewer for a shorter
     * name), which tell a form's variable names apart in practice (numbered or suffixed names
     * differ at the start or the end) without reading the whole key of every member.
     */
    private static int hash(byte[] b, int start, int end) {
      int length = end - start;
      long h = length;
      if (length >= 8) {
        h = (h ^ (long) LONGS.get(b, start)) * MULTIPLIER;
        h = (h ^ (long) LONGS.get(b, end - 8)) * MULTIPLIER;
      } else {
        for (int k = start; k < end; k++) {
          h = (h << 8) | (b[k] & 0xFF);
        }
        h *= MULTIPLIER;
      }
      return (int) (h >>> 32);
    }
  }
}
