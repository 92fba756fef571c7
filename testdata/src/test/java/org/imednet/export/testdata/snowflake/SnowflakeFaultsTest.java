package org.imednet.export.testdata.snowflake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import net.snowflake.client.api.exception.SnowflakeSQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deterministic faults seen through the real driver: SQL errors, dropped connections, 503s. */
class SnowflakeFaultsTest {
  private static final String COPY =
      "COPY INTO TESTDB.RAW.T FROM @S/run/ FILE_FORMAT = (TYPE = PARQUET)"
          + " MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE";

  @TempDir Path tmp;

  private SnowflakeEmulator start(SnowflakeFaults faults, boolean dedupe) throws Exception {
    return SnowflakeEmulator.builder()
        .root(tmp.resolve("emu"))
        .faults(faults)
        .dedupeRetriedRequestIds(dedupe)
        .build()
        .start();
  }

  private static Connection connect(SnowflakeEmulator emu) throws SQLException {
    Properties p = new Properties();
    p.put("user", "tester");
    p.put("password", "secret");
    p.put("db", "TESTDB");
    p.put("schema", "RAW");
    p.put("disablePlatformDetection", "true");
    return DriverManager.getConnection(emu.jdbcUrl(), p);
  }

  /** Creates TESTDB.RAW.T and stages a 5-row parquet file under @S/run/. */
  private void prepare(Statement st) throws SQLException {
    Path file = tmp.resolve("five.parquet");
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
        Statement d = duck.createStatement()) {
      d.execute("COPY (SELECT i AS id FROM range(5) t(i)) TO '" + file + "' (FORMAT parquet)");
    }
    st.execute("CREATE DATABASE TESTDB");
    st.execute("CREATE SCHEMA RAW");
    st.execute("CREATE TABLE T (ID NUMBER)");
    st.execute("CREATE STAGE S");
    st.executeQuery("PUT file://" + file + " @S/run/").close();
  }

  private static List<List<String>> rows(ResultSet rs) throws SQLException {
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

  private static long count(SnowflakeEmulator emu) {
    return (Long) emu.query("SELECT count(*) FROM TESTDB.RAW.T").get(0).get(0);
  }

  @Test
  void failedCopyRollsBackAndLoadsLater() throws Exception {
    try (SnowflakeEmulator emu = start(SnowflakeFaults.none().failCopy(1), true);
        Connection c = connect(emu);
        Statement st = c.createStatement()) {
      prepare(st);
      SnowflakeSQLException e =
          assertThrows(SnowflakeSQLException.class, () -> st.executeUpdate(COPY));
      assertEquals(100038, e.getErrorCode());
      assertEquals("22000", e.getSQLState());
      assertEquals(0, count(emu));
      assertEquals(5, st.executeUpdate(COPY));
      assertEquals(5, count(emu));
    }
  }

  @Test
  void droppedAfterCommitWithDedupeReturnsFirstAnswer() throws Exception {
    try (SnowflakeEmulator emu = start(SnowflakeFaults.none().dropAfterExecute("^COPY", 1), true);
        Connection c = connect(emu);
        Statement st = c.createStatement()) {
      prepare(st);
      try (ResultSet rs = st.executeQuery(COPY)) {
        assertEquals(
            List.of(
                Arrays.asList(
                    "s/run/five.parquet", "LOADED", "5", "5", "1", "0", null, null, null, null)),
            rows(rs));
      }
      assertEquals(1, emu.faultsFired());
      assertEquals(2, emu.statements().stream().filter(s -> s.startsWith("COPY")).count());
      assertEquals(5, count(emu));
    }
  }

  @Test
  void droppedAfterCommitWithoutDedupeRunsAgainAndLoadsNothing() throws Exception {
    try (SnowflakeEmulator emu = start(SnowflakeFaults.none().dropAfterExecute("^COPY", 1), false);
        Connection c = connect(emu);
        Statement st = c.createStatement()) {
      prepare(st);
      try (ResultSet rs = st.executeQuery(COPY)) {
        assertEquals(List.of(List.of("Copy executed with 0 files processed.")), rows(rs));
      }
      assertEquals(1, emu.faultsFired());
      assertEquals(5, count(emu));
    }
  }

  @Test
  void droppedBeforeExecuteIsRetriedOnce() throws Exception {
    try (SnowflakeEmulator emu =
            start(SnowflakeFaults.none().dropBeforeExecute("^INSERT", 1), true);
        Connection c = connect(emu);
        Statement st = c.createStatement()) {
      prepare(st);
      assertEquals(1, st.executeUpdate("INSERT INTO T VALUES (42)"));
      assertEquals(1, emu.faultsFired());
      assertEquals(1, count(emu));
    }
  }

  @Test
  void http503IsRetriedByTheDriver() throws Exception {
    // Request 1 is the login, 2 the CREATE DATABASE.
    try (SnowflakeEmulator emu = start(SnowflakeFaults.none().httpStatus(503, 2), true);
        Connection c = connect(emu);
        Statement st = c.createStatement()) {
      prepare(st);
      assertEquals(1, emu.faultsFired());
      assertEquals(5, st.executeUpdate(COPY));
    }
  }

  @Test
  void permanentStatementFailureFiresTimesK() throws Exception {
    try (SnowflakeEmulator emu =
            start(SnowflakeFaults.none().failStatement("^INSERT", 1).times(2), true);
        Connection c = connect(emu);
        Statement st = c.createStatement()) {
      prepare(st);
      for (int i = 0; i < 2; i++) {
        SnowflakeSQLException e =
            assertThrows(
                SnowflakeSQLException.class, () -> st.executeUpdate("INSERT INTO T VALUES (1)"));
        assertEquals(100038, e.getErrorCode());
      }
      assertEquals(1, st.executeUpdate("INSERT INTO T VALUES (1)"));
      assertEquals(1, count(emu));
    }
  }
}
