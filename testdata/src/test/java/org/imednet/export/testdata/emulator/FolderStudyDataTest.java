package org.imednet.export.testdata.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.imednet.export.testdata.SampleStudies;
import org.junit.jupiter.api.Test;

class FolderStudyDataTest {
  private final FolderStudyData data = FolderStudyData.load(SampleStudies.root());

  private static List<Long> ids(Iterator<JsonNode> it) {
    List<Long> out = new ArrayList<>();
    it.forEachRemaining(n -> out.add(n.get("recordId").asLong()));
    return out;
  }

  @Test
  void slicesByFormAndIdRangeWithOffsetBothWays() {
    Slice vs = Slice.all().withFormId(3101);
    assertEquals(75, data.count("CARDIO01", Resource.RECORDS, vs));
    List<Long> asc = ids(data.items("CARDIO01", Resource.RECORDS, vs, 0, false));
    List<Long> desc = ids(data.items("CARDIO01", Resource.RECORDS, vs, 0, true));
    assertEquals(75, asc.size());
    List<Long> reversed = new ArrayList<>(asc);
    java.util.Collections.reverse(reversed);
    assertEquals(reversed, desc);
    Slice tail = vs.after(asc.get(69));
    assertEquals(5, data.count("CARDIO01", Resource.RECORDS, tail));
    assertEquals(
        asc.subList(72, 75), ids(data.items("CARDIO01", Resource.RECORDS, tail, 2, false)));
    assertEquals(0, data.count("CARDIO01", Resource.RECORDS, Slice.all().withFormId(3104)));
    assertEquals(6, data.count("CARDIO01", Resource.VARIABLES, Slice.all().withFormId(3100)));
  }

  @Test
  void addReplaceRemoveRecords() {
    ObjectNode r = data.record("CARDIO01", 880001L);
    r.put("recordId", 880500L);
    data.addRecord("CARDIO01", r);
    assertEquals(192, data.count("CARDIO01", Resource.RECORDS, Slice.all()));
    assertThrows(IllegalArgumentException.class, () -> data.addRecord("CARDIO01", r));
    ObjectNode changed = r.deepCopy();
    changed.put("recordStatus", "Record Verified");
    data.replaceRecord("CARDIO01", changed);
    assertEquals("Record Verified", data.record("CARDIO01", 880500L).get("recordStatus").asText());
    assertTrue(data.removeRecord("CARDIO01", 880500L));
    assertFalse(data.removeRecord("CARDIO01", 880500L));
    assertNull(data.record("CARDIO01", 880500L));
    assertEquals(191, data.count("CARDIO01", Resource.RECORDS, Slice.all()));
    assertThrows(IllegalArgumentException.class, () -> data.replaceRecord("CARDIO01", r));
  }
}
