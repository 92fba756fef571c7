package org.imednet.export.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.annotation.Nullable;

/**
 * Reads API response bodies into Jackson trees, like {@code ObjectMapper.readTree}, except that
 * every object value of a field named {@code recordData} becomes a {@link SourceJsonObjectNode}
 * that keeps its exact source text.
 *
 * <pre>{@code
 * JsonNode page = RecordJson.readTree(body);        // a whole list response
 * JsonNode record = page.get("data").get(0);
 * ((SourceJsonObjectNode) record.get("recordData")).sourceJson(); // the bytes the API sent
 * }</pre>
 *
 * Only the path from the root through objects and arrays to {@code recordData} is walked here;
 * other nested values are built by Jackson itself. Scalars become the nodes Jackson's default
 * {@code readTree} would build (int, long or big-integer nodes for integers, double nodes for
 * decimals).
 */
public final class RecordJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = MAPPER.getNodeFactory();
  private static final String RECORD_DATA = "recordData";

  private RecordJson() {}

  /**
   * Parses a complete JSON document; null for an empty body. Malformed or truncated JSON throws the
   * {@link com.fasterxml.jackson.core.JsonProcessingException} Jackson's own {@code readTree}
   * would.
   */
  public static @Nullable JsonNode readTree(byte[] body) throws IOException {
    try (JsonParser p = MAPPER.createParser(body)) {
      if (p.nextToken() == null) {
        return null;
      }
      JsonNode root = read(p, body, 0, 0);
      requireEnd(p);
      return root;
    }
  }

  /**
   * Like {@link #readTree(byte[])} for the {@code length} bytes of {@code body} from {@code
   * offset}, which must hold one complete JSON document starting at {@code offset}.
   */
  public static JsonNode readTree(byte[] body, int offset, int length) throws IOException {
    try (JsonParser p = parser(body, offset, length)) {
      if (p.nextToken() == null) {
        throw new com.fasterxml.jackson.core.JsonParseException(p, "No JSON document");
      }
      JsonNode root = read(p, body, delta(p, offset), 0);
      requireEnd(p);
      return root;
    }
  }

  /** A parser over {@code length} bytes of {@code body} from {@code offset}. */
  public static JsonParser parser(byte[] body, int offset, int length) throws IOException {
    return MAPPER.createParser(body, offset, length);
  }

  /**
   * What to add to the parser's byte offsets to get offsets in the whole array: called on the first
   * token, which starts at {@code offset}.
   */
  public static long delta(JsonParser p, int offset) {
    return offset - p.currentTokenLocation().getByteOffset();
  }

  private static void requireEnd(JsonParser p) throws IOException {
    if (p.nextToken() != null) {
      // ObjectMapper.readTree ignores trailing content too; a page is one document, so say so.
      throw new com.fasterxml.jackson.core.JsonParseException(
          p, "Trailing content after the JSON document");
    }
  }

  /** A list response read by {@link #scanList}: the envelope, and the items as byte ranges. */
  public static final class ListBody {
    private final boolean object;
    private final @Nullable JsonNode pagination;
    private final boolean dataIsArray;
    private final int dataSize;
    private final boolean allItemsObjects;
    private final @Nullable JsonItems data;

    ListBody(
        boolean object,
        @Nullable JsonNode pagination,
        boolean dataIsArray,
        int dataSize,
        boolean allItemsObjects,
        @Nullable JsonItems data) {
      this.object = object;
      this.pagination = pagination;
      this.dataIsArray = dataIsArray;
      this.dataSize = dataSize;
      this.allItemsObjects = allItemsObjects;
      this.data = data;
    }

    /** Whether the body is a JSON object (false for an empty body or any other value). */
    public boolean isObject() {
      return object;
    }

    /** The {@code pagination} value as a tree, or null when absent. */
    public @Nullable JsonNode pagination() {
      return pagination;
    }

    /** Whether {@code data} is present and an array. */
    public boolean dataIsArray() {
      return dataIsArray;
    }

    /** How many elements {@code data} has, objects or not. */
    public int dataSize() {
      return dataSize;
    }

    /** Whether every element of {@code data} is a JSON object. */
    public boolean allItemsObjects() {
      return allItemsObjects;
    }

    /** The elements of {@code data}, or null when it is not an array. */
    public @Nullable JsonItems data() {
      return data;
    }
  }

  /**
   * Reads a list response ({@code {"metadata": …, "pagination": {…}, "data": [{…}, …]}}) without
   * building a tree per item: {@code pagination} becomes a tree, each object of {@code data} a byte
   * range with its {@code recordId} and {@code formId}. Every byte is still read, so malformed or
   * truncated JSON throws the {@link com.fasterxml.jackson.core.JsonProcessingException} {@link
   * #readTree(byte[])} would. A repeated key counts once, its last value, as in a tree.
   *
   * <p>A plain body is read by {@link ListScanner}, which checks the same grammar without decoding
   * the field names it passes over; anything else, valid or not, by Jackson.
   */
  public static ListBody scanList(byte[] body) throws IOException {
    ListBody plain = ListScanner.scan(body);
    return plain != null ? plain : scanListWithJackson(body);
  }

  /** {@link #scanList} by Jackson alone. */
  static ListBody scanListWithJackson(byte[] body) throws IOException {
    try (JsonParser p = MAPPER.createParser(body)) {
      JsonToken first = p.nextToken();
      if (first != JsonToken.START_OBJECT) {
        if (first != null) {
          readTree(body); // a malformed body fails as malformed, not as "not an object"
        }
        return new ListBody(false, null, false, 0, true, null);
      }
      long delta = delta(p, 0);
      JsonNode pagination = null;
      boolean dataIsArray = false;
      int dataSize = 0;
      boolean allObjects = true;
      JsonItems data = null;
      String name;
      while ((name = p.nextFieldName()) != null) {
        JsonToken t = p.nextToken();
        if ("pagination".equals(name)) {
          pagination = read(p, body, delta, 1);
        } else if ("data".equals(name)) {
          dataIsArray = t == JsonToken.START_ARRAY;
          if (dataIsArray) {
            Items items = scanItems(p, body, delta);
            dataSize = items.size;
            allObjects = items.nonObjects == 0;
            data = items.build(body);
          } else {
            dataSize = 0;
            allObjects = true;
            data = null;
            p.skipChildren();
          }
        } else {
          p.skipChildren();
        }
      }
      requireEnd(p);
      return new ListBody(true, pagination, dataIsArray, dataSize, allObjects, data);
    }
  }

  /** The elements of a JSON array as {@link JsonItems}. */
  public static JsonItems scanArray(byte[] body) throws IOException {
    try (JsonParser p = MAPPER.createParser(body)) {
      if (p.nextToken() != JsonToken.START_ARRAY) {
        throw new com.fasterxml.jackson.core.JsonParseException(p, "Not a JSON array");
      }
      Items items = scanItems(p, body, delta(p, 0));
      requireEnd(p);
      return items.build(body);
    }
  }

  /**
   * The elements of the array whose START_ARRAY is the current token, up to its END_ARRAY: each
   * element's byte range and, for objects, their top-level recordId and formId.
   */
  private static Items scanItems(JsonParser p, byte[] body, long delta) throws IOException {
    Items items = new Items();
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      int start = (int) (p.currentTokenLocation().getByteOffset() + delta);
      JsonNode recordId = null;
      JsonNode formId = null;
      if (t == JsonToken.START_OBJECT) {
        String name;
        while ((name = p.nextFieldName()) != null) {
          JsonToken value = p.nextToken();
          boolean scalar = value != JsonToken.START_OBJECT && value != JsonToken.START_ARRAY;
          if ("recordId".equals(name)) {
            recordId = scalar ? scalar(p, value) : MAPPER.readTree(p);
          } else if ("formId".equals(name)) {
            formId = scalar ? scalar(p, value) : MAPPER.readTree(p);
          } else {
            p.skipChildren();
          }
        }
      } else {
        items.nonObjects++;
        p.skipChildren();
        p.finishToken(); // a string's end is only known once it is read through
      }
      int end = (int) (p.currentLocation().getByteOffset() + delta);
      if (start < 0 || end <= start || end > body.length) {
        throw new IllegalStateException("Jackson reported no byte offsets for a byte[] source");
      }
      items.add(start, end, recordId, formId);
    }
    return items;
  }

  /** The {@code pagination} tree of {@link #scanList}, from its value's bytes. */
  static JsonNode paginationTree(byte[] body, int offset, int length) throws IOException {
    try (JsonParser p = parser(body, offset, length)) {
      p.nextToken();
      return read(p, body, delta(p, offset), 1);
    }
  }

  /** The node {@link #scanList} gives an item's recordId or formId, from its value's bytes. */
  static JsonNode valueNode(byte[] body, int offset, int length) throws IOException {
    try (JsonParser p = parser(body, offset, length)) {
      JsonToken t = p.nextToken();
      return t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY
          ? MAPPER.readTree(p)
          : scalar(p, t);
    }
  }

  /** Growable item ranges. */
  static final class Items {
    int nonObjects;
    int size;
    int[] start = new int[16];
    int[] end = new int[16];
    JsonNode[] recordId = new JsonNode[16];
    JsonNode[] formId = new JsonNode[16];

    void add(int s, int e, @Nullable JsonNode r, @Nullable JsonNode f) {
      if (size == start.length) {
        int n = size * 2;
        start = Arrays.copyOf(start, n);
        end = Arrays.copyOf(end, n);
        recordId = Arrays.copyOf(recordId, n);
        formId = Arrays.copyOf(formId, n);
      }
      start[size] = s;
      end[size] = e;
      recordId[size] = r;
      formId[size] = f;
      size++;
    }

    JsonItems build(byte[] body) {
      return new JsonItems(
          body,
          Arrays.copyOf(start, size),
          Arrays.copyOf(end, size),
          Arrays.copyOf(recordId, size),
          Arrays.copyOf(formId, size));
    }
  }

  /** The value at the parser's current token; {@code depth} of objects/arrays walked by hand. */
  private static JsonNode read(JsonParser p, byte[] body, long delta, int depth)
      throws IOException {
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT:
        if (depth >= 4) {
          return MAPPER.readTree(p);
        }
        ObjectNode object = NODES.objectNode();
        String name;
        while ((name = p.nextFieldName()) != null) {
          JsonToken value = p.nextToken();
          if (value == JsonToken.START_OBJECT && RECORD_DATA.equals(name)) {
            object.set(name, readWithSource(p, body, delta));
          } else {
            object.set(name, read(p, body, delta, depth + 1));
          }
        }
        return object;
      case START_ARRAY:
        if (depth >= 4) {
          return MAPPER.readTree(p);
        }
        ArrayNode array = NODES.arrayNode();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          array.add(read(p, body, delta, depth + 1));
        }
        return array;
      default:
        return scalar(p, t);
    }
  }

  /** A {@code recordData} object: its members, and its bytes from '{' to '}' as text. */
  private static JsonNode readWithSource(JsonParser p, byte[] body, long delta) throws IOException {
    long start = p.currentTokenLocation().getByteOffset() + delta;
    SourceJsonObjectNode node = new SourceJsonObjectNode(NODES);
    String name;
    while ((name = p.nextFieldName()) != null) {
      JsonToken value = p.nextToken();
      node.set(
          name,
          value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY
              ? MAPPER.readTree(p)
              : scalar(p, value));
    }
    long end = p.currentLocation().getByteOffset() + delta;
    if (start < 0 || end <= start || end > body.length || body[(int) end - 1] != '}') {
      // Offsets are always known for a byte[] source; without them keep the values only.
      return NODES.objectNode().setAll(node);
    }
    node.setSourceJson(new String(body, (int) start, (int) (end - start), StandardCharsets.UTF_8));
    return node;
  }

  /**
   * The node {@link #readTree} builds for a scalar token (int, long or big-integer nodes for
   * integers, double nodes for decimals); a container token is read as a tree.
   */
  public static JsonNode scalar(JsonParser p, JsonToken t) throws IOException {
    switch (t) {
      case VALUE_STRING:
        return NODES.textNode(p.getText());
      case VALUE_NUMBER_INT:
        switch (p.getNumberType()) {
          case INT:
            return NODES.numberNode(p.getIntValue());
          case LONG:
            return NODES.numberNode(p.getLongValue());
          default:
            return NODES.numberNode(p.getBigIntegerValue());
        }
      case VALUE_NUMBER_FLOAT:
        return NODES.numberNode(p.getDoubleValue());
      case VALUE_TRUE:
        return NODES.booleanNode(true);
      case VALUE_FALSE:
        return NODES.booleanNode(false);
      case VALUE_NULL:
        return NODES.nullNode();
      default:
        return MAPPER.readTree(p);
    }
  }
}
