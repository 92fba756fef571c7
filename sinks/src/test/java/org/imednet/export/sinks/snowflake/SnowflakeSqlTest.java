package org.imednet.export.sinks.snowflake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.ColumnType;
import org.junit.jupiter.api.Test;

class SnowflakeSqlTest {
  @Test
  void identifiersAreQuotedAndUpperCasedOnlyWhenValidUnquoted() {
    assertEquals("\"STUDY_KEY\"", SnowflakeSql.identifier("study_key"));
    assertEquals("\"Weight kg\"", SnowflakeSql.identifier("Weight kg"));
    assertEquals("\"a\"\"b\"", SnowflakeSql.identifier("a\"b"));
    assertEquals("\"1ST\"", SnowflakeSql.identifier("1ST"));
    assertEquals("\"DB\".\"RAW\".\"T\"", SnowflakeSql.qualifiedTable("db", "raw", "T"));
    assertThrows(IllegalArgumentException.class, () -> SnowflakeSql.identifier(""));
  }

  @Test
  void putQuotesAPathWithSpacesAndQuotes() {
    assertEquals(
        "PUT 'file:///tmp/my dir/it\\'s/ab.parquet' @\"MY_STAGE\"/imednet/S_F/"
            + " AUTO_COMPRESS = FALSE OVERWRITE = FALSE",
        SnowflakeSql.put("/tmp/my dir/it's/ab.parquet", "my_stage", "imednet/S_F"));
    assertEquals(
        "PUT 'file://C:\\\\x\\\\a.parquet' @~/p/ AUTO_COMPRESS = FALSE OVERWRITE = FALSE",
        SnowflakeSql.put("C:\\x\\a.parquet", "~", "p"));
  }

  @Test
  void copyIntoMatchesByNameAndHonoursForce() {
    assertEquals(
        "COPY INTO \"DB\".\"RAW\".\"T\" FROM @\"STAGE\"/imednet/T/ab12.parquet"
            + " FILE_FORMAT = (TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE FORCE = FALSE",
        SnowflakeSql.copyInto("\"DB\".\"RAW\".\"T\"", "STAGE", "imednet/T/ab12.parquet", false));
    assertEquals(
        "COPY INTO t FROM @\"STAGE\"/f.parquet"
            + " FILE_FORMAT = (TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE FORCE = TRUE",
        SnowflakeSql.copyInto("t", "STAGE", "f.parquet", true));
  }

  @Test
  void stagePathsAllowOnlySafeSegments() {
    assertEquals("imednet/prod=1/a-b.c", SnowflakeSql.checkStagePath("imednet/prod=1/a-b.c"));
    assertThrows(IllegalArgumentException.class, () -> SnowflakeSql.checkStagePath("a b"));
    assertThrows(IllegalArgumentException.class, () -> SnowflakeSql.checkStagePath("a//b"));
    assertThrows(IllegalArgumentException.class, () -> SnowflakeSql.checkStagePath("a'b"));
  }

  @Test
  void tableDdlMapsEveryType() {
    List<Column> cols =
        List.of(
            Column.metadata("study_key", ColumnType.STRING),
            Column.metadata("record_id", ColumnType.LONG),
            Column.variable("Weight kg", ColumnType.DOUBLE, "W", "number", null),
            Column.variable("ok", ColumnType.BOOLEAN, "ok", "boolean", null),
            Column.variable("dob", ColumnType.DATE, "dob", "date", null),
            Column.metadata("date_created", ColumnType.TIMESTAMP));
    assertEquals(
        "CREATE TABLE IF NOT EXISTS T (\"STUDY_KEY\" VARCHAR, \"RECORD_ID\" NUMBER(38,0),"
            + " \"Weight kg\" FLOAT, \"OK\" BOOLEAN, \"DOB\" DATE, \"DATE_CREATED\" TIMESTAMP_NTZ)",
        SnowflakeSql.createTableIfNotExists("T", cols));
    assertEquals(
        "CREATE OR REPLACE TRANSIENT TABLE S (\"STUDY_KEY\" VARCHAR, \"RECORD_ID\" NUMBER(38,0))",
        SnowflakeSql.createStagingTable("S", cols.subList(0, 2)));
    assertEquals(
        "ALTER TABLE T ADD COLUMN IF NOT EXISTS \"Weight kg\" FLOAT",
        SnowflakeSql.addColumn("T", cols.get(2)));
  }

  @Test
  void replaceStatementsMatchOnEveryKeyColumn() {
    assertEquals(
        "DELETE FROM T t WHERE EXISTS (SELECT 1 FROM S s WHERE s.\"STUDY_KEY\" = t.\"STUDY_KEY\""
            + " AND s.\"RECORD_ID\" = t.\"RECORD_ID\")",
        SnowflakeSql.deleteReplaced("T", "S", List.of("study_key", "record_id")));
    assertEquals(
        "INSERT INTO T (\"STUDY_KEY\", \"Weight kg\") SELECT \"STUDY_KEY\", \"Weight kg\" FROM S",
        SnowflakeSql.insertFromStaging(
            "T",
            "S",
            List.of(
                Column.metadata("study_key", ColumnType.STRING),
                Column.variable("Weight kg", ColumnType.DOUBLE, "W", null, null))));
    assertEquals("REMOVE @\"STAGE\"/p/T/x.parquet", SnowflakeSql.remove("STAGE", "p/T/x.parquet"));
  }

  @Test
  void tableNamesAreSanitizedPerStudyAndForm() {
    assertEquals(
        "MY_STUDY_DEMOG_2", TableNames.sanitize("my-study") + "_" + TableNames.sanitize("demog 2"));
  }
}
