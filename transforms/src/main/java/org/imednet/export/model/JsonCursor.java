package org.imednet.export.model;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A strict JSON scanner over bytes (RFC 8259: structure, string escapes, UTF-8, numbers, literals)
 * for the fast paths that read the API's bytes without Jackson: {@link ListScanner} (a page's
 * envelope and item ranges) and the flattener's record reader. A subclass walks the structure it
 * expects with these steps and gives up ({@link #giveUp}) on anything it does not take plainly; its
 * caller then takes the Jackson path, which accepts or rejects the bytes exactly as before, so a
 * fast path can only be stricter than Jackson, never more lenient. A value that ends beyond the
 * array shows as an {@link ArrayIndexOutOfBoundsException}, which callers treat as giving up too.
 *
 * <p>Not thread-safe: one cursor per scan.
 */
public abstract class JsonCursor {
  /** Nesting beyond this goes the Jackson way (whose own limit is 1,000). */
  protected static final int MAX_DEPTH = 200;

  /** Strings and numbers beyond these go the Jackson way (which has limits of its own). */
  private static final int MAX_STRING_BYTES = 1 << 20;

  private static final int MAX_NUMBER_CHARS = 1000;

  /**
   * Bytes that stand for themselves inside a string: printable ASCII but {@code "} and {@code \\}.
   */
  private static final boolean[] PLAIN_STRING_BYTE = new boolean[256];

  static {
    for (int c = 0x20; c < 0x80; c++) {
      PLAIN_STRING_BYTE[c] = c != '"' && c != '\\';
    }
  }

  /** Thrown, without a stack trace, where a scanner gives up. */
  public static final class GiveUp extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private static final GiveUp INSTANCE = new GiveUp();

    private GiveUp() {
      super(null, null, false, false);
    }
  }

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /** The bytes scanned. */
  protected final byte[] b;

  /** The position of the next byte to read. */
  protected int i;

  /** The content (between the quotes) of the last string read by {@link #string()}. */
  protected int stringStart;

  protected int stringEnd;

  protected JsonCursor(byte[] bytes, int position) {
    this.b = bytes;
    this.i = position;
  }

  /** What to throw where the scanner gives up. */
  protected static GiveUp giveUp() {
    return GiveUp.INSTANCE;
  }

  /** Passes over one value starting at {@code i}, checking it. */
  protected final void value(int depth) {
    if (depth > MAX_DEPTH) {
      throw giveUp();
    }
    switch (b[i]) {
      case '{':
        i++;
        if (opens('}')) {
          do {
            string();
            whitespace();
            expect(':');
            whitespace();
            value(depth + 1);
          } while (more('}'));
        }
        return;
      case '[':
        i++;
        if (opens(']')) {
          do {
            value(depth + 1);
          } while (more(']'));
        }
        return;
      case '"':
        string();
        return;
      case 't':
        literal("true");
        return;
      case 'f':
        literal("false");
        return;
      case 'n':
        literal("null");
        return;
      default:
        number();
    }
  }

  /**
   * After an object's or array's opening bracket: whether a member follows, or (false) the
   * container is empty and its {@code close} has been passed.
   */
  protected final boolean opens(char close) {
    whitespace();
    if (b[i] == close) {
      i++;
      return false;
    }
    return true;
  }

  /**
   * After a member or element: whether another follows ({@code ,}), or (false) the container's
   * {@code close} has been passed.
   */
  protected final boolean more(char close) {
    whitespace();
    if (b[i] == ',') {
      i++;
      whitespace();
      return true;
    }
    expect(close);
    return false;
  }

  /**
   * Reads a member's key, which must have no escape (its bytes are its name), and the colon after
   * it; {@link #is} then tells the key.
   */
  protected final void plainKey() {
    if (!string()) {
      throw giveUp();
    }
    whitespace();
    expect(':');
    whitespace();
  }

  /**
   * Passes over the string at {@code i} and sets its content's range; returns whether it has no
   * escape (its bytes are its text).
   */
  protected final boolean string() {
    expect('"');
    int start = i;
    boolean plain = true;
    while (true) {
      // Eight bytes at a time while none of them needs a look: no quote, backslash, control
      // character or byte of a multi-byte UTF-8 sequence.
      int last = b.length - 8;
      while (i <= last && plainWord((long) LONGS.get(b, i))) {
        i += 8;
      }
      int c = b[i] & 0xFF;
      if (PLAIN_STRING_BYTE[c]) {
        i++;
        continue;
      }
      if (c == '"') {
        break;
      }
      if (c == '\\') {
        plain = false;
        escape();
      } else if (c < 0x20) {
        throw giveUp(); // a control character must be escaped
      } else if (c < 0x80) {
        i++;
      } else {
        utf8(c);
      }
    }
    if (i - start > MAX_STRING_BYTES) {
      throw giveUp();
    }
    stringStart = start;
    stringEnd = i;
    i++; // "
    return plain;
  }

  private static final long ONES = 0x0101_0101_0101_0101L;
  private static final long HIGHS = 0x8080_8080_8080_8080L;
  private static final long QUOTES = '"' * ONES;
  private static final long BACKSLASHES = '\\' * ONES;
  private static final long SPACES = ' ' * ONES;

  /**
   * Whether all eight bytes of {@code w} stand for themselves in a string ({@link
   * #PLAIN_STRING_BYTE}). Each test is exact in telling whether some byte matches (a borrow only
   * ever marks bytes above a real match).
   */
  private static boolean plainWord(long w) {
    long quote = w ^ QUOTES;
    long backslash = w ^ BACKSLASHES;
    long special =
        ((quote - ONES) & ~quote) // a quote
            | ((backslash - ONES) & ~backslash) // a backslash
            | ((w - SPACES) & ~w) // a byte below 0x20
            | w; // a byte of 0x80 or above
    return (special & HIGHS) == 0;
  }

  private void escape() {
    byte e = b[i + 1];
    switch (e) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        i += 2;
        return;
      case 'u':
        for (int k = i + 2; k < i + 6; k++) {
          if (Character.digit(b[k], 16) < 0) {
            throw giveUp();
          }
        }
        i += 6;
        return;
      default:
        throw giveUp();
    }
  }

  /**
   * Passes over a well-formed UTF-8 sequence whose first byte is {@code c}: no overlong forms, no
   * surrogates, nothing above U+10FFFF.
   */
  private void utf8(int c) {
    int length;
    int min;
    int max = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
      min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      min = c == 0xE0 ? 0xA0 : 0x80;
      max = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      min = c == 0xF0 ? 0x90 : 0x80;
      max = c == 0xF4 ? 0x8F : 0xBF;
    } else {
      throw giveUp();
    }
    int second = b[i + 1] & 0xFF;
    if (second < min || second > max) {
      throw giveUp();
    }
    for (int k = 2; k < length; k++) {
      if ((b[i + k] & 0xC0) != 0x80) {
        throw giveUp();
      }
    }
    i += length;
  }

  /** A JSON number: {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?}. */
  protected final void number() {
    int start = i;
    if (b[i] == '-') {
      i++;
    }
    if (b[i] == '0') {
      i++;
    } else if (b[i] >= '1' && b[i] <= '9') {
      digits();
    } else {
      throw giveUp();
    }
    if (i < b.length && b[i] == '.') {
      i++;
      if (!digits()) {
        throw giveUp();
      }
    }
    if (i < b.length && (b[i] == 'e' || b[i] == 'E')) {
      i++;
      if (b[i] == '+' || b[i] == '-') {
        i++;
      }
      if (!digits()) {
        throw giveUp();
      }
    }
    if (i - start > MAX_NUMBER_CHARS) {
      throw giveUp();
    }
  }

  /** Passes over digits; returns whether there was at least one. */
  private boolean digits() {
    int start = i;
    while (i < b.length && b[i] >= '0' && b[i] <= '9') {
      i++;
    }
    return i > start;
  }

  protected final void literal(String word) {
    for (int k = 0; k < word.length(); k++) {
      if (b[i + k] != word.charAt(k)) {
        throw giveUp();
      }
    }
    i += word.length();
  }

  protected final void whitespace() {
    while (i < b.length) {
      byte c = b[i];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        return;
      }
      i++;
    }
  }

  protected final void expect(char c) {
    if (b[i] != c) {
      throw giveUp();
    }
    i++;
  }

  /** Whether the last string read is {@code name}. */
  protected final boolean is(byte[] name) {
    if (stringEnd - stringStart != name.length) {
      return false;
    }
    for (int k = 0; k < name.length; k++) {
      if (b[stringStart + k] != name[k]) {
        return false;
      }
    }
    return true;
  }

  protected static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
