package org.imednet.export.model;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Objects;

/**
 * A JSON object parsed from the API together with the exact text it was parsed from, which it
 * serialises as: a record's {@code recordData} as {@link RecordJson} reads it. Keeping the text
 * lets the flattening step store {@code _record_data} as the API sent it without writing every
 * record's values back out as JSON (which was the largest JSON cost of an export).
 *
 * <p>Like every parsed API node it is never mutated; a mutation would not update the text.
 */
public final class SourceJsonObjectNode extends ObjectNode {
  private static final long serialVersionUID = 1L;

  private String sourceJson = "{}";

  /** Filled by {@link RecordJson}: members first, then the text once the closing brace is read. */
  SourceJsonObjectNode(JsonNodeFactory factory) {
    super(factory);
  }

  void setSourceJson(String sourceJson) {
    this.sourceJson = Objects.requireNonNull(sourceJson, "sourceJson");
  }

  /** The object's JSON text exactly as received. */
  public String sourceJson() {
    return sourceJson;
  }

  @Override
  public void serialize(JsonGenerator g, SerializerProvider provider) throws IOException {
    g.writeRawValue(sourceJson);
  }

  @Override
  public String toString() {
    return sourceJson;
  }

  // ObjectNode's equals and hashCode compare the values, which is what callers expect; restated
  // here only because this class adds a field that deliberately takes no part in them.
  @Override
  public boolean equals(Object o) {
    return super.equals(o);
  }

  @Override
  public int hashCode() {
    return super.hashCode();
  }
}
