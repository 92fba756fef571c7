package org.imednet.export.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The fast path of {@link RecordJson#scanList}: a strict JSON scanner over the bytes of a list
 * response that finds what the Jackson path finds (the {@code pagination} value, each item of
 * {@code data} as a byte range with its top-level {@code recordId} and {@code formId}) without
 * decoding the field names of everything it passes over. In a 1 M-record export the Jackson scan
 * spent most of its time looking up the names inside each record ({@code recordData}'s variables)
 * in its symbol table, only to skip them.
 *
 * <p>It checks every byte against the JSON grammar (RFC 8259: structure, string escapes, UTF-8,
 * numbers, literals) and gives up, returning null, on anything it does not take plainly: invalid or
 * truncated JSON, a key with an escape, an item that is not an object, deep nesting, very long
 * strings or numbers. The caller then scans with Jackson, which accepts or rejects the body exactly
 * as before, so this path can only be stricter than Jackson, never more lenient.
 */
final class ListScanner {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** Nesting beyond this goes the Jackson way (whose own limit is 1,000). */
  private static final int MAX_DEPTH = 200;

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

  private static final byte[] PAGINATION = ascii("pagination");
  private static final byte[] DATA = ascii("data");
  private static final byte[] RECORD_ID = ascii("recordId");
  private static final byte[] FORM_ID = ascii("formId");

  /** Thrown, without a stack trace, where the scanner gives up. */
  private static final class GiveUp extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final GiveUp INSTANCE = new GiveUp();

    private GiveUp() {
      super(null, null, false, false);
    }
  }

  private final byte[] b;
  private int i;
  // The range of the last string read by string().
  private int stringStart;
  private int stringEnd;

  private ListScanner(byte[] body) {
    this.b = body;
  }

  /**
   * The body scanned as {@link RecordJson#scanList} would, or null where only Jackson can say what
   * it is (see the class comment).
   */
  static RecordJson.@Nullable ListBody scan(byte[] body) throws IOException {
    try {
      return new ListScanner(body).list();
    } catch (GiveUp | ArrayIndexOutOfBoundsException e) {
      // Out of bounds: the body ended inside a value (truncated).
      return null;
    }
  }

  private RecordJson.ListBody list() throws IOException {
    whitespace();
    expect('{');
    int paginationStart = -1;
    int paginationEnd = -1;
    boolean dataIsArray = false;
    int dataSize = 0;
    JsonItems data = null;
    if (opens('}')) {
      do {
        plainKey();
        if (is(PAGINATION)) {
          paginationStart = i;
          value(1);
          paginationEnd = i;
        } else if (is(DATA)) {
          dataIsArray = b[i] == '[';
          if (dataIsArray) {
            data = items();
            dataSize = data.size();
          } else {
            value(1);
            dataSize = 0;
            data = null;
          }
        } else {
          value(1);
        }
      } while (more('}'));
    }
    whitespace();
    if (i != b.length) {
      throw GiveUp.INSTANCE; // trailing content: Jackson says what it is
    }
    JsonNode pagination =
        paginationStart < 0
            ? null
            : RecordJson.paginationTree(b, paginationStart, paginationEnd - paginationStart);
    // items() gives up on any item that is not an object, so all of them are.
    return new RecordJson.ListBody(true, pagination, dataIsArray, dataSize, true, data);
  }

  /** The objects of the array at {@code i}, with their top-level recordId and formId. */
  private JsonItems items() throws IOException {
    RecordJson.Items items = new RecordJson.Items();
    i++; // [
    if (opens(']')) {
      do {
        int start = i;
        expect('{');
        JsonNode recordId = null;
        JsonNode formId = null;
        if (opens('}')) {
          do {
            plainKey();
            boolean isRecordId = is(RECORD_ID);
            boolean isFormId = is(FORM_ID);
            int valueStart = i;
            value(2);
            if (isRecordId) {
              recordId = idNode(valueStart, i);
            } else if (isFormId) {
              formId = idNode(valueStart, i);
            }
          } while (more('}'));
        }
        items.add(start, i, recordId, formId);
      } while (more(']'));
    }
    return items.build(b);
  }

  /**
   * The node the Jackson scan builds for an id value: an int or long node for an integer literal
   * (as Jackson types it), anything else read by Jackson itself.
   */
  private JsonNode idNode(int start, int end) throws IOException {
    int k = start;
    boolean negative = b[k] == '-';
    if (negative) {
      k++;
    }
    int digits = end - k;
    if (digits > 0 && digits <= 18) {
      long v = 0;
      for (int j = k; j < end; j++) {
        int d = b[j] - '0';
        if (d < 0 || d > 9) {
          return RecordJson.valueNode(b, start, end - start);
        }
        v = v * 10 + d;
      }
      v = negative ? -v : v;
      return v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE
          ? NODES.numberNode((int) v)
          : NODES.numberNode(v);
    }
    return RecordJson.valueNode(b, start, end - start);
  }

  /** Passes over one value starting at {@code i}, checking it. */
  private void value(int depth) {
    if (depth > MAX_DEPTH) {
      throw GiveUp.INSTANCE;
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
  private boolean opens(char close) {
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
  private boolean more(char close) {
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
  private void plainKey() {
    if (!string()) {
      throw GiveUp.INSTANCE;
    }
    whitespace();
    expect(':');
    whitespace();
  }

  /**
   * Passes over the string at {@code i} and sets its content's range; returns whether it has no
   * escape (its bytes are its text).
   */
  private boolean string() {
    expect('"');
    int start = i;
    boolean plain = true;
    while (true) {
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
        throw GiveUp.INSTANCE; // a control character must be escaped
      } else if (c < 0x80) {
        i++;
      } else {
        utf8(c);
      }
    }
    if (i - start > MAX_STRING_BYTES) {
      throw GiveUp.INSTANCE;
    }
    stringStart = start;
    stringEnd = i;
    i++; // "
    return plain;
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
            throw GiveUp.INSTANCE;
          }
        }
        i += 6;
        return;
      default:
        throw GiveUp.INSTANCE;
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
      throw GiveUp.INSTANCE;
    }
    int second = b[i + 1] & 0xFF;
    if (second < min || second > max) {
      throw GiveUp.INSTANCE;
    }
    for (int k = 2; k < length; k++) {
      if ((b[i + k] & 0xC0) != 0x80) {
        throw GiveUp.INSTANCE;
      }
    }
    i += length;
  }

  /** A JSON number: {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?}. */
  private void number() {
    int start = i;
    if (b[i] == '-') {
      i++;
    }
    if (b[i] == '0') {
      i++;
    } else if (b[i] >= '1' && b[i] <= '9') {
      digits();
    } else {
      throw GiveUp.INSTANCE;
    }
    if (i < b.length && b[i] == '.') {
      i++;
      if (!digits()) {
        throw GiveUp.INSTANCE;
      }
    }
    if (i < b.length && (b[i] == 'e' || b[i] == 'E')) {
      i++;
      if (b[i] == '+' || b[i] == '-') {
        i++;
      }
      if (!digits()) {
        throw GiveUp.INSTANCE;
      }
    }
    if (i - start > MAX_NUMBER_CHARS) {
      throw GiveUp.INSTANCE;
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

  private void literal(String word) {
    for (int k = 0; k < word.length(); k++) {
      if (b[i + k] != word.charAt(k)) {
        throw GiveUp.INSTANCE;
      }
    }
    i += word.length();
  }

  private void whitespace() {
    while (i < b.length) {
      byte c = b[i];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        return;
      }
      i++;
    }
  }

  private void expect(char c) {
    if (b[i] != c) {
      throw GiveUp.INSTANCE;
    }
    i++;
  }

  /** Whether the last string read is {@code name}. */
  private boolean is(byte[] name) {
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

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
