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
      JsonNode root = read(p, body, 0);
      if (p.nextToken() != null) {
        // ObjectMapper.readTree ignores trailing content too; a page is one document, so say so.
        throw new com.fasterxml.jackson.core.JsonParseException(
            p, "Trailing content after the JSON document");
      }
      return root;
    }
  }

  /** The value at the parser's current token; {@code depth} of objects/arrays walked by hand. */
  private static JsonNode read(JsonParser p, byte[] body, int depth) throws IOException {
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
            object.set(name, readWithSource(p, body));
          } else {
            object.set(name, read(p, body, depth + 1));
          }
        }
        return object;
      case START_ARRAY:
        if (depth >= 4) {
          return MAPPER.readTree(p);
        }
        ArrayNode array = NODES.arrayNode();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          array.add(read(p, body, depth + 1));
        }
        return array;
      default:
        return scalar(p, t);
    }
  }

  /** A {@code recordData} object: its members, and its bytes from '{' to '}' as text. */
  private static JsonNode readWithSource(JsonParser p, byte[] body) throws IOException {
    long start = p.currentTokenLocation().getByteOffset();
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
    long end = p.currentLocation().getByteOffset();
    if (start < 0 || end <= start || end > body.length || body[(int) end - 1] != '}') {
      // Offsets are always known for a byte[] source; without them keep the values only.
      return NODES.objectNode().setAll(node);
    }
    node.setSourceJson(new String(body, (int) start, (int) (end - start), StandardCharsets.UTF_8));
    return node;
  }

  private static JsonNode scalar(JsonParser p, JsonToken t) throws IOException {
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
