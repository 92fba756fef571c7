package org.imednet.export.read;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class RecordRangesTest {

  @Test
  void oneRangeWhenTheFormFitsInOne() {
    assertEquals(List.of(), RecordRanges.boundaries(100, 900, 50, 50));
    assertEquals(List.of(), RecordRanges.boundaries(100, 900, 0, 50));
  }

  @Test
  void cutsTheSpanIntoEqualWidths() {
    // (99, 1099] into 4 ranges of 250 ids: (-inf,349] (349,599] (599,849] (849,+inf)
    assertEquals(List.of(349L, 599L, 849L), RecordRanges.boundaries(100, 1099, 400, 100));
    // 401 records at 100 per range: 5 ranges over 1000 ids
    assertEquals(List.of(299L, 499L, 699L, 899L), RecordRanges.boundaries(100, 1099, 401, 100));
  }

  @Test
  void neverMoreRangesThanIds() {
    assertEquals(List.of(10L, 11L), RecordRanges.boundaries(10, 12, 3, 1));
    assertEquals(List.of(), RecordRanges.boundaries(7, 7, 5, 1));
  }

  @Test
  void hugeSpansDoNotOverflow() {
    List<Long> cuts = RecordRanges.boundaries(1, Long.MAX_VALUE - 1, 3, 1);
    assertEquals(2, cuts.size());
    assertEquals(List.of(3074457345618258602L, 6148914691236517204L), cuts);
  }
}
