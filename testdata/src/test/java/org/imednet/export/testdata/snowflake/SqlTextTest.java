package org.imednet.export.testdata.snowflake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The Snowflake → DuckDB rewrite, statement by statement. */
class SqlTextTest {

  private static String duck(String sql) {
    return SqlText.parse(sql).toDuckDb("DB");
  }

  @Test
  void upperCasesUnquotedIdentifiersAndKeepsQuotedOnesAndLiterals() {
    assertEquals(
        "SELECT ID, \"mixedCase\" FROM DB.S.T WHERE NAME = 'Ann''s' -- note",
        duck("select id, \"mixedCase\" from db.s.t where name = 'Ann\\'s' -- note"));
  }

  @Test
  void mapsSnowflakeTypesInColumnDefinitionsAndCasts() {
    assertEquals(
        "CREATE TABLE T (A DECIMAL(38,0), B DECIMAL(10,2), C DOUBLE, D VARCHAR(20), E TIMESTAMP,"
            + " F TIMESTAMPTZ, G JSON, H BLOB, I DECIMAL(38,0), J VARCHAR)",
        duck(
            "create table t (a number, b number(10,2), c float, d varchar(20), e timestamp_ntz(9),"
                + " f timestamp_ltz, g variant, h binary(8), i int, j string)"));
    assertEquals(
        "SELECT X::DECIMAL(38,0), CAST(Y AS DOUBLE) FROM T",
        duck("select x::number, cast(y as float) from t"));
    assertEquals("SELECT NUMBER, TEXT FROM T", duck("select number, text from t"));
  }

  @Test
  void addColumnPositionsAreTypePositions() {
    assertEquals(
        "ALTER TABLE T ADD COLUMN IF NOT EXISTS N DECIMAL(38,0)",
        duck("alter table t add column if not exists n number"));
  }

  @Test
  void quotesSnowflakeIdentifiersThatDuckDbReserves() {
    assertEquals(
        "CREATE TABLE T (\"AT\" TIMESTAMP, \"END\" VARCHAR, PRIMARY KEY (ID))",
        duck("create table t (at timestamp_ntz, end varchar, primary key (id))"));
    assertEquals(
        "SELECT \"AT\", T.\"END\" FROM T ORDER BY \"AT\" DESC",
        duck("select at, t.end from t order by at desc"));
  }

  @Test
  void informationSchemaViewsReadTheNamedOrCurrentDatabase() {
    String columns =
        duck("SELECT COLUMN_NAME FROM OTHER.INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = 'T'");
    assertTrue(
        columns.contains(
            "FROM duckdb_columns() WHERE NOT internal AND database_name = 'OTHER') AS COLUMNS WHERE TABLE_NAME = 'T'"),
        columns);
    String aliased = duck("SELECT c.COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS c");
    assertTrue(aliased.endsWith("database_name = 'DB') C"), aliased);
  }

  @Test
  void bindsAndNiladicFunctions() {
    SqlText text = SqlText.parse("select current_timestamp(), :1, :2 from t where a = :1");
    assertEquals("SELECT CURRENT_TIMESTAMP, $1, $2 FROM T WHERE A = $1", text.toDuckDb());
    assertEquals(2, text.bindCount());
    assertEquals(2, SqlText.parse("insert into t values (?, ?, '?')").bindCount());
  }
}
