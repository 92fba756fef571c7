package org.imednet.export.sinks.snowflake;

import static org.imednet.export.sinks.snowflake.Fixtures.batch;
import static org.imednet.export.sinks.snowflake.Fixtures.form;
import static org.imednet.export.sinks.snowflake.Fixtures.row;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import java.util.Map;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.TableSchema;
import org.junit.jupiter.api.Test;

class BatchContentTest {
  private final TableSchema demog = form("S1", "DEMOG");

  @Test
  void hashDependsOnContentNotOrderOrSplit() {
    Object[] a = row("S1", "DEMOG", 1, 30L, 70.5, 1);
    Object[] b = row("S1", "DEMOG", 2, 40L, null, 2);
    BatchContent one = BatchContent.of(List.of(batch(demog, a, b)), "S1_DEMOG");
    BatchContent two = BatchContent.of(List.of(batch(demog, b), batch(demog, a)), "S1_DEMOG");
    assertEquals(one.sha256, two.sha256);
    assertEquals(64, one.sha256.length());
    assertArrayEquals(a, two.rows.get(0));

    Object[] changed = row("S1", "DEMOG", 2, 41L, null, 2);
    assertNotEquals(
        one.sha256, BatchContent.of(List.of(batch(demog, a, changed)), "S1_DEMOG").sha256);
    assertNotEquals(one.sha256, BatchContent.of(List.of(batch(demog, a, b)), "OTHER").sha256);
  }

  @Test
  void keepsTheLatestVersionOfARecordSeenTwice() {
    Object[] old = row("S1", "DEMOG", 7, 30L, 1.0, 1);
    Object[] newer = row("S1", "DEMOG", 7, 31L, 1.0, 9);
    BatchContent c = BatchContent.of(List.of(batch(demog, newer), batch(demog, old)), "T");
    assertEquals(1, c.size());
    assertArrayEquals(newer, c.rows.get(0));
    assertEquals(List.of("study_key", "record_id"), c.keyColumns);
    assertEquals(Map.of("DEMOG", 2L), c.rowsByTableKey);
  }

  @Test
  void unitesColumnsOfSeveralFormsAndWidensConflictsToText() {
    TableSchema vitals =
        TableSchema.form(
            "S1",
            "VITALS",
            11L,
            List.of(
                Column.metadata("study_key", ColumnType.STRING),
                Column.metadata("form_key", ColumnType.STRING),
                Column.metadata("record_id", ColumnType.LONG),
                Column.variable("age", ColumnType.STRING, "age", "text", null),
                Column.variable("bp", ColumnType.LONG, "bp", "integer", null)));
    BatchContent c =
        BatchContent.of(
            List.of(
                batch(demog, row("S1", "DEMOG", 1, 30L, null, 1)),
                batch(vitals, new Object[] {"S1", "VITALS", 2L, "thirty", 120L})),
            "RECORDS");
    assertEquals(
        List.of(
            "study_key",
            "form_key",
            "record_id",
            "deleted",
            "date_modified",
            "AGE",
            "weight kg",
            "dob",
            "bp"),
        c.columns.stream().map(Column::name).collect(java.util.stream.Collectors.toList()));
    assertEquals(ColumnType.STRING, c.columns.get(5).type());
    assertEquals("30", c.rows.get(0)[5]);
    assertEquals("thirty", c.rows.get(1)[5]);
    assertEquals(120L, c.rows.get(1)[8]);
    assertEquals("*", c.tableKey);
    assertEquals(Map.of("DEMOG", 1L, "VITALS", 1L), c.rowsByTableKey);
  }

  @Test
  void metadataTablesAreKeyedByTheirId() {
    TableSchema sites = Fixtures.sites("S1");
    assertEquals(List.of("study_key", "site_id"), BatchContent.keyColumns(sites, sites.columns()));
    TableSchema other =
        TableSchema.metadata(
            "S1",
            "keywords",
            List.of(
                Column.metadata("study_key", ColumnType.STRING),
                Column.metadata("word", ColumnType.STRING)));
    assertEquals(List.of("study_key", "word"), BatchContent.keyColumns(other, other.columns()));
  }
}
