package org.imednet.export.read;

import java.io.Serializable;
import java.util.Objects;
import javax.annotation.Nullable;
import org.imednet.export.model.FormContext;

/**
 * A slice {@code (after, upTo]} of one form's recordIds, read by keyset paging on its own. A null
 * bound is open: the first range of a form has no lower bound and the last no upper bound, so
 * records created during the export are not missed.
 */
final class RecordRange implements Serializable {
  private static final long serialVersionUID = 1L;

  private final FormContext form;
  private final int index;
  private final int count;
  private final @Nullable Long after;
  private final @Nullable Long upTo;
  private final boolean unplanned;

  RecordRange(FormContext form, int index, int count, @Nullable Long after, @Nullable Long upTo) {
    this(form, index, count, after, upTo, false);
  }

  private RecordRange(
      FormContext form,
      int index,
      int count,
      @Nullable Long after,
      @Nullable Long upTo,
      boolean unplanned) {
    this.form = Objects.requireNonNull(form, "form");
    this.index = index;
    this.count = count;
    this.after = after;
    this.upTo = upTo;
    this.unplanned = unplanned;
  }

  /**
   * The whole form as one range, planned by no request: its reader counts the API's total from the
   * first page.
   */
  static RecordRange unplanned(FormContext form) {
    return new RecordRange(form, 0, 1, null, null, true);
  }

  /** Whether the API's total of the form is counted from this range's first page. */
  boolean countsTotal() {
    return unplanned;
  }

  FormContext form() {
    return form;
  }

  /** 0-based position among the form's ranges. */
  int index() {
    return index;
  }

  /** How many ranges the form was cut into. */
  int count() {
    return count;
  }

  @Nullable
  Long after() {
    return after;
  }

  @Nullable
  Long upTo() {
    return upTo;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof RecordRange)) {
      return false;
    }
    RecordRange r = (RecordRange) o;
    return form.equals(r.form)
        && index == r.index
        && count == r.count
        && Objects.equals(after, r.after)
        && Objects.equals(upTo, r.upTo)
        && unplanned == r.unplanned;
  }

  @Override
  public int hashCode() {
    return Objects.hash(form, index, count, after, upTo, unplanned);
  }

  @Override
  public String toString() {
    return form.form()
        + " range "
        + (index + 1)
        + "/"
        + count
        + " recordId "
        + (after == null ? "(-inf" : "(" + after)
        + ", "
        + (upTo == null ? "+inf)" : upTo + "]");
  }
}
