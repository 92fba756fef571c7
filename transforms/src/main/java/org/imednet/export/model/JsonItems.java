package org.imednet.export.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.annotation.Nullable;

/**
 * The items of a list response as the API sent them: byte ranges of one response body (JSON
 * objects, unless a test builds others), plus each object's top-level {@code recordId} and {@code
 * formId} values (what paging needs). Reading a page this way ({@link RecordJson#scanList}) builds
 * no tree per item: the flattening step parses each record straight into its row, and only code
 * that wants trees ({@link #tree}) pays for them.
 *
 * <p>Immutable; the body array is shared, never modified.
 */
public final class JsonItems {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final byte[] body;
  private final int[] start;
  private final int[] end;
  private final @Nullable JsonNode[] recordId;
  private final @Nullable JsonNode[] formId;

  JsonItems(
      byte[] body,
      int[] start,
      int[] end,
      @Nullable JsonNode[] recordId,
      @Nullable JsonNode[] formId) {
    this.body = body;
    this.start = start;
    this.end = end;
    this.recordId = recordId;
    this.formId = formId;
  }

  /**
   * Items serialised from trees: for pages built in code (tests, other sources) rather than read. A
   * {@link SourceJsonObjectNode} is written as its source text.
   */
  public static JsonItems of(List<? extends JsonNode> items) {
    try {
      // Item by item with the mapper: Jackson's toString() does not call a nested node's own
      // serialize, so it would print recordData compactly instead of as its source text.
      ByteArrayOutputStream json = new ByteArrayOutputStream();
      json.write('[');
      for (int i = 0; i < items.size(); i++) {
        if (i > 0) {
          json.write(',');
        }
        json.write(MAPPER.writeValueAsBytes(items.get(i)));
      }
      json.write(']');
      return RecordJson.scanArray(json.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException("Items that Jackson wrote did not read back", e);
    }
  }

  /** The items {@code indexes} of this one, in that order, sharing its body. */
  public JsonItems select(int[] indexes) {
    int n = indexes.length;
    int[] s = new int[n];
    int[] e = new int[n];
    JsonNode[] r = new JsonNode[n];
    JsonNode[] f = new JsonNode[n];
    for (int i = 0; i < n; i++) {
      int k = indexes[i];
      s[i] = start[k];
      e[i] = end[k];
      r[i] = recordId[k];
      f[i] = formId[k];
    }
    return new JsonItems(body, s, e, r, f);
  }

  public int size() {
    return start.length;
  }

  /** The response body that holds the items; do not modify it. */
  public byte[] body() {
    return body;
  }

  /** Where item {@code i}'s JSON value starts in {@link #body()} (an object's '{'). */
  public int start(int i) {
    return start[i];
  }

  /**
   * Where item {@code i}'s JSON value ends in {@link #body()} (exclusive: after an object's '}').
   */
  public int end(int i) {
    return end[i];
  }

  /** Item {@code i}'s top-level {@code recordId} value (the last, if repeated), or null. */
  public @Nullable JsonNode recordId(int i) {
    return recordId[i];
  }

  /** Item {@code i}'s top-level {@code formId} value (the last, if repeated), or null. */
  public @Nullable JsonNode formId(int i) {
    return formId[i];
  }

  /** Item {@code i} exactly as the API sent it. */
  public String text(int i) {
    return new String(body, start[i], end[i] - start[i], StandardCharsets.UTF_8);
  }

  /** Item {@code i} as the tree {@link RecordJson#readTree} builds. */
  public JsonNode tree(int i) {
    try {
      return RecordJson.readTree(body, start[i], end[i] - start[i]);
    } catch (IOException e) {
      // The scan read every byte of the item already, but skipped strings are not decoded: bytes
      // that are not UTF-8 inside one only fail here.
      throw new UncheckedIOException("Item " + i + " does not parse as JSON", e);
    }
  }

  /** Every item as a tree. */
  public List<JsonNode> trees() {
    List<JsonNode> trees = new ArrayList<>(size());
    for (int i = 0; i < size(); i++) {
      trees.add(tree(i));
    }
    return trees;
  }
}
