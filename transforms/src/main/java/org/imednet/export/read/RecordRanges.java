package org.imednet.export.read;

import java.util.ArrayList;
import java.util.List;

/** Cuts a form's recordId span into ranges of about equal width (pure logic). */
final class RecordRanges {
  private RecordRanges() {}

  /**
   * The inner boundaries that cut {@code (min - 1, max]} into about {@code totalElements /
   * recordsPerRange} ranges (at least one, at most one per id). A range {@code i} is {@code
   * (boundary[i-1], boundary[i]]}; the first is open below and the last open above. Ids are assumed
   * to be spread evenly over the span, which holds for EDC-assigned ascending ids.
   */
  static List<Long> boundaries(long minId, long maxId, long totalElements, long recordsPerRange) {
    if (maxId < minId || totalElements <= recordsPerRange) {
      return List.of();
    }
    long wanted = (totalElements + recordsPerRange - 1) / recordsPerRange;
    long span = maxId - minId + 1;
    long ranges = Math.min(wanted, span);
    List<Long> cuts = new ArrayList<>();
    long previous = Long.MIN_VALUE;
    for (long i = 1; i < ranges; i++) {
      // (span / ranges) * i + (span % ranges) * i / ranges, without overflow for any long span.
      long offset = Math.multiplyExact(span / ranges, i) + (span % ranges) * i / ranges;
      long cut = minId - 1 + offset;
      if (cut > previous && cut < maxId) {
        cuts.add(cut);
        previous = cut;
      }
    }
    return cuts;
  }
}
