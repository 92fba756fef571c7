package org.imednet.export.sinks.snowflake;

import static org.imednet.export.sinks.snowflake.Fixtures.batch;
import static org.imednet.export.sinks.snowflake.Fixtures.form;
import static org.imednet.export.sinks.snowflake.Fixtures.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.imednet.export.api.Secret;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.TableSchema;
import org.imednet.export.testdata.snowflake.SnowflakeFaults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batch loader with the real snowflake-jdbc driver against the local Snowflake emulator. */
class SnowflakeBatchLoaderTest {
  @TempDir Path tmp;

  private final TableSchema demog = form("S1", "DEMOG");
  private final TableSchema vitals = form("S1", "VITALS", "note");
  private final List<Duration> sleeps = new ArrayList<>();

  private SnowflakeLoadOptions options() {
    List<Duration> record = sleeps;
    return SnowflakeLoadOptions.defaults()
        .withManifestPath(tmp.resolve("manifest.jsonl"))
        .withRetryBackoff(Duration.ofMillis(100))
        .withSleeper(record::add);
  }

  private static final String DEMOG_SQL =
      "SELECT RECORD_ID, AGE, \"weight kg\", DOB, DATE_MODIFIED FROM TESTDB.RAW.S1_DEMOG ORDER BY 1";

  @Test
  void loadsFormsAndMetadataIntoTypedTablesAndSkipsUnchangedContent() throws Exception {
    try (EmulatedSnowflake sf =
        EmulatedSnowflake.start(tmp.resolve("emu"), SnowflakeFaults.none())) {
      LoadResult d;
      LoadResult v;
      LoadResult m;
      try (SnowflakeBatchLoader loader = SnowflakeBatchLoader.open(sf.settings, options())) {
        d =
            loader.load(
                List.of(
                    batch(demog, row("S1", "DEMOG", 2, 40L, null, 2)),
                    batch(demog, row("S1", "DEMOG", 1, 30L, 70.5, 1))),
                "S1/DEMOG/0");
        v =
            loader.load(
                List.of(batch(vitals, row("S1", "VITALS", 5, 50L, 80.0, 5, "it's"))),
                "S1/VITALS/0");
        m =
            loader.load(
                List.of(
                    RowBatch.of(
                        Fixtures.sites("S1"),
                        List.of(
                            new Object[] {"S1", 1L, "Site A"}, new Object[] {"S1", 2L, "Site B"}))),
                "S1/sites/0");
      }
      assertEquals(LoadResult.Status.LOADED, d.status());
      assertEquals(2, d.rowCount());
      assertEquals(1, v.rowCount());
      assertEquals(2, m.rowCount());
      assertEquals("\"TESTDB\".\"RAW\".\"S1_DEMOG\"", d.targetTable());
      assertEquals("@\"MY_STAGE\"/imednet/S1_DEMOG/" + d.sha256() + ".parquet", d.stagePath());

      assertEquals(
          List.of(
              "1|30|70.5|1980-01-02|2024-01-02T03:01:05.123456",
              "2|40|null|1980-01-03|2024-01-02T03:02:05.123456"),
          sf.rows(DEMOG_SQL));
      assertEquals(List.of("5|it's"), sf.rows("SELECT RECORD_ID, NOTE FROM TESTDB.RAW.S1_VITALS"));
      assertEquals(
          List.of("S1|1|Site A", "S1|2|Site B"),
          sf.rows("SELECT * FROM TESTDB.RAW.S1_META_SITES ORDER BY SITE_ID"));
      assertEquals(
          List.of(
              "STUDY_KEY VARCHAR",
              "FORM_KEY VARCHAR",
              "RECORD_ID DECIMAL(38,0)",
              "DELETED BOOLEAN",
              "DATE_MODIFIED TIMESTAMP",
              "AGE DECIMAL(38,0)",
              "weight kg DOUBLE",
              "DOB DATE"),
          sf.rows(
              "SELECT column_name || ' ' || data_type FROM information_schema.columns WHERE"
                  + " table_catalog = 'TESTDB' AND table_name = 'S1_DEMOG' ORDER BY ordinal_position"));
      // Staged files and staging tables are gone.
      assertEquals(
          List.of(),
          sf.rows(
              "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%_STG_%'"));
      assertEquals(List.of(), listStage(sf));

      // The same content again: nothing sent, recorded as ALREADY_LOADED with 0 rows.
      int statementsBefore = sf.emulator.statements().size();
      try (SnowflakeBatchLoader loader = SnowflakeBatchLoader.open(sf.settings, options())) {
        LoadResult again =
            loader.load(
                List.of(
                    batch(demog, row("S1", "DEMOG", 1, 30L, 70.5, 1)),
                    batch(demog, row("S1", "DEMOG", 2, 40L, null, 2))),
                "S1/DEMOG/0");
        assertEquals(LoadResult.Status.ALREADY_LOADED, again.status());
        assertEquals(0, again.rowCount());
        assertEquals(d.sha256(), again.sha256());
      }
      assertEquals(
          List.of(),
          sf
              .emulator
              .statements()
              .subList(statementsBefore, sf.emulator.statements().size())
              .stream()
              .filter(s -> s.startsWith("COPY") || s.startsWith("PUT"))
              .collect(Collectors.toList()));
      assertEquals(2, sf.rows(DEMOG_SQL).size());
    }
  }

  @Test
  void changedRecordsReplaceTheirRowsAndNewColumnsWidenTheTable() throws Exception {
    try (EmulatedSnowflake sf =
            EmulatedSnowflake.start(tmp.resolve("emu"), SnowflakeFaults.none());
        SnowflakeBatchLoader loader = SnowflakeBatchLoader.open(sf.settings, options())) {
      loader.load(
          List.of(
              batch(
                  demog, row("S1", "DEMOG", 1, 30L, 70.5, 1), row("S1", "DEMOG", 2, 40L, null, 2))),
          "S1/DEMOG/0");
      TableSchema widened = form("S1", "DEMOG", "site note");
      LoadResult r =
          loader.load(
              List.of(
                  batch(
                      widened,
                      row("S1", "DEMOG", 2, 41L, 60.0, 9, "moved"),
                      row("S1", "DEMOG", 3, 50L, null, 9, (String) null))),
              "S1/DEMOG/1");
      assertEquals(2, r.rowCount());
      assertEquals(
          List.of("1|30|null", "2|41|moved", "3|50|null"),
          sf.rows("SELECT RECORD_ID, AGE, \"site note\" FROM TESTDB.RAW.S1_DEMOG ORDER BY 1"));

      // Without the ledger (force reload) the same data replaces itself: still no duplicates.
      try (SnowflakeBatchLoader forced =
          SnowflakeBatchLoader.open(sf.settings, options().withForceReload(true))) {
        LoadResult again =
            forced.load(
                List.of(
                    batch(
                        widened,
                        row("S1", "DEMOG", 2, 41L, 60.0, 9, "moved"),
                        row("S1", "DEMOG", 3, 50L, null, 9, (String) null))),
                "S1/DEMOG/1");
        assertEquals(LoadResult.Status.LOADED, again.status());
        assertEquals(2, again.rowCount());
      }
      assertEquals(3, sf.rows("SELECT * FROM TESTDB.RAW.S1_DEMOG").size());
    }
  }

  @Test
  void aFailedCopyIsRetriedWithTheConfiguredBackoff() throws Exception {
    try (EmulatedSnowflake sf =
            EmulatedSnowflake.start(
                tmp.resolve("emu"), SnowflakeFaults.none().failCopy(2).times(2));
        SnowflakeBatchLoader loader = SnowflakeBatchLoader.open(sf.settings, options())) {
      loader.load(List.of(batch(demog, row("S1", "DEMOG", 1, 30L, 70.5, 1))), "b0");
      LoadResult r = loader.load(List.of(batch(demog, row("S1", "DEMOG", 2, 40L, 1.0, 2))), "b1");
      assertEquals(3, r.attempts());
      assertEquals(1, r.rowCount());
      assertEquals(List.of(Duration.ofMillis(100), Duration.ofMillis(200)), sleeps);
      assertEquals(
          List.of(
              "1|30|70.5|1980-01-02|2024-01-02T03:01:05.123456",
              "2|40|1.0|1980-01-03|2024-01-02T03:02:05.123456"),
          sf.rows(DEMOG_SQL));
    }
  }

  @Test
  void aConnectionLostAfterCommitDoesNotLoadTwice() throws Exception {
    try (EmulatedSnowflake sf =
            EmulatedSnowflake.start(
                tmp.resolve("emu"),
                SnowflakeFaults.none()
                    .dropAfterExecute("^\\s*COMMIT", 1)
                    .dropAfterExecute("^\\s*COPY\\s+INTO", 2));
        SnowflakeBatchLoader loader = SnowflakeBatchLoader.open(sf.settings, options())) {
      LoadResult a = loader.load(List.of(batch(demog, row("S1", "DEMOG", 1, 30L, 70.5, 1))), "b0");
      LoadResult b =
          loader.load(
              List.of(
                  batch(
                      demog,
                      row("S1", "DEMOG", 1, 31L, 70.5, 3),
                      row("S1", "DEMOG", 2, 40L, 1.0, 2))),
              "b1");
      assertEquals(1, a.rowCount());
      assertEquals(2, b.rowCount());
      assertEquals(
          List.of(
              "1|31|70.5|1980-01-02|2024-01-02T03:03:05.123456",
              "2|40|1.0|1980-01-03|2024-01-02T03:02:05.123456"),
          sf.rows(DEMOG_SQL));
    }
  }

  @Test
  void aPermanentFailureNamesTheBatchAndARerunLoadsTheRestOnce() throws Exception {
    Path root = tmp.resolve("emu");
    Path manifest = tmp.resolve("manifest.jsonl");
    List<List<RowBatch>> batches =
        List.of(
            List.of(batch(demog, row("S1", "DEMOG", 1, 30L, 70.5, 1))),
            List.of(batch(demog, row("S1", "DEMOG", 2, 40L, 1.0, 2))),
            List.of(batch(demog, row("S1", "DEMOG", 3, 50L, 2.0, 3))));
    try (EmulatedSnowflake sf =
            EmulatedSnowflake.start(root, SnowflakeFaults.none().failCopy(2).times(1000));
        SnowflakeBatchLoader loader = SnowflakeBatchLoader.open(sf.settings, options())) {
      loader.load(batches.get(0), "S1/DEMOG/0");
      ExportBatchError e =
          assertThrows(ExportBatchError.class, () -> loader.load(batches.get(1), "S1/DEMOG/1"));
      assertEquals("S1/DEMOG/1", e.batchId());
      assertEquals(4, e.attempts());
      assertTrue(
          e.getMessage()
              .startsWith(
                  "Snowflake batch S1/DEMOG/1 (S1/DEMOG -> \"TESTDB\".\"RAW\".\"S1_DEMOG\", 1 rows)"
                      + " failed at COPY after 4 attempt(s): [SQLState 22000, code 100038]"),
          e.getMessage());
      assertEquals(
          List.of(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400)), sleeps);
      assertEquals(List.of("1|30|70.5|1980-01-02|2024-01-02T03:01:05.123456"), sf.rows(DEMOG_SQL));
    }
    assertEquals(List.of("S1/DEMOG/0 LOADED 1", "S1/DEMOG/1 FAILED 0"), manifestSummary(manifest));

    try (EmulatedSnowflake sf = EmulatedSnowflake.start(root, SnowflakeFaults.none());
        SnowflakeBatchLoader loader = SnowflakeBatchLoader.open(sf.settings, options())) {
      for (int i = 0; i < batches.size(); i++) {
        loader.load(batches.get(i), "S1/DEMOG/" + i);
      }
      assertEquals(
          List.of(
              "1|30|70.5|1980-01-02|2024-01-02T03:01:05.123456",
              "2|40|1.0|1980-01-03|2024-01-02T03:02:05.123456",
              "3|50|2.0|1980-01-04|2024-01-02T03:03:05.123456"),
          sf.rows(DEMOG_SQL));
    }
    assertEquals(
        List.of(
            "S1/DEMOG/0 LOADED 1",
            "S1/DEMOG/1 FAILED 0",
            "S1/DEMOG/0 ALREADY_LOADED 0",
            "S1/DEMOG/1 LOADED 1",
            "S1/DEMOG/2 LOADED 1"),
        manifestSummary(manifest));
  }

  @Test
  void aWrongPasswordIsAConfigurationErrorThatDoesNotShowIt() throws Exception {
    try (EmulatedSnowflake sf =
        EmulatedSnowflake.start(tmp.resolve("emu"), SnowflakeFaults.none())) {
      String wrong = "wrong-" + EmulatedSnowflake.PASSWORD;
      SnowflakeSettings bad =
          SnowflakeSettings.builder()
              .fillFrom(builderOf(sf.settings))
              .password(Secret.of(wrong))
              .build();
      ExportConfigurationError e =
          assertThrows(
              ExportConfigurationError.class, () -> SnowflakeBatchLoader.open(bad, options()));
      assertTrue(e.getMessage().startsWith("Cannot connect to Snowflake account "), e.getMessage());
      assertFalse(e.getMessage().contains(wrong), e.getMessage());
      assertFalse(e.getMessage().contains(EmulatedSnowflake.PASSWORD), e.getMessage());
    }
  }

  @Test
  void keepStagedLeavesTheFileInTheStageAndLocalDirKeepsParquet() throws Exception {
    Path local = tmp.resolve("local staging 'dir'");
    try (EmulatedSnowflake sf =
            EmulatedSnowflake.start(tmp.resolve("emu"), SnowflakeFaults.none());
        SnowflakeBatchLoader loader =
            SnowflakeBatchLoader.open(
                sf.settings, options().withKeepStaged(true).withLocalStagingDir(local))) {
      LoadResult r = loader.load(List.of(batch(demog, row("S1", "DEMOG", 1, 30L, 70.5, 1))), "b0");
      assertEquals(1, r.rowCount());
      assertEquals(List.of("my_stage/imednet/S1_DEMOG/" + r.sha256() + ".parquet"), listStage(sf));
      assertTrue(Files.exists(local.resolve("S1_DEMOG").resolve(r.sha256() + ".parquet")));
    }
  }

  static SnowflakeSettings.Builder builderOf(SnowflakeSettings s) {
    return SnowflakeSettings.builder()
        .account(s.account())
        .user(s.user())
        .password(s.password())
        .database(s.database())
        .schema(s.schema())
        .warehouse(s.warehouse())
        .stage(s.stage())
        .host(s.host())
        .port(s.port())
        .protocol(s.protocol());
  }

  static List<String> listStage(EmulatedSnowflake sf) throws Exception {
    List<String> names = new ArrayList<>();
    try (java.sql.Connection c = sf.settings.connect();
        java.sql.Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery("LIST @MY_STAGE")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }

  static List<String> manifestSummary(Path manifest) {
    return new LoadManifest(manifest)
        .read().stream()
            .map(r -> r.batchId() + " " + r.status() + " " + r.rowCount())
            .collect(Collectors.toList());
  }
}
