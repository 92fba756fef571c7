package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.imednet.export.testdata.emulator.Resource;
import org.imednet.export.testdata.snowflake.SnowflakeEmulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code imednet export snowflake --incremental} through the real snowflake-jdbc driver against the
 * Snowflake emulator: a full load of day 1 plus an incremental load of day 2 equals a full load of
 * day 2 (another schema), compared with EXCEPT ALL both ways; the ledger table records both runs; a
 * run while the schema's lock is held is refused.
 */
class SnowflakeIncrementalCliTest {
  private static final String API_KEY = "sf-inc-api-key-2c41";
  private static final String SECURITY_KEY = "sf-inc-security-key-9a07";
  private static final String PASSWORD = "Sn0wflake-inc-pw-4410";
  private static final String STUDY = "CARDIO01";

  @TempDir Path tmp;

  @Test
  void fullPlusIncrementalEqualsFullOfTheNextDay() throws Exception {
    FolderStudyData data = FolderStudyData.load(SampleStudies.root());
    try (SnowflakeEmulator sf =
            SnowflakeEmulator.builder()
                .root(tmp.resolve("snowflake"))
                .credentials("LOADER", PASSWORD)
                .build()
                .start();
        ImednetEmulator api =
            ImednetEmulator.builder()
                .data(data)
                .credentials(API_KEY, SECURITY_KEY)
                .port(0)
                .build()
                .start()) {
      try (Connection c = connect(sf);
          Statement st = c.createStatement()) {
        st.execute("CREATE DATABASE IMEDNET_DB");
        st.execute("CREATE SCHEMA IMEDNET_DB.RAW");
        st.execute("CREATE SCHEMA IMEDNET_DB.REFERENCE");
        st.execute("CREATE STAGE IMEDNET_DB.RAW.LANDING");
        st.execute("CREATE STAGE IMEDNET_DB.REFERENCE.LANDING");
      }
      Path env = CliFixture.envFile(tmp, api.baseUrl(), API_KEY, SECURITY_KEY);
      Files.writeString(
          env, "SNOWFLAKE_PASSWORD=" + PASSWORD + "\n", java.nio.file.StandardOpenOption.APPEND);

      CliFixture.Run first = CliFixture.run(args(sf, env, "RAW", "--incremental"));
      assertEquals(0, first.exitCode, first.toString());
      assertTrue(first.out.contains("CARDIO01: exported whole (not in the target's ledger yet)"));

      FolderStudyData next = FolderStudyData.load(SampleStudies.nextDayRoot());
      for (Resource r : Resource.values()) {
        data.setItems(STUDY, r, next.list(STUDY, r));
      }
      CliFixture.Run second = CliFixture.run(args(sf, env, "RAW", "--incremental"));
      assertEquals(0, second.exitCode, second.toString());
      assertTrue(
          second.out.contains("CARDIO01: records modified since 2025-08-05 15:04:00 UTC"),
          second.out);
      assertEquals(
          List.of(
              List.of("full", "191", "2025-08-05 16:04:00.000000"),
              List.of("incremental", "5", "2026-01-20 10:00:00.000000")),
          viaDriver(
              sf,
              "SELECT MODE, ROWS_WRITTEN, HIGH_WATER_MARK FROM IMEDNET_DB.RAW.IMEDNET_EXPORT_LEDGER"
                  + " ORDER BY COMMITTED_AT"));

      CliFixture.Run reference = CliFixture.run(args(sf, env, "REFERENCE"));
      assertEquals(0, reference.exitCode, reference.toString());
      List<String> tables = new ArrayList<>();
      for (List<String> row :
          viaDriver(
              sf,
              "SELECT table_name, table_name FROM IMEDNET_DB.INFORMATION_SCHEMA.TABLES WHERE"
                  + " table_schema = 'REFERENCE' AND table_name LIKE 'CARDIO01%' ORDER BY 1")) {
        tables.add(row.get(0));
      }
      // 4 forms (CM has no record, so no table) and 8 metadata tables
      assertEquals(12, tables.size(), tables.toString());
      for (String t : tables) {
        for (String[] way : new String[][] {{"REFERENCE", "RAW"}, {"RAW", "REFERENCE"}}) {
          assertEquals(
              List.of(List.of("0", "0")),
              viaDriver(
                  sf,
                  "SELECT count(*), count(*) FROM (SELECT * FROM IMEDNET_DB."
                      + way[0]
                      + "."
                      + t
                      + " EXCEPT ALL SELECT * FROM IMEDNET_DB."
                      + way[1]
                      + "."
                      + t
                      + ")"),
              t + ": rows of " + way[0] + " missing in " + way[1]);
        }
      }
      assertEquals(
          List.of(List.of("192", "192")),
          viaDriver(
              sf,
              "SELECT (SELECT count(*) FROM IMEDNET_DB.RAW.CARDIO01_AE_LOG)"
                  + " + (SELECT count(*) FROM IMEDNET_DB.RAW.CARDIO01_DM)"
                  + " + (SELECT count(*) FROM IMEDNET_DB.RAW.CARDIO01_LB)"
                  + " + (SELECT count(*) FROM IMEDNET_DB.RAW.CARDIO01_VS) AS n, 192"));

      // A backfill of the same study into a third schema, in 90-day windows, equals it too, and a
      // second backfill finds every shard in the ledger.
      try (Connection c = connect(sf);
          Statement st = c.createStatement()) {
        st.execute("CREATE SCHEMA IMEDNET_DB.BACKFILL");
        st.execute("CREATE STAGE IMEDNET_DB.BACKFILL.LANDING");
      }
      String[] backfill =
          args(
              sf, env, "BACKFILL", "--from", "2025-04-01", "--to", "2026-01-31", "--window", "90d");
      backfill[0] = "backfill";
      CliFixture.Run filled = CliFixture.run(backfill);
      assertEquals(0, filled.exitCode, filled.toString());
      assertTrue(
          filled.out.contains(
              "Backfill: 4 shards loaded now (192 records), 0 already in the ledger, 4 planned"),
          filled.out);
      for (String t : tables) {
        assertEquals(
            List.of(List.of("0", "0")),
            viaDriver(
                sf,
                "SELECT count(*), count(*) FROM ((SELECT * FROM IMEDNET_DB.REFERENCE."
                    + t
                    + " EXCEPT ALL SELECT * FROM IMEDNET_DB.BACKFILL."
                    + t
                    + ") UNION ALL (SELECT * FROM IMEDNET_DB.BACKFILL."
                    + t
                    + " EXCEPT ALL SELECT * FROM IMEDNET_DB.REFERENCE."
                    + t
                    + "))"),
            t + ": backfill differs from the reference");
      }
      CliFixture.Run again = CliFixture.run(backfill);
      assertEquals(0, again.exitCode, again.toString());
      assertTrue(
          again.out.contains(
              "Backfill: 0 shards loaded now (0 records), 4 already in the ledger, 4 planned"),
          again.out);

      // While another run holds the schema's lock, a run is refused and changes nothing.
      try (Connection c = connect(sf);
          Statement st = c.createStatement()) {
        st.execute(
            "CREATE TABLE IMEDNET_DB.RAW.IMEDNET_EXPORT_LOCK AS SELECT 'other-run' AS RUN_ID,"
                + " '1' AS PID, 'elsewhere' AS HOST, '2026-01-01T00:00:00Z' AS STARTED");
      }
      CliFixture.Run refused = CliFixture.run(args(sf, env, "RAW", "--incremental"));
      assertEquals(ImednetCli.EXIT_LOCKED, refused.exitCode, refused.toString());
      assertTrue(
          refused.err.startsWith(
              "error: another run holds IMEDNET_DB.RAW (other-run, pid 1 on elsewhere since"
                  + " 2026-01-01T00:00:00Z); this run changed nothing."),
          refused.err);
      assertEquals(
          List.of(List.of("2", "2")),
          viaDriver(sf, "SELECT count(*), count(*) FROM IMEDNET_DB.RAW.IMEDNET_EXPORT_LEDGER"));
      for (CliFixture.Run r : List.of(first, second, reference, refused)) {
        assertFalse(r.all().contains(PASSWORD), r.toString());
      }
    }
  }

  private static String[] args(SnowflakeEmulator sf, Path env, String schema, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "export",
                "snowflake",
                STUDY,
                "--account",
                sf.account(),
                "--user",
                "LOADER",
                "--database",
                "IMEDNET_DB",
                "--schema",
                schema,
                "--warehouse",
                "EMU_WH",
                "--stage",
                "LANDING",
                "--host",
                "127.0.0.1",
                "--port",
                Integer.toString(sf.port()),
                "--protocol",
                "http",
                "--env-file",
                env.toString(),
                "--progress",
                "none",
                "--runner",
                "direct"));
    a.addAll(List.of(more));
    return a.toArray(new String[0]);
  }

  private static List<List<String>> viaDriver(SnowflakeEmulator sf, String sql) throws Exception {
    List<List<String>> rows = new ArrayList<>();
    try (Connection c = connect(sf);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> r = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          r.add(rs.getString(i));
        }
        rows.add(r);
      }
    }
    return rows;
  }

  private static Connection connect(SnowflakeEmulator sf) throws Exception {
    Properties p = new Properties();
    p.put("user", "LOADER");
    p.put("password", PASSWORD);
    p.put("warehouse", "EMU_WH");
    p.put("disablePlatformDetection", "true");
    return DriverManager.getConnection(sf.jdbcUrl(), p);
  }
}
