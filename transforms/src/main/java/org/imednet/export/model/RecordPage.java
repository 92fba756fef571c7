package org.imednet.export.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.DefaultCoder;

/**
 * One page of raw records of one form, as the API returned them (the elements of {@code data}).
 * Records stay the API's bytes ({@link #items()}) until flattening parses each into its row, so a
 * record which cannot be flattened keeps its original payload; {@link #records()} gives them as
 * trees.
 */
@DefaultCoder(RecordPageCoder.class)
public final class RecordPage {
  private final FormContext form;
  private final String location;
  private final JsonItems items;
  private volatile @Nullable List<JsonNode> records;

  /** A page of records given as trees (serialised to bytes here). */
  public RecordPage(FormContext form, String location, List<JsonNode> records) {
    this(form, location, JsonItems.of(records));
  }

  public RecordPage(FormContext form, String location, JsonItems items) {
    this.form = Objects.requireNonNull(form, "form");
    this.location = Objects.requireNonNull(location, "location");
    this.items = Objects.requireNonNull(items, "items");
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

  /** The records as the API sent them. */
  public JsonItems items() {
    return items;
  }

  public int size() {
    return items.size();
  }

  /** The records as trees, built on first use. */
  public List<JsonNode> records() {
    List<JsonNode> r = records;
    if (r == null) {
      r = Collections.unmodifiableList(items.trees());
      records = r;
    }
    return r;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof RecordPage)) {
      return false;
    }
    RecordPage p = (RecordPage) o;
    return form.equals(p.form) && location.equals(p.location) && records().equals(p.records());
  }

  @Override
  public int hashCode() {
    return Objects.hash(form, location, records());
  }

  @Override
  public String toString() {
    return "RecordPage{" + form.form() + " " + location + ", " + size() + " records}";
  }
}
