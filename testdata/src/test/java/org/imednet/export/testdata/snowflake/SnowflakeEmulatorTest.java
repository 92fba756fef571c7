package org.imednet.export.testdata.snowflake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import net.snowflake.client.api.exception.SnowflakeSQLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real snowflake-jdbc driver against the emulator: sessions, SQL, stages and COPY. */
class SnowflakeEmulatorTest {
  @TempDir static Path tmp;
  static SnowflakeEmulator emu;

  @BeforeAll
  static void start() throws Exception {
    emu =
        SnowflakeEmulator.builder()
            .root(tmp.resolve("emu"))
            .credentials("loader", "s3cret")
            .build()
            .start();
    try (Connection c = connect("TESTDB", "RAW");
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE TESTDB");
      st.execute("CREATE SCHEMA RAW");
    }
  }

  @AfterAll
  static void stop() {
    emu.close();
  }

  static Properties props(String db, String schema) {
    Properties p = new Properties();
    p.put("user", "loader");
    p.put("password", "s3cret");
    if (db != null) {
      p.put("db", db);
    }
    if (schema != null) {
      p.put("schema", schema);
    }
    p.put("warehouse", "EMU_WH");
    p.put("disablePlatformDetection", "true");
    return p;
  }

  static Connection connect(String db, String schema) throws SQLException {
    return DriverManager.getConnection(emu.jdbcUrl(), props(db, schema));
  }

  static List<List<String>> rows(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      return rows(rs);
    }
  }

  static List<List<String>> rows(ResultSet rs) throws SQLException {
    List<List<String>> out = new ArrayList<>();
    int n = rs.getMetaData().getColumnCount();
    while (rs.next()) {
      List<String> row = new ArrayList<>();
      for (int i = 1; i <= n; i++) {
        row.add(rs.getString(i));
      }
      out.add(row);
    }
    return out;
  }

  static List<String> labels(ResultSet rs) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= md.getColumnCount(); i++) {
      out.add(md.getColumnLabel(i));
    }
    return out;
  }

  /** Writes a Parquet file with DuckDB. */
  static Path parquet(String name, String select) throws SQLException {
    Path file = tmp.resolve("local").resolve(name);
    try {
      Files.createDirectories(file.getParent());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      st.execute("COPY (" + select + ") TO '" + file + "' (FORMAT parquet)");
    }
    return file;
  }

  @Test
  void wrongPasswordIsRejected() {
    Properties p = props("TESTDB", "RAW");
    p.put("password", "wrong");
    SQLException e =
        assertThrows(SQLException.class, () -> DriverManager.getConnection(emu.jdbcUrl(), p));
    assertEquals(390100, e.getErrorCode());
    assertEquals("08001", e.getSQLState());
  }

  @Test
  void ddlDmlAndBinds() throws Exception {
    try (Connection c = connect("TESTDB", "RAW");
        Statement st = c.createStatement()) {
      assertEquals("TESTDB", c.getCatalog());
      assertEquals("RAW", c.getSchema());
      st.execute(
          "create or replace table people (id number(38,0), name varchar(100), score float,"
              + " born date, seen timestamp_ntz(9), ok boolean, \"quoted\" string)");
      assertEquals(1, st.executeUpdate("insert into people (id, name) values (1, 'ann')"));
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO PEOPLE (ID, NAME, SCORE, BORN, SEEN, OK, \"quoted\")"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?)")) {
        for (int i = 2; i <= 3; i++) {
          ps.setLong(1, i);
          ps.setString(2, "p" + i);
          ps.setDouble(3, i + 0.5);
          ps.setDate(4, java.sql.Date.valueOf(LocalDate.of(2024, 1, i)));
          ps.setTimestamp(
              5, Timestamp.valueOf(LocalDateTime.of(2024, 1, i, 10, 0, 0, 123_000_000)));
          ps.setBoolean(6, i % 2 == 0);
          ps.setNull(7, java.sql.Types.VARCHAR);
          ps.addBatch();
        }
        assertArrayEqualsInts(new int[] {1, 1}, ps.executeBatch());
      }
      try (PreparedStatement ps = c.prepareStatement("select name from people where id = ?")) {
        ps.setLong(1, 2);
        try (ResultSet rs = ps.executeQuery()) {
          assertEquals(List.of(List.of("p2")), rows(rs));
        }
      }
      assertEquals(1, st.executeUpdate("update people set name = 'bob' where id = 1"));
      try (ResultSet rs =
          st.executeQuery(
              "select id, name, score, born, seen, ok, \"quoted\" from people order by id")) {
        assertEquals(List.of("ID", "NAME", "SCORE", "BORN", "SEEN", "OK", "quoted"), labels(rs));
        assertEquals(
            List.of(
                Arrays.asList("1", "bob", null, null, null, null, null),
                Arrays.asList(
                    "2", "p2", "2.5", "2024-01-02", "2024-01-02 10:00:00.123", "TRUE", null),
                Arrays.asList(
                    "3", "p3", "3.5", "2024-01-03", "2024-01-03 10:00:00.123", "FALSE", null)),
            rows(rs));
      }
      try (ResultSet rs = st.executeQuery("select count(*), max(score) from people")) {
        assertEquals(List.of("COUNT(*)", "MAX(SCORE)"), labels(rs));
        rs.next();
        assertEquals(3, rs.getLong(1));
        assertEquals(3.5, rs.getDouble(2));
      }
      assertEquals(2, st.executeUpdate("delete from people where id >= 2"));
      st.execute("alter table people add column extra1 number(10,2), extra2 text");
      assertEquals(
          List.of(List.of(new BigDecimal("1"), "bob", new BigDecimal("1.50"))),
          emu.query("UPDATE TESTDB.RAW.PEOPLE SET EXTRA1 = 1.5 RETURNING ID, NAME, EXTRA1"));
      SnowflakeSQLException missing =
          assertThrows(
              SnowflakeSQLException.class, () -> st.executeQuery("select * from no_such_table"));
      assertEquals(2003, missing.getErrorCode());
      assertEquals("42S02", missing.getSQLState());
    }
  }

  private static void assertArrayEqualsInts(int[] expected, int[] actual) {
    assertEquals(Arrays.toString(expected), Arrays.toString(actual));
  }

  @Test
  void putListCopyAndRemove() throws Exception {
    Path data =
        parquet(
            "data.parquet",
            "SELECT i AS id, 'n' || i AS name, i * 1.5 AS amount, 'x' AS not_in_table"
                + " FROM range(10) t(i)");
    try (Connection c = connect("TESTDB", "RAW");
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE OR REPLACE TABLE LOADED (ID NUMBER, NAME VARCHAR, AMOUNT FLOAT, NOTE VARCHAR)");
      st.execute("CREATE STAGE LOAD_STAGE");
      List<List<String>> put =
          rows(st, "PUT file://" + data + " @LOAD_STAGE/run1/ AUTO_COMPRESS=FALSE OVERWRITE=FALSE");
      assertEquals("UPLOADED", put.get(0).get(6));
      List<List<String>> again =
          rows(st, "PUT file://" + data + " @LOAD_STAGE/run1/ AUTO_COMPRESS=FALSE OVERWRITE=FALSE");
      assertEquals("SKIPPED", again.get(0).get(6));
      List<List<String>> list = rows(st, "LIST @LOAD_STAGE/run1");
      assertEquals(1, list.size());
      assertEquals("load_stage/run1/data.parquet", list.get(0).get(0));
      assertEquals(Long.toString(Files.size(data)), list.get(0).get(1));
      assertEquals(Stages.md5(data), list.get(0).get(2));

      String copy =
          "COPY INTO TESTDB.RAW.LOADED FROM @LOAD_STAGE/run1/ FILE_FORMAT = (TYPE = PARQUET)"
              + " MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE FORCE = FALSE";
      try (ResultSet rs = st.executeQuery(copy)) {
        assertEquals(
            List.of(
                "file",
                "status",
                "rows_parsed",
                "rows_loaded",
                "error_limit",
                "errors_seen",
                "first_error",
                "first_error_line",
                "first_error_character",
                "first_error_column_name"),
            labels(rs));
        assertEquals(
            List.of(
                Arrays.asList(
                    "load_stage/run1/data.parquet",
                    "LOADED",
                    "10",
                    "10",
                    "1",
                    "0",
                    null,
                    null,
                    null,
                    null)),
            rows(rs));
      }
      assertEquals(
          List.of(List.of(10L, 45L, 0L)),
          emu.query("SELECT count(*), sum(ID)::BIGINT, count(NOTE) FROM TESTDB.RAW.LOADED"));
      try (ResultSet rs = st.executeQuery(copy)) {
        assertEquals(List.of("status"), labels(rs));
        assertEquals(List.of(List.of("Copy executed with 0 files processed.")), rows(rs));
      }
      assertEquals(0, st.executeUpdate(copy));

      // A changed file under the same name loads again.
      Path changed =
          parquet("data.parquet", "SELECT 100 + i AS ID, 'm' AS NAME FROM range(3) t(i)");
      rows(st, "PUT 'file://" + changed + "' @LOAD_STAGE/run1/ AUTO_COMPRESS=FALSE OVERWRITE=TRUE");
      assertEquals(3, st.executeUpdate(copy));
      assertEquals(3, st.executeUpdate(copy.replace("FORCE = FALSE", "FORCE = TRUE")));
      assertEquals(List.of(List.of(16L)), emu.query("SELECT count(*) FROM TESTDB.RAW.LOADED"));

      List<List<String>> removed = rows(st, "REMOVE @LOAD_STAGE/run1/");
      assertEquals(List.of(List.of("load_stage/run1/data.parquet", "removed")), removed);
      assertEquals(List.of(), rows(st, "LIST @LOAD_STAGE"));
    }
  }

  @Test
  void putQuotedPathWithSpace() throws Exception {
    Files.createDirectories(tmp.resolve("local/a b"));
    Path data = parquet("a b/x.parquet", "SELECT 1 AS ID");
    try (Connection c = connect("TESTDB", "RAW");
        Statement st = c.createStatement()) {
      st.execute("CREATE STAGE IF NOT EXISTS SPACE_STAGE");
      List<List<String>> put = rows(st, "PUT 'file://" + data + "' @SPACE_STAGE/p/");
      assertEquals("UPLOADED", put.get(0).get(6));
      assertEquals("space_stage/p/x.parquet", rows(st, "LIST @SPACE_STAGE").get(0).get(0));
    }
  }

  @Test
  void mergeAndDeleteUsing() throws Exception {
    try (Connection c = connect("TESTDB", "RAW");
        Statement st = c.createStatement()) {
      st.execute("CREATE OR REPLACE TABLE TGT (ID INT, V VARCHAR)");
      st.execute("CREATE OR REPLACE TABLE SRC (ID INT, V VARCHAR)");
      st.executeUpdate("INSERT INTO TGT VALUES (1, 'a'), (2, 'b')");
      st.executeUpdate("INSERT INTO SRC VALUES (2, 'B'), (3, 'C')");
      String merge =
          "MERGE INTO TGT t USING SRC s ON t.ID = s.ID"
              + " WHEN MATCHED THEN UPDATE SET V = s.V"
              + " WHEN NOT MATCHED THEN INSERT (ID, V) VALUES (s.ID, s.V)";
      try (ResultSet rs = st.executeQuery(merge)) {
        assertEquals(List.of("number of rows inserted", "number of rows updated"), labels(rs));
        assertEquals(List.of(List.of("1", "1")), rows(rs));
      }
      // Both source rows now match: an update-only MERGE updates 2 rows.
      assertEquals(
          2,
          st.executeUpdate(
              merge.replace("WHEN NOT MATCHED THEN INSERT (ID, V) VALUES (s.ID, s.V)", "")));
      assertEquals(
          List.of(List.of("1", "a"), List.of("2", "B"), List.of("3", "C")),
          rows(st, "SELECT ID, V FROM TGT ORDER BY ID"));
      assertEquals(2, st.executeUpdate("DELETE FROM TGT USING SRC WHERE TGT.ID = SRC.ID"));
      assertEquals(List.of(List.of("1", "a")), rows(st, "SELECT ID, V FROM TGT ORDER BY ID"));
    }
  }

  @Test
  void transactions() throws Exception {
    try (Connection c = connect("TESTDB", "RAW");
        Statement st = c.createStatement()) {
      st.execute("CREATE OR REPLACE TABLE TX (ID INT)");
      c.setAutoCommit(false);
      st.executeUpdate("INSERT INTO TX VALUES (1)");
      c.rollback();
      st.executeUpdate("INSERT INTO TX VALUES (2)");
      assertEquals(List.of(), emu.query("SELECT ID FROM TESTDB.RAW.TX"));
      c.commit();
      c.setAutoCommit(true);
      st.execute("BEGIN");
      st.executeUpdate("INSERT INTO TX VALUES (3)");
      st.execute("ROLLBACK");
      st.execute("BEGIN TRANSACTION");
      st.executeUpdate("INSERT INTO TX VALUES (4)");
      st.execute("COMMIT");
      assertEquals(
          List.of(List.of(new BigDecimal("2")), List.of(new BigDecimal("4"))),
          emu.query("SELECT ID FROM TESTDB.RAW.TX ORDER BY ID"));
    }
  }

  @Test
  void keyPairLogin() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    KeyPair registered = gen.generateKeyPair();
    KeyPair other = gen.generateKeyPair();
    try (SnowflakeEmulator keyed =
        SnowflakeEmulator.builder()
            .root(tmp.resolve("keyed"))
            .publicKey(registered.getPublic())
            .build()
            .start()) {
      Properties p = new Properties();
      p.put("user", "loader");
      p.put("authenticator", "SNOWFLAKE_JWT");
      p.put("privateKey", registered.getPrivate());
      p.put("disablePlatformDetection", "true");
      try (Connection c = DriverManager.getConnection(keyed.jdbcUrl(), p);
          Statement st = c.createStatement()) {
        assertEquals(
            List.of(List.of("LOADER")),
            rows(st, "SELECT CURRENT_USER() AS U".replace("CURRENT_USER()", "'LOADER'")));
      }
      p.put("privateKey", other.getPrivate());
      SQLException e =
          assertThrows(SQLException.class, () -> DriverManager.getConnection(keyed.jdbcUrl(), p));
      assertEquals(390144, e.getErrorCode());
      Properties password = props(null, null);
      SQLException noKey =
          assertThrows(
              SQLException.class,
              () ->
                  DriverManager.getConnection(
                      emu.jdbcUrl(), withJwt(password, registered.getPrivate())));
      assertEquals(390144, noKey.getErrorCode());
    }
  }

  private static Properties withJwt(Properties p, java.security.PrivateKey key) {
    p.remove("password");
    p.put("authenticator", "SNOWFLAKE_JWT");
    p.put("privateKey", key);
    return p;
  }

  @Test
  void statementsAreRecordedWithoutSecrets() throws Exception {
    try (Connection c = connect("TESTDB", "RAW");
        Statement st = c.createStatement()) {
      st.execute("ALTER USER loader SET PASSWORD = 'hunter2'");
    }
    List<String> seen = emu.statements();
    assertTrue(seen.contains("ALTER USER loader SET PASSWORD = '****'"), seen.toString());
    assertFalse(seen.toString().contains("hunter2"));
    assertFalse(seen.toString().contains("s3cret"));
  }

  @Test
  void informationSchemaAndDescribe() throws Exception {
    try (Connection c = connect("TESTDB", "RAW");
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE OR REPLACE TABLE META (ID NUMBER(10,2), NAME STRING, TS TIMESTAMP_NTZ, F FLOAT)");
      try (ResultSet rs =
          st.executeQuery(
              "SELECT column_name, data_type, numeric_precision, numeric_scale"
                  + " FROM TESTDB.INFORMATION_SCHEMA.COLUMNS"
                  + " WHERE table_schema = 'RAW' AND table_name = 'META' ORDER BY ordinal_position")) {
        assertEquals(
            List.of("COLUMN_NAME", "DATA_TYPE", "NUMERIC_PRECISION", "NUMERIC_SCALE"), labels(rs));
        assertEquals(
            List.of(
                List.of("ID", "NUMBER", "10", "2"),
                Arrays.asList("NAME", "TEXT", null, null),
                Arrays.asList("TS", "TIMESTAMP_NTZ", null, null),
                Arrays.asList("F", "FLOAT", null, null)),
            rows(rs));
      }
      assertEquals(
          List.of(List.of("META")),
          rows(
              st,
              "SELECT t.table_name FROM information_schema.tables t"
                  + " WHERE t.table_schema = 'RAW' AND t.table_name = 'META'"));
      try (PreparedStatement ps =
          c.prepareStatement("SELECT ID, NAME AS N FROM META WHERE ID = ?")) {
        ResultSetMetaData md = ps.getMetaData();
        assertEquals(2, md.getColumnCount());
        assertEquals("ID", md.getColumnLabel(1));
        assertEquals("NUMBER", md.getColumnTypeName(1));
        assertEquals("N", md.getColumnLabel(2));
        assertEquals(1, ps.getParameterMetaData().getParameterCount());
      }
    }
  }

  @Test
  void copyErrorsAbortOrSkipTheFile() throws Exception {
    Path good = parquet("good.parquet", "SELECT i AS id FROM range(4) t(i)");
    Path bad = parquet("bad.parquet", "SELECT 'not a number' AS id");
    try (Connection c = connect("TESTDB", "RAW");
        Statement st = c.createStatement()) {
      st.execute("CREATE OR REPLACE TABLE NUMS (ID NUMBER)");
      st.execute("CREATE OR REPLACE STAGE ERR_STAGE");
      st.executeQuery("PUT file://" + bad + " @ERR_STAGE/e/").close();
      st.executeQuery("PUT file://" + good + " @ERR_STAGE/e/").close();
      String copy =
          "COPY INTO NUMS FROM @ERR_STAGE/e/ FILE_FORMAT = (TYPE = PARQUET)"
              + " MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE";
      SnowflakeSQLException e =
          assertThrows(SnowflakeSQLException.class, () -> st.executeUpdate(copy));
      assertEquals(100038, e.getErrorCode());
      assertEquals(List.of(List.of(0L)), emu.query("SELECT count(*) FROM TESTDB.RAW.NUMS"));
      try (ResultSet rs = st.executeQuery(copy + " ON_ERROR = SKIP_FILE")) {
        List<List<String>> rows = rows(rs);
        assertEquals(2, rows.size());
        assertEquals(
            List.of("err_stage/e/bad.parquet", "LOAD_FAILED", "1", "0"), rows.get(0).subList(0, 4));
        assertEquals(
            Arrays.asList(
                "err_stage/e/good.parquet", "LOADED", "4", "4", "1", "0", null, null, null, null),
            rows.get(1));
      }
      assertEquals(List.of(List.of(4L)), emu.query("SELECT count(*) FROM TESTDB.RAW.NUMS"));
      // The good file is in the load history now, the failed one is not.
      SnowflakeSQLException again =
          assertThrows(SnowflakeSQLException.class, () -> st.executeUpdate(copy));
      assertEquals(100038, again.getErrorCode());
    }
  }

  @Test
  void writersToOneDatabaseQueueInsteadOfConflicting() throws Exception {
    try (Connection a = connect("TESTDB", "RAW");
        Connection b = connect("TESTDB", "RAW");
        Statement sa = a.createStatement();
        Statement sb = b.createStatement()) {
      sa.execute("CREATE OR REPLACE TABLE COUNTER (ID INT, N INT)");
      sa.executeUpdate("INSERT INTO COUNTER VALUES (1, 0)");
      sa.execute("BEGIN");
      sa.executeUpdate("UPDATE COUNTER SET N = N + 1 WHERE ID = 1");
      java.util.concurrent.CompletableFuture<Integer> second =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> {
                try {
                  return sb.executeUpdate("UPDATE COUNTER SET N = N + 10 WHERE ID = 1");
                } catch (SQLException e) {
                  throw new java.util.concurrent.CompletionException(e);
                }
              });
      // Commit only once the emulator holds the second UPDATE, which must wait for the lock.
      while (!emu.statements().contains("UPDATE COUNTER SET N = N + 10 WHERE ID = 1")) {
        Thread.onSpinWait();
      }
      assertFalse(second.isDone());
      sa.execute("COMMIT");
      assertEquals(1, second.get());
      assertEquals(
          List.of(List.of(new BigDecimal("11"))), emu.query("SELECT N FROM TESTDB.RAW.COUNTER"));
    }
  }

  @Test
  void copyInsideRolledBackTransactionLeavesNoHistory() throws Exception {
    Path file =
        parquet(
            "tz.parquet",
            "SELECT 1 AS id, TIMESTAMPTZ '2024-01-01 10:00:00+02' AS at,"
                + " TIMESTAMP '2024-01-01 10:00:00.123456' AS wall");
    try (Connection c = connect("TESTDB", "RAW");
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE OR REPLACE TABLE TXLOAD (ID NUMBER, AT TIMESTAMP_NTZ, WALL TIMESTAMP_NTZ)");
      st.execute("CREATE OR REPLACE STAGE TX_STAGE");
      st.executeQuery("PUT file://" + file + " @TX_STAGE").close();
      String copy =
          "COPY INTO TXLOAD FROM @TX_STAGE FILE_FORMAT = (TYPE = PARQUET)"
              + " MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE";
      st.execute("BEGIN");
      assertEquals(1, st.executeUpdate(copy));
      st.execute("ROLLBACK");
      assertEquals(List.of(List.of(0L)), emu.query("SELECT count(*) FROM TESTDB.RAW.TXLOAD"));
      st.execute("BEGIN");
      assertEquals(1, st.executeUpdate(copy));
      st.execute("COMMIT");
      assertEquals(0, st.executeUpdate(copy));
      assertEquals(
          List.of(List.of("1", "2024-01-01 08:00:00.000", "2024-01-01 10:00:00.123")),
          rows(st, "SELECT ID, AT, WALL FROM TXLOAD"));
    }
  }

  @Test
  void unsupportedAndMalformedStatementsFailAsSqlErrors() throws Exception {
    try (Connection c = connect("TESTDB", "RAW");
        Statement st = c.createStatement()) {
      SnowflakeSQLException show =
          assertThrows(SnowflakeSQLException.class, () -> st.executeQuery("SHOW TABLES"));
      assertEquals(2040, show.getErrorCode());
      assertEquals("0A000", show.getSQLState());
      SnowflakeSQLException noName =
          assertThrows(SnowflakeSQLException.class, () -> st.execute("CREATE DATABASE"));
      assertEquals(603, noName.getErrorCode());
      SnowflakeSQLException syntax =
          assertThrows(SnowflakeSQLException.class, () -> st.execute("SELEC 1"));
      assertEquals(1003, syntax.getErrorCode());
      assertEquals("42000", syntax.getSQLState());
    }
  }
}
