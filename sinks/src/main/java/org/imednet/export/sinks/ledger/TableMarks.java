package org.imednet.export.sinks.ledger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.LocalDateTime;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import javax.annotation.Nullable;

/**
 * The high-water marks of a study's windowed metadata tables as a ledger keeps them: a JSON object
 * of table key to ISO-8601 UTC time, e.g. {@code {"subjects":"2024-12-08T09:20","visits":…}}.
 */
public final class TableMarks {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private TableMarks() {}

  public static String toJson(Map<String, LocalDateTime> marks) {
    ObjectNode n = MAPPER.createObjectNode();
    new TreeMap<>(marks).forEach((table, mark) -> n.put(table, mark.toString()));
    try {
      return MAPPER.writeValueAsString(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses {@link #toJson}; null or blank is no marks. */
  public static Map<String, LocalDateTime> fromJson(@Nullable String json) {
    Map<String, LocalDateTime> out = new TreeMap<>();
    if (json == null || json.isBlank()) {
      return out;
    }
    try {
      JsonNode n = MAPPER.readTree(json);
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        out.put(e.getKey(), LocalDateTime.parse(e.getValue().asText()));
      }
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable table_marks in the ledger: " + json, e);
    }
    return out;
  }

  /**
   * The marks after a run: this run's, and for a study read from a window also the previous marks
   * of tables this run saw nothing newer in (the later of the two per table).
   */
  public static Map<String, LocalDateTime> after(
      @Nullable LedgerEntry previous, boolean windowed, Map<String, LocalDateTime> now) {
    Map<String, LocalDateTime> out = new TreeMap<>(now);
    if (windowed && previous != null) {
      previous.tableMarks().forEach((table, mark) -> out.merge(table, mark, TableMarks::later));
    }
    return out;
  }

  /** The later of two times. */
  public static LocalDateTime later(LocalDateTime a, LocalDateTime b) {
    return a.isAfter(b) ? a : b;
  }
}
