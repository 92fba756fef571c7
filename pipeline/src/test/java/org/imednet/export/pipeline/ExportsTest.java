package org.imednet.export.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.Secret;
import org.imednet.export.metrics.ExportMetrics.Metric;
import org.imednet.export.sinks.snowflake.LoadIntoSnowflake;
import org.imednet.export.sinks.snowflake.SnowflakeSettings;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.imednet.export.testdata.snowflake.SnowflakeEmulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one-call Java exports against the local emulators. */
class ExportsTest {
  @TempDir Path tmp;

  @Test
  void exportToSnowflakeAndDuckDbReconcileWithTheApi() throws Exception {
    try (ImednetEmulator api =
            ImednetEmulator.builder()
                .data(FolderStudyData.load(SampleStudies.root()))
                .port(0)
                .build()
                .start();
        SnowflakeEmulator sf =
            SnowflakeEmulator.builder()
                .root(tmp.resolve("sf"))
                .credentials("LOADER", "pw-exports-test")
                .build()
                .start()) {
      Properties p = new Properties();
      p.put("user", "LOADER");
      p.put("password", "pw-exports-test");
      try (Connection c = DriverManager.getConnection(sf.jdbcUrl(), p);
          Statement st = c.createStatement()) {
        st.execute("CREATE DATABASE DB");
        st.execute("CREATE STAGE DB.PUBLIC.S");
      }
      ApiConfig config =
          ApiConfig.builder()
              .baseUrl(api.baseUrl())
              .apiKey(Secret.of(ImednetEmulator.DEFAULT_API_KEY))
              .securityKey(Secret.of(ImednetEmulator.DEFAULT_SECURITY_KEY))
              .build();
      SnowflakeSettings settings =
          SnowflakeSettings.builder()
              .account(sf.account())
              .user("LOADER")
              .password(Secret.of("pw-exports-test"))
              .database("DB")
              .schema("PUBLIC")
              .warehouse("WH")
              .stage("S")
              .host("127.0.0.1")
              .port(sf.port())
              .protocol("http")
              .build();

      RunSummary snowflake =
          Exports.exportToSnowflake(config, List.of("ONCO-22"), LoadIntoSnowflake.to(settings));
      assertEquals(List.of(), snowflake.mismatches());
      assertEquals(200L, snowflake.total(Metric.API_TOTAL_ELEMENTS));
      assertEquals(80L, snowflake.get("ONCO-22", "TR", Metric.ROWS_LOADED_SNOWFLAKE));
      assertEquals("[[80]]", sf.query("SELECT count(*) FROM DB.PUBLIC.ONCO_22_TR").toString());

      Path db = tmp.resolve("onco.duckdb");
      RunSummary duck = Exports.exportToDuckDb(config, "ONCO-22", db, "study_records");
      assertEquals(List.of(), duck.mismatches());
      try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + db);
          Statement st = c.createStatement();
          var rs = st.executeQuery("SELECT count(*) FROM study_records")) {
        rs.next();
        assertEquals(200L, rs.getLong(1));
      }
      assertEquals(Map.of("ONCO-22", List.of("DM", "EX", "PREG", "TR", "TU")), duck.forms());
    }
  }
}
