package org.imednet.export.rows;

import java.io.Serializable;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.SerializableCoder;

/**
 * Input that could not be turned into rows, kept with its original payload so nothing is lost: a
 * record that could not be flattened, a page that could not be parsed, or a variable whose type is
 * unknown. Carries study, form and page context, never secrets.
 */
@DefaultCoder(SerializableCoder.class)
public final class FailedRecord implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Why the input failed. */
  public enum Reason {
    /** A record that could not be flattened; the payload is the record's JSON. */
    UNPROCESSABLE_RECORD,
    /** A metadata item that could not be read; the payload is its JSON. */
    UNPROCESSABLE_METADATA
  }

  private final String studyKey;
  private final @Nullable String formKey;
  private final Reason reason;
  private final String location;
  private final String message;
  private final String payload;

  public FailedRecord(
      String studyKey,
      @Nullable String formKey,
      Reason reason,
      String location,
      String message,
      String payload) {
    this.studyKey = Objects.requireNonNull(studyKey, "studyKey");
    this.formKey = formKey;
    this.reason = Objects.requireNonNull(reason, "reason");
    this.location = Objects.requireNonNull(location, "location");
    this.message = Objects.requireNonNull(message, "message");
    this.payload = Objects.requireNonNull(payload, "payload");
  }

  public String studyKey() {
    return studyKey;
  }

  public @Nullable String formKey() {
    return formKey;
  }

  public Reason reason() {
    return reason;
  }

  /** Where it came from, e.g. {@code "records page 3"} or {@code "recordId 880123"}. */
  public String location() {
    return location;
  }

  public String message() {
    return message;
  }

  /** The original JSON (or raw body for a malformed page), unchanged. */
  public String payload() {
    return payload;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof FailedRecord)) {
      return false;
    }
    FailedRecord f = (FailedRecord) o;
    return studyKey.equals(f.studyKey)
        && Objects.equals(formKey, f.formKey)
        && reason == f.reason
        && location.equals(f.location)
        && message.equals(f.message)
        && payload.equals(f.payload);
  }

  @Override
  public int hashCode() {
    return Objects.hash(studyKey, formKey, reason, location, message, payload);
  }

  @Override
  public String toString() {
    return reason + " " + studyKey + "/" + formKey + " at " + location + ": " + message;
  }
}
