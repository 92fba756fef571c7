package org.imednet.export.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.DefaultCoder;

/**
 * One page of raw records of one form, as the API returned them (the elements of {@code data}).
 * Records stay JSON trees until flattening so that a record which cannot be flattened keeps its
 * original payload.
 */
@DefaultCoder(RecordPageCoder.class)
public final class RecordPage {
  private final FormContext form;
  private final String location;
  private final List<JsonNode> records;

  public RecordPage(FormContext form, String location, List<JsonNode> records) {
    this.form = Objects.requireNonNull(form, "form");
    this.location = Objects.requireNonNull(location, "location");
    this.records = Collections.unmodifiableList(new ArrayList<>(records));
  }

  public FormContext form() {
    return form;
  }

  /**
   * Where this page came from, for error messages, e.g. {@code "records recordId>880000 page 2"}.
   */
  public String location() {
    return location;
  }

  public List<JsonNode> records() {
    return records;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof RecordPage)) {
      return false;
    }
    RecordPage p = (RecordPage) o;
    return form.equals(p.form) && location.equals(p.location) && records.equals(p.records);
  }

  @Override
  public int hashCode() {
    return Objects.hash(form, location, records);
  }

  @Override
  public String toString() {
    return "RecordPage{" + form.form() + " " + location + ", " + records.size() + " records}";
  }
}
