package org.imednet.export.testdata.emulator;

import java.util.Objects;

/**
 * The part of a query a {@link StudyData} answers by index rather than by scanning: an optional
 * {@code formId} (records and variables) and a primary-id range {@code (afterId, upToId]}. The
 * emulator extracts it from the AND terms {@code formId==F}, {@code id>X}, {@code id>=X}, {@code
 * id<X}, {@code id<=X} of a filter, so the exporter's keyset query {@code formId==F;recordId>X}
 * starts in O(log n) or O(1).
 */
public final class Slice {
  private static final Slice ALL = new Slice(null, Long.MIN_VALUE, Long.MAX_VALUE);

  private final Long formId;
  private final long afterId;
  private final long upToId;

  private Slice(Long formId, long afterId, long upToId) {
    this.formId = formId;
    this.afterId = afterId;
    this.upToId = upToId;
  }

  public static Slice all() {
    return ALL;
  }

  public static Slice of(Long formId, long afterId, long upToId) {
    return new Slice(formId, afterId, upToId);
  }

  public Slice withFormId(long id) {
    return new Slice(id, afterId, upToId);
  }

  /** Narrows the id range to ids {@code > id}. */
  public Slice after(long id) {
    return new Slice(formId, Math.max(afterId, id), upToId);
  }

  /** Narrows the id range to ids {@code <= id}. */
  public Slice upTo(long id) {
    return new Slice(formId, afterId, Math.min(upToId, id));
  }

  public Long formId() {
    return formId;
  }

  /** Exclusive lower bound of the primary id; {@link Long#MIN_VALUE} when unbounded. */
  public long afterId() {
    return afterId;
  }

  /** Inclusive upper bound of the primary id; {@link Long#MAX_VALUE} when unbounded. */
  public long upToId() {
    return upToId;
  }

  public boolean isEmptyRange() {
    return afterId >= upToId;
  }

  public boolean contains(long id) {
    return id > afterId && id <= upToId;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Slice)) {
      return false;
    }
    Slice s = (Slice) o;
    return Objects.equals(formId, s.formId) && afterId == s.afterId && upToId == s.upToId;
  }

  @Override
  public int hashCode() {
    return Objects.hash(formId, afterId, upToId);
  }

  @Override
  public String toString() {
    return "Slice{formId=" + formId + ", (" + afterId + ", " + upToId + "]}";
  }
}
