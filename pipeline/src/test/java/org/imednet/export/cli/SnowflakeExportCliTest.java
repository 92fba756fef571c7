package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.FaultPlan;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.imednet.export.testdata.snowflake.SnowflakeEmulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code imednet export snowflake} end to end: the iMednet emulator as the source, the real
 * snowflake-jdbc driver, and the local Snowflake emulator as the warehouse.
 */
class SnowflakeExportCliTest {
  private static final String API_KEY = "sf-cli-api-key-51be";
  private static final String SECURITY_KEY = "sf-cli-security-key-0d9c";
  private static final String PASSWORD = "Sn0wflake-pw-e2e-7731";

  @TempDir Path tmp;

  @Test
  void exportsExactlyOnceAndReplacesChangedRecords() throws Exception {
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
                .faults(FaultPlan.none())
                .build()
                .start()) {
      try (Connection c = connect(sf);
          Statement st = c.createStatement()) {
        st.execute("CREATE DATABASE IMEDNET_DB");
        st.execute("CREATE SCHEMA IMEDNET_DB.RAW");
        st.execute("CREATE STAGE IMEDNET_DB.RAW.LANDING");
      }
      Path env = CliFixture.envFile(tmp, api.baseUrl(), API_KEY, SECURITY_KEY);
      Files.writeString(
          env, "SNOWFLAKE_PASSWORD=" + PASSWORD + "\n", java.nio.file.StandardOpenOption.APPEND);
      Path manifest = tmp.resolve("manifest.jsonl");
      String[] args = {
        "export",
        "snowflake",
        "CARDIO01",
        "ONCO-22",
        "--account",
        sf.account(),
        "--user",
        "LOADER",
        "--database",
        "IMEDNET_DB",
        "--schema",
        "RAW",
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
        "--manifest-path",
        manifest.toString(),
        "--env-file",
        env.toString(),
        "--progress",
        "none"
      };

      CliFixture.Run first = CliFixture.run(args);
      assertEquals(0, first.exitCode, first.toString());
      Map<String, Long> expected = new TreeMap<>();
      // Tables are <STUDY>_<FORMKEY>, upper case, anything outside A-Z0-9_ as '_'.
      CliFixture.sampleRecordsPerForm("CARDIO01")
          .forEach((f, n) -> expected.put("CARDIO01_" + f.replace(' ', '_'), n));
      CliFixture.sampleRecordsPerForm("ONCO-22").forEach((f, n) -> expected.put("ONCO_22_" + f, n));
      assertEquals(expected, formTableCounts(sf, expected));
      assertEquals(
          List.of(
              List.of("DATE_MODIFIED", "TIMESTAMP_NTZ"),
              List.of("DIABP", "NUMBER"),
              List.of("SYSBP", "NUMBER"),
              List.of("TEMP", "FLOAT"),
              List.of("VSDAT", "DATE"),
              List.of("VSPOS", "TEXT")),
          viaDriver(
              sf,
              "SELECT upper(column_name), data_type FROM IMEDNET_DB.INFORMATION_SCHEMA.COLUMNS"
                  + " WHERE table_name = 'CARDIO01_VS' AND upper(column_name) IN ('DATE_MODIFIED',"
                  + " 'DIABP', 'SYSBP', 'TEMP', 'VSDAT', 'VSPOS') ORDER BY 1"));

      // The same export again: nothing new is loaded, nothing is duplicated, and it reconciles.
      CliFixture.Run again = CliFixture.run(args);
      assertEquals(0, again.exitCode, again.toString());
      assertTrue(again.out.contains("Snowflake: 0 rows loaded by COPY"), again.out);
      assertEquals(expected, formTableCounts(sf, expected));

      // Records change upstream: a new value and a new record. No duplicates, the new value wins.
      ObjectNode changed = data.record("CARDIO01", 880002L).deepCopy();
      ((ObjectNode) changed.get("recordData")).put("SYSBP", "187");
      changed.put("dateModified", "2026-11-20 10:00:00");
      data.replaceRecord("CARDIO01", changed);
      ObjectNode added = changed.deepCopy();
      added.put("recordId", 990002L);
      data.addRecord("CARDIO01", added);
      CliFixture.Run third = CliFixture.run(args);
      assertEquals(0, third.exitCode, third.toString());
      expected.put("CARDIO01_VS", expected.get("CARDIO01_VS") + 1);
      assertEquals(expected, formTableCounts(sf, expected));
      assertEquals(
          "[[187, 2]]",
          sf.query(
                  "SELECT max(SYSBP), count(*) FROM IMEDNET_DB.RAW.CARDIO01_VS"
                      + " WHERE RECORD_ID IN (880002, 990002)")
              .toString());
      assertEquals(
          sf.query("SELECT count(*) FROM IMEDNET_DB.RAW.CARDIO01_VS"),
          sf.query("SELECT count(DISTINCT RECORD_ID) FROM IMEDNET_DB.RAW.CARDIO01_VS"));

      String manifestText = Files.readString(manifest);
      for (CliFixture.Run r : List.of(first, again, third)) {
        assertFalse(r.all().contains(PASSWORD), r.toString());
        assertFalse(r.all().contains(API_KEY), r.toString());
      }
      assertFalse(manifestText.contains(PASSWORD));
    }
  }

  private static Map<String, Long> formTableCounts(SnowflakeEmulator sf, Map<String, Long> tables) {
    Map<String, Long> out = new TreeMap<>();
    for (String t : tables.keySet()) {
      List<List<Object>> r = sf.query("SELECT count(*) FROM IMEDNET_DB.RAW.\"" + t + "\"");
      out.put(t, ((Number) r.get(0).get(0)).longValue());
    }
    return out;
  }

  private static List<List<Object>> viaDriver(SnowflakeEmulator sf, String sql) throws Exception {
    List<List<Object>> rows = new java.util.ArrayList<>();
    try (Connection c = connect(sf);
        Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        rows.add(List.of(rs.getString(1), rs.getString(2)));
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
