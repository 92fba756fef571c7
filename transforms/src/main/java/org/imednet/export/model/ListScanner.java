package org.imednet.export.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
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
final class ListScanner extends JsonCursor {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private static final byte[] PAGINATION = ascii("pagination");
  private static final byte[] DATA = ascii("data");
  private static final byte[] RECORD_ID = ascii("recordId");
  private static final byte[] FORM_ID = ascii("formId");

  private ListScanner(byte[] body) {
    super(body, 0);
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
      throw giveUp(); // trailing content: Jackson says what it is
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
}
