package org.imednet.export.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;

/**
 * Encodes a {@link RecordPage}: its form context, location, and each record's JSON bytes exactly as
 * the API sent them.
 */
public final class RecordPageCoder extends AtomicCoder<RecordPage> {
  private static final long serialVersionUID = 1L;
  private static final RecordPageCoder INSTANCE = new RecordPageCoder();
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
    JsonItems items = value.items();
    VarIntCoder.of().encode(items.size(), out);
    byte[] body = items.body();
    for (int i = 0; i < items.size(); i++) {
      VarIntCoder.of().encode(items.end(i) - items.start(i), out);
      out.write(body, items.start(i), items.end(i) - items.start(i));
    }
  }

  @Override
  public RecordPage decode(InputStream in) throws IOException {
    FormContext form = FORM_CODER.decode(in);
    String location = StringUtf8Coder.of().decode(in);
    int n = VarIntCoder.of().decode(in);
    // The records become one JSON array again, so they are scanned like a response's items.
    ByteArrayOutputStream json = new ByteArrayOutputStream();
    json.write('[');
    DataInputStream data = new DataInputStream(in);
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        json.write(',');
      }
      byte[] record = new byte[VarIntCoder.of().decode(in)];
      data.readFully(record);
      json.write(record);
    }
    json.write(']');
    try {
      return new RecordPage(form, location, RecordJson.scanArray(json.toByteArray()));
    } catch (JsonProcessingException e) {
      throw new CoderException("Corrupt RecordPage of " + location + ": " + e.getOriginalMessage());
    }
  }
}
