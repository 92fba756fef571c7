package org.imednet.export.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;

/**
 * Encodes a {@link RecordPage}: its form context, location, and each record as JSON bytes. A
 * record's {@code recordData} keeps its source text ({@link SourceJsonObjectNode}) through a round
 * trip.
 */
public final class RecordPageCoder extends AtomicCoder<RecordPage> {
  private static final long serialVersionUID = 1L;
  private static final RecordPageCoder INSTANCE = new RecordPageCoder();
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final SerializableCoder<FormContext> FORM_CODER =
      SerializableCoder.of(FormContext.class);

  public static RecordPageCoder of() {
    return INSTANCE;
  }

  private RecordPageCoder() {}

  @Override
  public void encode(RecordPage value, OutputStream out) throws IOException {
    FORM_CODER.encode(value.form(), out);
    StringUtf8Coder.of().encode(value.location(), out);
    VarIntCoder.of().encode(value.records().size(), out);
    for (JsonNode record : value.records()) {
      ByteArrayCoder.of().encode(MAPPER.writeValueAsBytes(record), out);
    }
  }

  @Override
  public RecordPage decode(InputStream in) throws IOException {
    FormContext form = FORM_CODER.decode(in);
    String location = StringUtf8Coder.of().decode(in);
    int n = VarIntCoder.of().decode(in);
    List<JsonNode> records = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      records.add(RecordJson.readTree(ByteArrayCoder.of().decode(in)));
    }
    return new RecordPage(form, location, records);
  }
}
