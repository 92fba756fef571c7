package org.imednet.export.testdata.generator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Day {@code D >= 2} of a synthetic study: which records change, and how. */
class SyntheticStudyDaysTest {
  private static final int RECORDS = 3000;

  /** 2 studies of 3 forms, 9 variables (V001_INTEGER and V005_TEXT among them), 3000 records. */
  private static SyntheticStudySpec small() {
    return SyntheticStudySpec.create()
        .withSeed(9)
        .withStudies(2)
        .withFormsPerStudy(3)
        .withVariablesPerForm(9)
        .withRecordsPerStudy(RECORDS);
  }

  @Test
  void dayOneIsTheSameDataWhateverChangeEvery(@TempDir Path dir) throws Exception {
    new SyntheticStudyData(small()).writeNdjson(dir.resolve("default.ndjson"));
    new SyntheticStudyData(small().withChanges(1, 1)).writeNdjson(dir.resolve("every.ndjson"));
    new SyntheticStudyData(small().withChanges(2, 2)).writeNdjson(dir.resolve("day2.ndjson"));
    byte[] dayOne = Files.readAllBytes(dir.resolve("default.ndjson"));
    assertArrayEquals(dayOne, Files.readAllBytes(dir.resolve("every.ndjson")));
    assertFalse(java.util.Arrays.equals(dayOne, Files.readAllBytes(dir.resolve("day2.ndjson"))));
    SyntheticStudyData every = new SyntheticStudyData(small().withChanges(1, 1));
    for (long i = 0; i < RECORDS; i++) {
      assertEquals(1, every.lastChangeDay(2, i));
    }
  }

  @Test
  void dayTwoChangesTheDateModifiedAndTwoValuesOfTheChosenRecordsOnly() {
    SyntheticStudyData dayOne = new SyntheticStudyData(small());
    SyntheticStudyData dayTwo = new SyntheticStudyData(small().withChanges(10, 2));
    int changed = 0;
    int newlyDeleted = 0;
    int stillDeleted = 0;
    int blankIntegers = 0;
    for (int s = 1; s <= 2; s++) {
      for (long i = 0; i < RECORDS; i++) {
        ObjectNode before = dayOne.record(s, i);
        ObjectNode after = dayTwo.record(s, i);
        if (dayTwo.lastChangeDay(s, i) == 1) {
          assertEquals(before.toString(), after.toString());
          continue;
        }
        assertEquals(2, dayTwo.lastChangeDay(s, i));
        changed++;
        ObjectNode expected = before.deepCopy();
        expected.put("dateModified", "2120-01-02 12:00:00");
        ObjectNode values = (ObjectNode) expected.get("recordData");
        values.put("dateModified", "2120-01-02 12:00:00");
        String integer = values.get("V001_INTEGER").asText();
        blankIntegers += integer.isEmpty() ? 1 : 0;
        values.put(
            "V001_INTEGER",
            String.valueOf((integer.isEmpty() ? 0 : Integer.parseInt(integer)) + 2));
        values.put("V005_TEXT", values.get("V005_TEXT").asText() + " (day 2)");
        if (before.get("deleted").asBoolean()) {
          stillDeleted++;
        } else if (after.get("deleted").asBoolean()) {
          expected.put("deleted", true);
          newlyDeleted++;
        }
        assertEquals(expected.toString(), after.toString());
      }
    }
    assertEquals(622, changed);
    assertEquals(63, newlyDeleted);
    assertEquals(3, stillDeleted);
    assertEquals(30, blankIntegers);
  }

  @Test
  void aLaterDayCarriesEachRecordsLatestChange() {
    SyntheticStudySpec spec = small().withChanges(10, 5);
    SyntheticStudyData dayFive = new SyntheticStudyData(spec);
    SyntheticStudyData[] days = new SyntheticStudyData[6];
    days[1] = new SyntheticStudyData(small());
    for (int d = 2; d <= 5; d++) {
      days[d] = new SyntheticStudyData(spec.withChanges(10, d));
    }
    int[] latest = new int[6];
    int[] changedOn = new int[6];
    int changedOnTwoAndThree = 0;
    for (long i = 0; i < RECORDS; i++) {
      int d = dayFive.lastChangeDay(1, i);
      latest[d]++;
      // A record is on day 5 as on the day of its latest change.
      assertEquals(days[d].record(1, i).toString(), dayFive.record(1, i).toString());
      for (int on = 2; on <= 5; on++) {
        changedOn[on] += days[on].lastChangeDay(1, i) == on ? 1 : 0;
      }
      changedOnTwoAndThree +=
          days[2].lastChangeDay(1, i) == 2 && days[3].lastChangeDay(1, i) == 3 ? 1 : 0;
    }
    assertEquals(
        List.of(1985, 212, 252, 268, 283),
        List.of(latest[1], latest[2], latest[3], latest[4], latest[5]));
    assertEquals(
        List.of(294, 311, 291, 283),
        List.of(changedOn[2], changedOn[3], changedOn[4], changedOn[5]));
    assertEquals(31, changedOnTwoAndThree);
  }

  @Test
  void changedAtIsNoonOfAFixedDayAfterEveryDayOneDateModified() {
    assertEquals("2120-01-02 12:00:00", SyntheticStudyData.changedAt(2));
    assertEquals("2120-01-10 12:00:00", SyntheticStudyData.changedAt(10));
    assertEquals("2120-02-01 12:00:00", SyntheticStudyData.changedAt(32));
    assertEquals("2129-12-28 12:00:00", SyntheticStudyData.changedAt(SyntheticStudySpec.MAX_DAY));
    for (int d = 2; d < SyntheticStudySpec.MAX_DAY; d++) {
      // Same format and four-digit years: text order is time order.
      assertTrue(
          SyntheticStudyData.changedAt(d).compareTo(SyntheticStudyData.changedAt(d + 1)) < 0);
    }
    assertEquals(
        "day must be 2..3650, was 1",
        assertThrows(IllegalArgumentException.class, () -> SyntheticStudyData.changedAt(1))
            .getMessage());
    assertThrows(IllegalArgumentException.class, () -> SyntheticStudyData.changedAt(3651));
    // The latest day-1 dateModified of any spec: the last of 10^9 records, created 3 s apart and
    // modified at most 15 + 65,535 s after its slot.
    long records = 1_000_000_000L;
    SyntheticStudyData biggest =
        new SyntheticStudyData(
            SyntheticStudySpec.create()
                .withFormsPerStudy(1)
                .withVariablesPerForm(1)
                .withRecordsPerStudy(records));
    String bound = biggest.recordTimestamp((records - 1) * 3 + 15 + 65_535);
    assertEquals("2119-01-25 23:32:27", bound);
    assertTrue(bound.compareTo(SyntheticStudyData.changedAt(2)) < 0);
    for (long i = records - 30_000; i < records; i++) {
      JsonNode r = biggest.record(1, i);
      assertTrue(r.get("dateModified").asText().compareTo(bound) <= 0, r.toString());
    }
  }

  @Test
  void aMillionRecordsChangeAboutOnePercentADay() {
    SyntheticStudyData dayOne = new SyntheticStudyData(SyntheticStudySpec.create());
    SyntheticStudyData dayTwo =
        new SyntheticStudyData(SyntheticStudySpec.create().withChanges(100, 2));
    SyntheticStudyData dayThree =
        new SyntheticStudyData(SyntheticStudySpec.create().withChanges(100, 3));
    int onDayTwo = 0;
    int deletedOnDayTwo = 0;
    int deletedSinceDayOne = 0;
    int onDayThree = 0;
    int sinceDayOne = 0;
    for (long i = 0; i < 1_000_000; i++) {
      if (dayTwo.lastChangeDay(1, i) == 2) {
        onDayTwo++;
        if (dayTwo.record(1, i).get("deleted").asBoolean()) {
          deletedOnDayTwo++;
          deletedSinceDayOne += dayOne.record(1, i).get("deleted").asBoolean() ? 1 : 0;
        }
      }
      int d = dayThree.lastChangeDay(1, i);
      onDayThree += d == 3 ? 1 : 0;
      sinceDayOne += d > 1 ? 1 : 0;
    }
    assertEquals(9884, onDayTwo);
    assertEquals(1075, deletedOnDayTwo);
    assertEquals(65, deletedSinceDayOne);
    assertEquals(9965, onDayThree);
    assertEquals(19757, sinceDayOne);
  }
}
