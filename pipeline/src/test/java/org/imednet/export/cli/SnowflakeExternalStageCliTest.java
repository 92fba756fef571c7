package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.imednet.export.sinks.parquet.PathStyleS3ClientBuilderFactory;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.FaultPlan;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.imednet.export.testdata.snowflake.SnowflakeEmulator;
import org.imednet.export.testdata.snowflake.SnowflakeFaults;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.jclouds.blobstore.domain.StorageType;
import org.jclouds.blobstore.options.ListContainerOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code imednet export snowflake --stage @EXT --stage-url s3://…} end to end: the iMednet emulator
 * as the source, the workers writing batch files into an in-process S3Proxy bucket through Beam's
 * FileSystems, the real snowflake-jdbc driver, and the Snowflake emulator reading that bucket
 * through its external stage. Compared row for row with an export through an internal stage.
 */
class SnowflakeExternalStageCliTest {
  private static final String API_KEY = "sf-ext-api-key-0c17";
  private static final String SECURITY_KEY = "sf-ext-security-key-66d2";
  private static final String PASSWORD = "Sn0wflake-ext-pw-2291";
  private static final String S3_ACCESS = "sf-ext-access";
  private static final String S3_SECRET = "sf-ext-secret-4be0-never-printed";
  private static final String BUCKET = "clinical-stage";
  private static final String STAGE_URL = "s3://" + BUCKET + "/snowflake";
  private static final Pattern COPY_FROM_EXT =
      Pattern.compile("^COPY INTO .* FROM @\"EXT\"/(\\S+) FILE_FORMAT");

  /** The run's own bookkeeping, with run ids and times: not rows of the studies. */
  private static final List<String> BOOKKEEPING =
      List.of("IMEDNET_EXPORT_LEDGER", "IMEDNET_EXPORT_LOCK");

  @TempDir Path tmp;
  private BlobStoreContext store;
  private S3Proxy proxy;
  private ImednetEmulator api;
  private Path env;

  @BeforeEach
  void start() throws Exception {
    store =
        ContextBuilder.newBuilder("transient-nio2")
            .credentials("identity", "credential")
            .build(BlobStoreContext.class);
    proxy =
        S3Proxy.builder()
            .blobStore(store.getBlobStore())
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, S3_ACCESS, S3_SECRET)
            .ignoreUnknownHeaders(true)
            .build();
    proxy.start();
    store.getBlobStore().createContainerInLocation(null, BUCKET);
    // The AWS default chain reads these, as it reads AWS_ACCESS_KEY_ID/... from the environment:
    // for the workers' writes and for the emulator's storage integration alike.
    System.setProperty("aws.accessKeyId", S3_ACCESS);
    System.setProperty("aws.secretAccessKey", S3_SECRET);
    api =
        ImednetEmulator.builder()
            .data(FolderStudyData.load(SampleStudies.root()))
            .credentials(API_KEY, SECURITY_KEY)
            .port(0)
            .faults(FaultPlan.none())
            .build()
            .start();
    env = CliFixture.envFile(tmp, api.baseUrl(), API_KEY, SECURITY_KEY);
    Files.writeString(env, "SNOWFLAKE_PASSWORD=" + PASSWORD + "\n", StandardOpenOption.APPEND);
  }

  @AfterEach
  void stop() throws Exception {
    api.close();
    proxy.stop();
    store.close();
  }

  private SnowflakeEmulator snowflake(SnowflakeFaults faults) throws Exception {
    return SnowflakeEmulator.builder()
        .root(tmp.resolve("snowflake"))
        .credentials("LOADER", PASSWORD)
        .s3Endpoint(URI.create("http://127.0.0.1:" + proxy.getPort()))
        .s3PathStyle(true)
        .faults(faults)
        .build()
        .start();
  }

  /** Database IMEDNET_DB; schema INTERNAL with internal stage LANDING; the others with EXT. */
  private static void createTargets(SnowflakeEmulator sf, String... externalSchemas)
      throws Exception {
    try (Connection c = connect(sf);
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE IMEDNET_DB");
      st.execute("CREATE SCHEMA IMEDNET_DB.INTERNAL");
      st.execute("CREATE STAGE IMEDNET_DB.INTERNAL.LANDING");
      st.execute(
          "CREATE STORAGE INTEGRATION S3_INT TYPE = EXTERNAL_STAGE STORAGE_PROVIDER = 'S3'"
              + " ENABLED = TRUE STORAGE_AWS_ROLE_ARN = 'arn:aws:iam::123456789012:role/loader'"
              + " STORAGE_ALLOWED_LOCATIONS = ('"
              + STAGE_URL
              + "/')");
      for (String schema : externalSchemas) {
        st.execute("CREATE SCHEMA IMEDNET_DB." + schema);
        st.execute(
            "CREATE STAGE IMEDNET_DB."
                + schema
                + ".EXT URL = '"
                + STAGE_URL
                + "/' STORAGE_INTEGRATION = S3_INT FILE_FORMAT = (TYPE = PARQUET)");
      }
    }
  }

  private String[] args(SnowflakeEmulator sf, String schema, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
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
                schema,
                "--warehouse",
                "EMU_WH",
                "--host",
                "127.0.0.1",
                "--port",
                Integer.toString(sf.port()),
                "--protocol",
                "http",
                "--env-file",
                env.toString(),
                "--progress",
                "none"));
    a.addAll(List.of(more));
    return a.toArray(new String[0]);
  }

  /** The external-stage options and the Beam options that point s3:// at S3Proxy. */
  private String[] external(SnowflakeEmulator sf, String schema, String... more) {
    List<String> a =
        new ArrayList<>(List.of(args(sf, schema, "--stage", "@EXT", "--stage-url", STAGE_URL)));
    a.addAll(List.of(more));
    a.add("--endpoint=http://127.0.0.1:" + proxy.getPort());
    a.add("--awsRegion=us-east-1");
    a.add("--s3ClientFactoryClass=" + PathStyleS3ClientBuilderFactory.class.getName());
    return a.toArray(new String[0]);
  }

  @Test
  void externalStageLoadsTheSameRowsAsAnInternalOneWithoutPutAndDeletesWhatItLoaded()
      throws Exception {
    try (SnowflakeEmulator sf = snowflake(SnowflakeFaults.none())) {
      createTargets(sf, "EXTERNAL", "KEPT");

      int before = sf.statements().size();
      CliFixture.Run internal =
          CliFixture.run(args(sf, "INTERNAL", "--stage", "LANDING", "--runner", "direct"));
      assertEquals(0, internal.exitCode, internal.toString());
      assertTrue(puts(sf, before) > 0, "the internal-stage export PUTs its files");
      assertEquals(List.of(), keys());

      // On the default runner (embedded Flink), whose operators re-register FileSystems.
      before = sf.statements().size();
      Path manifest = tmp.resolve("manifest.jsonl");
      String[] ext =
          external(
              sf,
              "EXTERNAL",
              "--stage-prefix",
              "imednet/ext",
              "--manifest-path",
              manifest.toString());
      CliFixture.Run first = CliFixture.run(ext);
      assertEquals(0, first.exitCode, first.toString());
      assertEquals(0, puts(sf, before));
      TreeSet<String> copied = copiedFrom(sf, before);
      assertFalse(copied.isEmpty());
      for (String path : copied) {
        assertTrue(path.matches("imednet/ext/[A-Z0-9_]+/[0-9a-f]{64}[.]parquet"), path);
      }
      assertSameRows(sf, "INTERNAL", "EXTERNAL");
      assertFormCounts(sf, "EXTERNAL");
      // Every loaded file is deleted from the bucket after its COPY.
      assertEquals(List.of(), keys());

      // Incremental, through the same external stage: the records of the look-back hour and the
      // metadata they touch are loaded again (replacing their rows), the rest is in the manifest.
      before = sf.statements().size();
      List<String> extAgain = new ArrayList<>(List.of(ext));
      extAgain.addAll(List.of("--runner", "direct", "--incremental"));
      CliFixture.Run again = CliFixture.run(extAgain.toArray(new String[0]));
      assertEquals(0, again.exitCode, again.toString());
      assertTrue(
          again.out.contains("CARDIO01: records modified since 2025-08-05 15:04:00 UTC"),
          again.out);
      assertEquals(0, puts(sf, before));
      TreeSet<String> reloaded = copiedFrom(sf, before);
      assertTrue(
          reloaded.stream().anyMatch(p -> p.startsWith("imednet/ext/CARDIO01_VS/")),
          reloaded.toString());
      assertSameRows(sf, "INTERNAL", "EXTERNAL");
      assertFormCounts(sf, "EXTERNAL");
      assertEquals(List.of(), keys());
      assertEquals(
          List.of(List.of("full", "2"), List.of("incremental", "2")),
          viaDriver(
              sf,
              "SELECT MODE, count(*) FROM IMEDNET_DB.EXTERNAL.IMEDNET_EXPORT_LEDGER"
                  + " GROUP BY MODE ORDER BY MODE"));
      assertEquals(List.of(), keys());

      // --keep-staged: the files COPY read stay in the bucket, exactly those.
      before = sf.statements().size();
      CliFixture.Run kept =
          CliFixture.run(
              external(
                  sf,
                  "KEPT",
                  "--stage-prefix",
                  "imednet/kept",
                  "--keep-staged",
                  "--runner",
                  "direct"));
      assertEquals(0, kept.exitCode, kept.toString());
      assertEquals(0, puts(sf, before));
      TreeSet<String> keptCopies = copiedFrom(sf, before);
      List<String> expectedKeys = new ArrayList<>();
      keptCopies.forEach(p -> expectedKeys.add("snowflake/" + p));
      assertFalse(expectedKeys.isEmpty());
      assertEquals(expectedKeys, keys());
      assertSameRows(sf, "INTERNAL", "KEPT");

      for (CliFixture.Run r : List.of(internal, first, again, kept)) {
        assertFalse(r.all().contains(PASSWORD), r.toString());
        assertFalse(r.all().contains(S3_SECRET), r.toString());
        assertFalse(r.all().contains(S3_ACCESS), r.toString());
      }
      assertFalse(Files.readString(manifest).contains(S3_SECRET));
    }
  }

  @Test
  void aRunThatDiesBetweenWritingAndCopyIsRerunWithoutLoadingAnythingTwice() throws Exception {
    List<String> leftBehind;
    try (SnowflakeEmulator sf = snowflake(SnowflakeFaults.none().failCopy(3).times(10_000))) {
      createTargets(sf, "EXTERNAL");
      CliFixture.Run failed =
          CliFixture.run(external(sf, "EXTERNAL", "--max-retries", "0", "--runner", "direct"));
      assertEquals(ImednetCli.EXIT_ERROR, failed.exitCode, failed.toString());
      assertTrue(
          failed.err.contains(
              "error: SnowflakeSQLException: Injected failure for statement #3 matching"),
          failed.err);
      assertTrue(sf.faultsFired() >= 1);
      // Written, never loaded: the files of every batch after the first two COPYs.
      leftBehind = keys();
      assertFalse(leftBehind.isEmpty());
      for (String key : leftBehind) {
        assertTrue(key.matches("snowflake/imednet/[A-Z0-9_]+/[0-9a-f]{64}[.]parquet"), key);
      }
    }

    // Snowflake back without the fault (same data): the re-run completes the load.
    try (SnowflakeEmulator sf = snowflake(SnowflakeFaults.none())) {
      int before = sf.statements().size();
      CliFixture.Run rerun = CliFixture.run(external(sf, "EXTERNAL", "--runner", "direct"));
      assertEquals(0, rerun.exitCode, rerun.toString());
      assertEquals(0, puts(sf, before));
      // Nothing the re-run loaded stays behind; a left-behind file whose batch the re-run cut
      // differently stays, unloaded (as in an internal stage after a crash).
      assertTrue(leftBehind.containsAll(keys()), keys() + " not within " + leftBehind);
      for (String path : copiedFrom(sf, before)) {
        assertFalse(keys().contains("snowflake/" + path), path);
      }

      CliFixture.Run reference =
          CliFixture.run(args(sf, "INTERNAL", "--stage", "LANDING", "--runner", "direct"));
      assertEquals(0, reference.exitCode, reference.toString());
      assertSameRows(sf, "INTERNAL", "EXTERNAL");
      assertFormCounts(sf, "EXTERNAL");
    }
  }

  @Test
  void stageUrlWithAnUnregisteredSchemeOrWithoutStageIsAOneLineUsageError() {
    CliFixture.Run azure =
        CliFixture.run(
            "export",
            "snowflake",
            "CARDIO01",
            "--stage",
            "@EXT",
            "--stage-url",
            "azure://acct.blob.core.windows.net/container/stage",
            "--progress",
            "none");
    assertEquals(ImednetCli.EXIT_USAGE, azure.exitCode, azure.toString());
    assertEquals(
        "error: --stage-url: No Beam FileSystem for azure:// is registered (for"
            + " azure://acct.blob.core.windows.net/container/stage): s3:// needs"
            + " beam-sdks-java-io-amazon-web-services2 on the classpath, gs://"
            + " beam-sdks-java-extensions-google-cloud-platform-core, azfs://"
            + " beam-sdks-java-io-azure, hdfs:// beam-sdks-java-io-hadoop-file-system\n",
        azure.err);

    CliFixture.Run noStage =
        CliFixture.run(
            "export",
            "snowflake",
            "CARDIO01",
            "--stage-url",
            "s3://bucket/stage",
            "--progress",
            "none");
    assertEquals(ImednetCli.EXIT_USAGE, noStage.exitCode, noStage.toString());
    assertEquals(
        "error: --stage-url s3://bucket/stage needs --stage @NAME, the external stage whose URL"
            + " it is (created once with CREATE STAGE NAME URL = 's3://bucket/stage'"
            + " STORAGE_INTEGRATION = ...)\n",
        noStage.err);

    CliFixture.Run notAUrl =
        CliFixture.run(
            "export",
            "snowflake",
            "CARDIO01",
            "--stage",
            "EXT",
            "--stage-url",
            "bucket/stage",
            "--progress",
            "none");
    assertEquals(ImednetCli.EXIT_USAGE, notAUrl.exitCode, notAUrl.toString());
    assertEquals(
        "error: --stage-url: stageUrl must be the URL of an external stage,"
            + " scheme://bucket[/path] (such as s3://bucket/stage), was 'bucket/stage'\n",
        notAUrl.err);
  }

  @Test
  void helpDescribesTheOption() {
    CliFixture.Run help = CliFixture.run("export", "snowflake", "--help");
    assertEquals(0, help.exitCode, help.toString());
    // As the terminal shows it, unwrapped (picocli may also break a line after "s3:").
    String text = help.out.replaceAll("\\s+", " ").replace("s3: //", "s3://");
    assertTrue(
        text.contains(
            "--stage-url=URL The URL of the EXTERNAL stage --stage names (s3://bucket/path, or"
                + " another scheme Beam has a FileSystem for): batch files are written to"
                + " URL/<stage-prefix>/ by the workers and COPYed from the stage, with no PUT;"
                + " loaded files are deleted from there unless --keep-staged."),
        help.out);
    assertTrue(
        text.contains(
            "With --stage-url the stage is an EXTERNAL stage: the workers write the batches to"
                + " <URL>/<stage-prefix>/ themselves (no PUT;"),
        help.out);
  }

  // ---------------------------------------------------------------- helpers

  private static long puts(SnowflakeEmulator sf, int from) {
    List<String> s = sf.statements();
    return s.subList(from, s.size()).stream()
        .filter(sql -> sql.strip().toUpperCase(java.util.Locale.ROOT).startsWith("PUT "))
        .count();
  }

  /** The paths inside the stage that the statements since {@code from} COPYed from @"EXT". */
  private static TreeSet<String> copiedFrom(SnowflakeEmulator sf, int from) {
    TreeSet<String> paths = new TreeSet<>();
    List<String> s = sf.statements();
    for (String sql : s.subList(from, s.size())) {
      Matcher m = COPY_FROM_EXT.matcher(sql);
      if (m.find()) {
        paths.add(m.group(1));
      }
    }
    return paths;
  }

  /** Every object key in the stage bucket, sorted. */
  private List<String> keys() {
    List<String> keys = new ArrayList<>();
    for (StorageMetadata m :
        store.getBlobStore().list(BUCKET, ListContainerOptions.Builder.recursive())) {
      if (m.getType() == StorageType.BLOB) {
        keys.add(m.getName());
      }
    }
    keys.sort(null);
    return keys;
  }

  /** The two schemas hold the same tables with the same rows, read through the driver. */
  private static void assertSameRows(SnowflakeEmulator sf, String expected, String actual)
      throws Exception {
    List<String> tables = tables(sf, expected);
    assertEquals(tables, tables(sf, actual));
    // 4 form tables per study (CARDIO01's CM and ONCO-22's fifth form have no records, so no
    // table) and 8 metadata tables each.
    assertEquals(24, tables.size(), tables.toString());
    long compared = 0;
    for (String t : tables) {
      List<List<String>> want = rows(sf, expected, t);
      assertFalse(want.isEmpty(), t);
      assertEquals(want, rows(sf, actual, t), actual + "." + t + " differs from " + expected);
      compared += want.size();
    }
    // CARDIO01: 191 records and 442 metadata rows; ONCO-22: 200 records and 306 metadata rows.
    assertEquals(191 + 442 + 200 + 306, compared);
  }

  private static List<String> tables(SnowflakeEmulator sf, String schema) throws Exception {
    List<String> out = new ArrayList<>();
    for (List<String> r :
        viaDriver(
            sf,
            "SELECT table_name FROM IMEDNET_DB.INFORMATION_SCHEMA.TABLES WHERE table_schema = '"
                + schema
                + "' ORDER BY 1")) {
      // A run killed mid-COPY may leave its transient <TABLE>_STG_* table (documented, safe to
      // drop); it never holds rows of a target table.
      if (!BOOKKEEPING.contains(r.get(0)) && !r.get(0).contains("_STG_")) {
        out.add(r.get(0));
      }
    }
    return out;
  }

  /** Every row of a table, every column as the driver's text, in a total order. */
  private static List<List<String>> rows(SnowflakeEmulator sf, String schema, String table)
      throws Exception {
    return viaDriver(sf, "SELECT * FROM IMEDNET_DB." + schema + ".\"" + table + "\" ORDER BY ALL");
  }

  /** Rows per form table equal the records per form of the sample studies. */
  private static void assertFormCounts(SnowflakeEmulator sf, String schema) throws Exception {
    Map<String, Long> expected = new TreeMap<>();
    CliFixture.sampleRecordsPerForm("CARDIO01")
        .forEach((f, n) -> expected.put("CARDIO01_" + f.replace(' ', '_'), n));
    CliFixture.sampleRecordsPerForm("ONCO-22").forEach((f, n) -> expected.put("ONCO_22_" + f, n));
    Map<String, Long> actual = new TreeMap<>();
    for (String t : expected.keySet()) {
      List<List<String>> r =
          viaDriver(
              sf,
              "SELECT count(*), count(DISTINCT RECORD_ID) FROM IMEDNET_DB."
                  + schema
                  + ".\""
                  + t
                  + "\"");
      assertEquals(r.get(0).get(0), r.get(0).get(1), t + " has duplicate records");
      actual.put(t, Long.parseLong(r.get(0).get(0)));
    }
    assertEquals(expected, actual);
  }

  private static List<List<String>> viaDriver(SnowflakeEmulator sf, String sql) throws Exception {
    List<List<String>> rows = new ArrayList<>();
    try (Connection c = connect(sf);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> row = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
          row.add(rs.getString(i));
        }
        rows.add(row);
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
