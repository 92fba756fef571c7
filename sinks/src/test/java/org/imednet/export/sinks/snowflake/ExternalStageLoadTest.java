package org.imednet.export.sinks.snowflake;

import static org.imednet.export.sinks.snowflake.Fixtures.batch;
import static org.imednet.export.sinks.snowflake.Fixtures.form;
import static org.imednet.export.sinks.snowflake.Fixtures.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.RowBatchCoder;
import org.imednet.export.rows.TableSchema;
import org.imednet.export.sinks.staging.LocalS3;
import org.imednet.export.testdata.snowflake.SnowflakeFaults;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LoadIntoSnowflake#withStageUrl}: the workers write batch files to an external stage's
 * bucket (an in-process S3Proxy) through Beam's FileSystems, and the emulator, reading that bucket
 * through the stage's URL, COPYs them; the real snowflake-jdbc driver in between, no PUT.
 */
class ExternalStageLoadTest {
  private static final String BUCKET = "stage-bucket";
  private static final Pattern COPY_FROM =
      Pattern.compile("^COPY INTO .* FROM @\"EXT\"/(\\S+) FILE_FORMAT");

  @TempDir Path tmp;
  private LocalS3 s3;
  private PipelineOptions options;

  private final TableSchema demog = form("S1", "DEMOG");
  private final TableSchema ae = form("S1", "AE", "term");

  /** One RowBatch per table, so each table is one batch whatever the bundles. */
  private List<RowBatch> input(long age1) {
    return List.of(
        batch(
            demog,
            row("S1", "DEMOG", 1, age1, 70.5, 1),
            row("S1", "DEMOG", 2, 40L, null, 2),
            row("S1", "DEMOG", 3, 50L, 1.0, 3)),
        batch(ae, row("S1", "AE", 10, null, null, 1, "headache")),
        RowBatch.of(Fixtures.sites("S1"), List.<Object[]>of(new Object[] {"S1", 1L, "Site A"})));
  }

  @BeforeEach
  void startS3() throws Exception {
    s3 = LocalS3.start(BUCKET);
    options = s3.options();
  }

  @AfterEach
  void stopS3() throws Exception {
    s3.close();
  }

  /** The emulator with stage TESTDB.RAW.EXT on s3://stage-bucket/sf/ (a storage integration). */
  private EmulatedSnowflake snowflake(String root, SnowflakeFaults faults) throws Exception {
    EmulatedSnowflake sf = EmulatedSnowflake.start(tmp.resolve(root), faults, s3.endpoint());
    try (Connection c = sf.settings.connect();
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE STAGE IF NOT EXISTS TESTDB.RAW.EXT URL = 's3://"
              + BUCKET
              + "/sf/' STORAGE_INTEGRATION = S3_INT");
    }
    return sf;
  }

  private LoadIntoSnowflake load(EmulatedSnowflake sf) {
    return LoadIntoSnowflake.to(sf.settingsWithStage("@EXT"))
        .withStageUrl("s3://" + BUCKET + "/sf/")
        .withManifestPath(tmp.resolve("manifest.jsonl"))
        .withRetryBackoff(Duration.ZERO)
        .withSleeper(d -> {})
        .withBatchSize(1000);
  }

  /** Runs the load; per table key and status the summed rows of this run's manifest lines. */
  private Map<String, Long> run(List<RowBatch> rows, LoadIntoSnowflake load) {
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of(rows).withCoder(RowBatchCoder.of())).apply(load);
    LoadManifest manifest = new LoadManifest(tmp.resolve("manifest.jsonl"));
    int before = manifest.read().size();
    p.run().waitUntilFinish();
    Map<String, Long> sums = new TreeMap<>();
    List<LoadResult> entries = manifest.read();
    lastLoaded = new TreeSet<>();
    for (LoadResult r : entries.subList(before, entries.size())) {
      sums.merge(r.tableKey() + " " + r.status(), r.rowCount(), Long::sum);
      if (r.status() == LoadResult.Status.LOADED) {
        lastLoaded.add(r.stagePath().replace("@\"EXT\"/", ""));
      }
    }
    return sums;
  }

  /** The stage paths of the batches the last {@link #run} loaded, from its manifest lines. */
  private TreeSet<String> lastLoaded;

  /** The stage paths the statements since {@code from} COPYed from @"EXT". */
  private static TreeSet<String> copiedFrom(EmulatedSnowflake sf, int from) {
    TreeSet<String> paths = new TreeSet<>();
    List<String> statements = sf.emulator.statements();
    for (String sql : statements.subList(from, statements.size())) {
      Matcher m = COPY_FROM.matcher(sql);
      if (m.find()) {
        paths.add(m.group(1));
      }
    }
    return paths;
  }

  private static long puts(EmulatedSnowflake sf) {
    return sf.emulator.statements().stream().filter(s -> s.strip().startsWith("PUT ")).count();
  }

  @Test
  void loadsThroughTheBucketWithoutPutAndDeletesLoadedFilesUnlessKept() throws Exception {
    try (EmulatedSnowflake sf = snowflake("emu", SnowflakeFaults.none())) {
      int from = sf.emulator.statements().size();
      assertEquals(
          Map.of("DEMOG LOADED", 3L, "AE LOADED", 1L, "sites LOADED", 1L),
          run(input(30L), load(sf)));
      assertEquals(
          List.of("1|30", "2|40", "3|50"),
          sf.rows("SELECT RECORD_ID, AGE FROM TESTDB.RAW.S1_DEMOG ORDER BY 1"));
      assertEquals(List.of("10|headache"), sf.rows("SELECT RECORD_ID, TERM FROM TESTDB.RAW.S1_AE"));
      assertEquals(List.of("S1|1|Site A"), sf.rows("SELECT * FROM TESTDB.RAW.S1_META_SITES"));
      assertEquals(0, puts(sf));
      // One file per table, each COPYed once.
      TreeSet<String> copied = copiedFrom(sf, from);
      assertEquals(lastLoaded, copied);
      assertEquals(3, copied.size(), copied.toString());
      TreeSet<String> tables = new TreeSet<>();
      for (String path : copied) {
        assertTrue(path.matches("imednet/S1_(DEMOG|AE|META_SITES)/[0-9a-f]{64}[.]parquet"), path);
        tables.add(path.split("/")[1]);
      }
      assertEquals(new TreeSet<>(List.of("S1_AE", "S1_DEMOG", "S1_META_SITES")), tables);
      // Deleted after their COPY committed.
      assertEquals(List.of(), s3.keys(BUCKET));

      // Changed rows for DEMOG, kept in the bucket this time: exactly the files COPY read.
      from = sf.emulator.statements().size();
      List<RowBatch> changed = new ArrayList<>(input(31L));
      changed.set(
          0,
          batch(
              demog,
              row("S1", "DEMOG", 1, 31L, 70.5, 1),
              row("S1", "DEMOG", 2, 40L, null, 2),
              row("S1", "DEMOG", 3, 50L, 1.0, 3),
              row("S1", "DEMOG", 4, 60L, null, 4)));
      assertEquals(
          Map.of("DEMOG LOADED", 4L, "AE ALREADY_LOADED", 0L, "sites ALREADY_LOADED", 0L),
          run(changed, load(sf).withKeepStaged(true)));
      assertEquals(
          List.of("1|31", "2|40", "3|50", "4|60"),
          sf.rows("SELECT RECORD_ID, AGE FROM TESTDB.RAW.S1_DEMOG ORDER BY 1"));
      TreeSet<String> kept = copiedFrom(sf, from);
      assertEquals(lastLoaded, kept);
      assertEquals(1, kept.size(), kept.toString());
      List<String> expectedKeys = new ArrayList<>();
      kept.forEach(k -> expectedKeys.add("sf/" + k));
      assertEquals(expectedKeys, s3.keys(BUCKET));
      assertEquals(0, puts(sf));
    }
  }

  @Test
  void filesWrittenButNeverCopiedAreLoadedOnceByTheNextRun() throws Exception {
    try (EmulatedSnowflake sf = snowflake("emu", SnowflakeFaults.none().failCopy(1).times(100))) {
      Pipeline p = Pipeline.create(options);
      p.apply(Create.of(input(30L)).withCoder(RowBatchCoder.of()))
          .apply(load(sf).withMaxRetries(0));
      Throwable t = assertThrows(Throwable.class, () -> p.run().waitUntilFinish());
      while (t != null && !(t instanceof ExportBatchError)) {
        t = t.getCause();
      }
      assertTrue(t instanceof ExportBatchError, "no ExportBatchError in the failure chain");
      assertTrue(t.getMessage().contains("failed at COPY after 1 attempt(s)"), t.getMessage());
      assertTrue(sf.emulator.faultsFired() >= 1);
    }
    // The run died between writing files and loading them: files in the bucket, no rows.
    List<String> left = s3.keys(BUCKET);
    assertFalse(left.isEmpty());
    for (String key : left) {
      assertTrue(key.matches("sf/imednet/S1_(DEMOG|AE|META_SITES)/[0-9a-f]{64}[.]parquet"), key);
    }

    try (EmulatedSnowflake sf = snowflake("emu", SnowflakeFaults.none())) {
      assertEquals(0, rowsInTargetTables(sf));
      assertEquals(
          Map.of("DEMOG LOADED", 3L, "AE LOADED", 1L, "sites LOADED", 1L),
          run(input(30L), load(sf)));
      assertEquals(
          List.of("1|30", "2|40", "3|50"),
          sf.rows("SELECT RECORD_ID, AGE FROM TESTDB.RAW.S1_DEMOG ORDER BY 1"));
      assertEquals(List.of("10|headache"), sf.rows("SELECT RECORD_ID, TERM FROM TESTDB.RAW.S1_AE"));
      assertEquals(List.of("S1|1|Site A"), sf.rows("SELECT * FROM TESTDB.RAW.S1_META_SITES"));
      assertEquals(List.of(), s3.keys(BUCKET));

      // Once more: the manifest knows every batch, nothing is written or loaded.
      int from = sf.emulator.statements().size();
      assertEquals(
          Map.of("DEMOG ALREADY_LOADED", 0L, "AE ALREADY_LOADED", 0L, "sites ALREADY_LOADED", 0L),
          run(input(30L), load(sf)));
      assertEquals(List.of(), copiedFrom(sf, from).stream().toList());
      assertEquals(
          List.of("1|30", "2|40", "3|50"),
          sf.rows("SELECT RECORD_ID, AGE FROM TESTDB.RAW.S1_DEMOG ORDER BY 1"));
      assertEquals(List.of(), s3.keys(BUCKET));
      assertEquals(0, puts(sf));
    }
  }

  /** Rows in whichever of the three target tables exist. */
  private static long rowsInTargetTables(EmulatedSnowflake sf) {
    long rows = 0;
    for (String table : List.of("S1_DEMOG", "S1_AE", "S1_META_SITES")) {
      boolean exists =
          !sf.rows(
                  "SELECT 1 FROM duckdb_tables() WHERE database_name = 'TESTDB'"
                      + " AND schema_name = 'RAW' AND table_name = '"
                      + table
                      + "'")
              .isEmpty();
      if (exists) {
        rows += Long.parseLong(sf.rows("SELECT count(*) FROM TESTDB.RAW." + table).get(0));
      }
    }
    return rows;
  }

  @Test
  void aStageUrlThatIsNotTheStagesOwnFailsNamingBoth() throws Exception {
    try (EmulatedSnowflake sf = snowflake("emu", SnowflakeFaults.none())) {
      Pipeline p = Pipeline.create(options);
      p.apply(Create.of(input(30L).subList(1, 2)).withCoder(RowBatchCoder.of()))
          .apply(load(sf).withStageUrl("s3://" + BUCKET + "/elsewhere"));
      Throwable t = assertThrows(Throwable.class, () -> p.run().waitUntilFinish());
      while (t != null && !(t instanceof ExportBatchError)) {
        t = t.getCause();
      }
      assertTrue(t instanceof ExportBatchError, "no ExportBatchError in the failure chain");
      assertTrue(
          t.getMessage()
              .contains("is s3://stage-bucket/elsewhere the URL of stage EXT (DESC STAGE EXT)?"),
          t.getMessage());
      assertEquals(List.of(), sf.rows("SELECT * FROM TESTDB.RAW.S1_AE"));
    }
  }

  @Test
  void stageUrlIsValidatedAndShown() throws Exception {
    LoadIntoSnowflake base =
        LoadIntoSnowflake.to(
            SnowflakeSettings.builder()
                .account("acct")
                .user("loader")
                .password(org.imednet.export.api.Secret.of("pw"))
                .database("DB")
                .warehouse("WH")
                .stage("@EXT")
                .build());
    assertEquals(
        "stageUrl must be the URL of an external stage, scheme://bucket[/path] (such as"
            + " s3://bucket/stage), was '/local/dir'",
        assertThrows(IllegalArgumentException.class, () -> base.withStageUrl("/local/dir"))
            .getMessage());
    assertEquals(
        "stageUrl must not contain empty, '.' or '..' segments, was 's3://b/a/../c'",
        assertThrows(IllegalArgumentException.class, () -> base.withStageUrl("s3://b/a/../c"))
            .getMessage());
    assertEquals(
        "stageUrl must not contain glob characters (* ? [ ] { }), was 's3://b/st*ge'",
        assertThrows(IllegalArgumentException.class, () -> base.withStageUrl("s3://b/st*ge"))
            .getMessage());
    assertEquals("s3://b", SnowflakeLoadOptions.defaults().withStageUrl("s3://b/").stageUrl());
    assertEquals(null, SnowflakeLoadOptions.defaults().stageUrl());

    Pipeline p = Pipeline.create(options);
    PCollection<RowBatch> rows = p.apply(Create.of(input(30L)).withCoder(RowBatchCoder.of()));
    IllegalArgumentException unregistered =
        assertThrows(
            IllegalArgumentException.class,
            () -> rows.apply(base.withStageUrl("nosuch://bucket/stage")));
    assertEquals(
        "No Beam FileSystem for nosuch:// is registered (for nosuch://bucket/stage): s3:// needs"
            + " beam-sdks-java-io-amazon-web-services2 on the classpath, gs://"
            + " beam-sdks-java-extensions-google-cloud-platform-core, azfs://"
            + " beam-sdks-java-io-azure, hdfs:// beam-sdks-java-io-hadoop-file-system",
        unregistered.getMessage());
    assertEquals(null, unregistered.getCause());

    DisplayData shown = DisplayData.from(base.withStageUrl("s3://bucket/stage"));
    assertTrue(
        shown.items().stream()
            .anyMatch(
                i -> i.getKey().equals("stageUrl") && "s3://bucket/stage".equals(i.getValue())),
        shown.toString());
    assertFalse(
        DisplayData.from(base).items().stream().anyMatch(i -> i.getKey().equals("stageUrl")));
  }
}
