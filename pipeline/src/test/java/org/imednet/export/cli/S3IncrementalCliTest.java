package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.imednet.export.sinks.parquet.LakeLock;
import org.imednet.export.sinks.parquet.PathStyleS3ClientBuilderFactory;
import org.imednet.export.sinks.staging.RemoteFiles;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.Fault;
import org.imednet.export.testdata.emulator.FaultPlan;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.imednet.export.testdata.emulator.Resource;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code export parquet --incremental} and {@code backfill parquet} into a lake on S3 (an
 * in-process S3Proxy), on the DirectRunner, against the API emulator: the same guarantees as for a
 * local lake ({@link IncrementalExportCliTest}, {@link BackfillCliTest}), read back by copying the
 * bucket to a local folder and comparing with DuckDB, EXCEPT ALL both ways.
 */
class S3IncrementalCliTest {
  private static final String API_KEY = "s3-incremental-api-key-4e1a";
  private static final String SECURITY_KEY = "s3-incremental-security-key-77c0";
  private static final String S3_ACCESS = "s3-incremental-access";
  private static final String S3_SECRET = "s3-incremental-secret-never-printed-5d";
  private static final List<String> METADATA_TABLES =
      List.of("forms", "variables", "subjects", "visits", "record_revisions", "columns");

  private static BlobStoreContext store;
  private static S3Proxy proxy;
  private static List<String> s3Args;

  @TempDir Path tmp;

  @BeforeAll
  static void startS3() throws Exception {
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
    // The AWS default chain reads these, as it reads AWS_ACCESS_KEY_ID/... from the environment.
    System.setProperty("aws.accessKeyId", S3_ACCESS);
    System.setProperty("aws.secretAccessKey", S3_SECRET);
    s3Args =
        List.of(
            "--endpoint=http://127.0.0.1:" + proxy.getPort(),
            "--awsRegion=us-east-1",
            "--s3ClientFactoryClass=" + PathStyleS3ClientBuilderFactory.class.getName());
  }

  @AfterAll
  static void stopS3() throws Exception {
    proxy.stop();
    store.close();
  }

  @Test
  void incrementalIntoAnS3LakeEqualsAFullExportOfTheNextDay() throws Exception {
    store.getBlobStore().createContainerInLocation(null, "incremental");
    String lake = "s3://incremental/exports/lake";
    FolderStudyData data = FolderStudyData.load(SampleStudies.root());
    try (ImednetEmulator api = emulator(data, FaultPlan.none())) {
      Path env = env(api);
      CliFixture.Run first =
          run(env, "export", "parquet", "CARDIO01", "--lake", lake, "--incremental");
      assertEquals(0, first.exitCode, first.toString());
      assertTrue(
          first.out.contains("CARDIO01: exported whole (not in the target's ledger yet)"),
          first.out);
      Map<String, String> aeBefore =
          CliFixture.treeDigest(sync(lake).resolve("study_key=CARDIO01/form_key=AE LOG"));
      assertFalse(aeBefore.isEmpty());

      nextDay(data);
      api.clearRequests();
      CliFixture.Run second =
          run(env, "export", "parquet", "CARDIO01", "--lake", lake, "--incremental");
      assertEquals(0, second.exitCode, second.toString());
      assertTrue(
          second.out.contains("CARDIO01: records modified since 2025-08-05 15:04:00 UTC"),
          second.out);
      // The same reads as into a local lake: one keyset page per form, each windowed resource
      // from its own mark less the hour of look-back, the small tables whole.
      assertEquals(
          5,
          api.requests().stream().filter(r -> r.path().endsWith("/records")).count(),
          api.requests().toString());
      assertEquals(
          Map.of(
              "forms", Set.of("none"),
              "intervals", Set.of("none"),
              "recordRevisions", Set.of("dateCreated>=2025-08-05T12:04:00Z"),
              "records", Set.of("dateModified>=2025-08-05T15:04:00Z"),
              "sites", Set.of("none"),
              "subjects", Set.of("dateModified>=2025-05-05T11:02:00Z"),
              "variables", Set.of("none"),
              "visits", Set.of("dateModified>=2025-07-09T11:02:00Z")),
          filters(api));

      Path copy = sync(lake);
      // A form without a changed record keeps its objects as they were.
      assertEquals(
          aeBefore, CliFixture.treeDigest(copy.resolve("study_key=CARDIO01/form_key=AE LOG")));
      assertEquals(
          List.of(
              List.of("full", 191L, LocalDateTime.parse("2025-08-05T16:04")),
              List.of("incremental", 5L, LocalDateTime.parse("2026-01-20T10:00"))),
          ledger(copy));
      // Only the lake, its ledger and its metadata: no lock, no staging left.
      assertEquals(
          List.of(), keys("incremental", k -> k.contains(".staging/") || k.endsWith("lock.json")));

      Path full = tmp.resolve("full-lake");
      CliFixture.Run reference =
          run(env, "export", "parquet", "CARDIO01", "--lake", full.toString());
      assertEquals(0, reference.exitCode, reference.toString());
      assertSameLakes(full, copy, sync(lake + "_metadata"), 192L);

      // Nothing changed since: the next run reads the hour before the mark and changes no row.
      CliFixture.Run third =
          run(env, "export", "parquet", "CARDIO01", "--lake", lake, "--incremental");
      assertEquals(0, third.exitCode, third.toString());
      assertTrue(third.out.contains("records modified since 2026-01-20 09:00:00 UTC"), third.out);
      assertSameLakes(full, sync(lake), sync(lake + "_metadata"), 192L);

      for (CliFixture.Run r : List.of(first, second, third)) {
        assertFalse(r.all().contains(S3_SECRET), "the S3 secret key was printed");
      }
    }
  }

  @Test
  void anInterruptedS3BackfillResumedFetchesOnlyTheMissingShardsAndEqualsAPlainExport()
      throws Exception {
    store.getBlobStore().createContainerInLocation(null, "backfill");
    String lake = "s3://backfill/lake";
    FaultPlan onco22Forbidden =
        FaultPlan.builder()
            .onPath(".*/studies/ONCO-22/records")
            .times(Long.MAX_VALUE)
            .fault(Fault.status(403))
            .build();
    CliFixture.Run first;
    try (ImednetEmulator broken =
        emulator(FolderStudyData.load(SampleStudies.root()), onco22Forbidden)) {
      first = backfill(env(broken), lake);
    }
    assertEquals(ImednetCli.EXIT_PARTIAL, first.exitCode, first.toString());
    assertEquals(
        List.of(
            "2025-01-01 00:00:00 .. 2025-01-31 00:00:00: CARDIO01: 0 records",
            "2025-01-01 00:00:00 .. 2025-01-31 00:00:00: ONCO-22: FAILED",
            "2025-01-31 00:00:00 .. 2025-03-02 00:00:00: CARDIO01: 0 records",
            "2025-03-02 00:00:00 .. 2025-04-01 00:00:00: CARDIO01: 0 records",
            "2025-04-01 00:00:00 .. 2025-05-01 00:00:00: CARDIO01: 65 records",
            "2025-05-01 00:00:00 .. 2025-05-31 00:00:00: CARDIO01: 51 records",
            "2025-05-31 00:00:00 .. 2025-06-30 00:00:00: CARDIO01: 41 records",
            "2025-06-30 00:00:00 .. 2025-07-30 00:00:00: CARDIO01: 27 records",
            "2025-07-30 00:00:00 .. 2025-08-29 00:00:00: CARDIO01: 7 records",
            "2025-08-29 00:00:00 .. 2025-09-01 00:00:00: CARDIO01: 0 records",
            "",
            "Backfill: 9 shards loaded now (191 records), 0 already in the ledger, 18 planned",
            "FAILED studies (re-run the same command to retry them):"),
        first.out.lines().limit(13).toList());
    assertTrue(first.out.contains("  ONCO-22: "), first.out);
    // One ledger object per committed window, written only after its partitions (the first
    // window's run of both studies failed and wrote none).
    assertEquals(9, keys("backfill", k -> k.startsWith("lake/_imednet/ledger/")).size());

    try (ImednetEmulator healthy =
        emulator(FolderStudyData.load(SampleStudies.root()), FaultPlan.none())) {
      Path env = env(healthy);
      CliFixture.Run second = backfill(env, lake);
      assertEquals(0, second.exitCode, second.toString());
      assertTrue(
          second.out.contains(
              "Backfill: 9 shards loaded now (200 records), 9 already in the ledger, 18 planned"),
          second.out);
      Set<String> studiesRead = new TreeSet<>();
      for (ImednetEmulator.RecordedRequest r : healthy.requests()) {
        if (r.path().endsWith("/records")) {
          studiesRead.add(r.path().split("/")[5]);
        }
      }
      assertEquals(Set.of("ONCO-22"), studiesRead);

      healthy.clearRequests();
      CliFixture.Run third = backfill(env, lake);
      assertEquals(0, third.exitCode, third.toString());
      assertTrue(
          third.out.contains(
              "Backfill: 0 shards loaded now (0 records), 18 already in the ledger, 18 planned"),
          third.out);
      assertEquals(
          0, healthy.requests().stream().filter(r -> r.path().endsWith("/records")).count());

      Path full = tmp.resolve("full-lake");
      CliFixture.Run reference =
          run(env, "export", "parquet", "CARDIO01", "ONCO-22", "--lake", full.toString());
      assertEquals(0, reference.exitCode, reference.toString());
      assertSameLakes(full, sync(lake), sync(lake + "_metadata"), 391L);
    }
  }

  @Test
  void aRunIntoAnS3LakeWhoseLockIsHeldIsRefusedAndChangesNothing() throws Exception {
    store.getBlobStore().createContainerInLocation(null, "locked");
    String lake = "s3://locked/lake";
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs(s3Args.toArray(new String[0])).create();
    try (ImednetEmulator api =
            emulator(FolderStudyData.load(SampleStudies.root()), FaultPlan.none());
        LakeLock held = LakeLock.acquire(lake, "other-run", null, options)) {
      Path env = env(api);
      for (String[] command :
          List.of(
              new String[] {"export", "parquet", "CARDIO01", "--lake", lake, "--incremental"},
              new String[] {
                "backfill",
                "parquet",
                "CARDIO01",
                "--lake",
                lake,
                "--from",
                "2025-01-01",
                "--to",
                "2025-01-02"
              })) {
        CliFixture.Run refused = run(env, command);
        assertEquals(ImednetCli.EXIT_LOCKED, refused.exitCode, refused.toString());
        assertEquals(
            "error: another run holds "
                + lake
                + " (other-run, pid "
                + ProcessHandle.current().pid()
                + " on "
                + held.holder().host()
                + " since "
                + held.holder().started()
                + "); this run changed nothing. If that run is gone, delete "
                + lake
                + "/_imednet/lock.json",
            refused.err.strip());
        assertEquals(List.of("lake/_imednet/lock.json"), keys("locked", k -> true));
        assertEquals(0, api.requests().stream().filter(r -> r.path().endsWith("/records")).count());
      }
    }
    assertEquals(List.of(), keys("locked", k -> true));
  }

  private CliFixture.Run backfill(Path env, String lake) {
    return run(
        env,
        "backfill",
        "parquet",
        "CARDIO01",
        "ONCO-22",
        "--lake",
        lake,
        "--from",
        "2025-01-01",
        "--to",
        "2025-08-31",
        "--window",
        "30d");
  }

  /** {@code imednet args… --env-file env --progress none --runner direct}, plus S3's options. */
  private CliFixture.Run run(Path env, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--env-file", env.toString(), "--progress", "none", "--runner", "direct"));
    if (String.join(" ", args).contains("s3://")) {
      all.addAll(s3Args);
    }
    return CliFixture.run(all.toArray(new String[0]));
  }

  /** Copies a remote folder to a fresh local one. */
  private Path sync(String folder) throws Exception {
    FileSystems.setDefaultPipelineOptions(
        PipelineOptionsFactory.fromArgs(s3Args.toArray(new String[0])).create());
    Path copy = Files.createTempDirectory(tmp, "sync");
    RemoteFiles.download(folder, copy);
    return copy;
  }

  /** The bucket's object keys that {@code keep} accepts, sorted. */
  private List<String> keys(String bucket, java.util.function.Predicate<String> keep)
      throws Exception {
    FileSystems.setDefaultPipelineOptions(
        PipelineOptionsFactory.fromArgs(s3Args.toArray(new String[0])).create());
    String prefix = "s3://" + bucket + "/";
    List<String> out = new ArrayList<>();
    for (var m :
        FileSystems.match(prefix + "**", org.apache.beam.sdk.io.fs.EmptyMatchTreatment.ALLOW)
            .metadata()) {
      String key = m.resourceId().toString().substring(prefix.length());
      if (keep.test(key)) {
        out.add(key);
      }
    }
    out.sort(null);
    return out;
  }

  /** The lake (and its metadata tables) hold exactly the rows of {@code full}'s. */
  private void assertSameLakes(Path full, Path lake, Path metadata, long rows) throws Exception {
    IncrementalExportCliTest.assertSameLake(full, lake, rows);
    Path fullMetadata = full.resolveSibling(full.getFileName() + "_metadata");
    for (String table : METADATA_TABLES) {
      IncrementalExportCliTest.assertSameLake(
          fullMetadata.resolve(table), metadata.resolve(table), -1);
    }
  }

  private static List<List<Object>> ledger(Path lake) throws Exception {
    List<List<Object>> out = new ArrayList<>();
    for (List<Object> r :
        CliFixture.query(
            null,
            "SELECT mode, rows_written, high_water_mark FROM read_json('"
                + lake.resolve("_imednet/ledger")
                + "/*.json') ORDER BY committed_at")) {
      Object mark = r.get(2);
      out.add(
          List.of(
              r.get(0),
              ((Number) r.get(1)).longValue(),
              mark instanceof java.sql.Timestamp
                  ? ((java.sql.Timestamp) mark).toLocalDateTime()
                  : LocalDateTime.parse(mark.toString())));
    }
    return out;
  }

  private static Map<String, Set<String>> filters(ImednetEmulator api) {
    Map<String, Set<String>> filters = new TreeMap<>();
    for (ImednetEmulator.RecordedRequest r : api.requests()) {
      String resource = r.path().substring(r.path().lastIndexOf('/') + 1);
      String filter = r.param("filter");
      filters
          .computeIfAbsent(resource, k -> new TreeSet<>())
          .add(
              filter == null
                  ? "none"
                  : filter.replaceAll("formId==[0-9]+;|recordId[<>=]+[0-9]+;?", ""));
    }
    return filters;
  }

  /** Day 2 of the sample study: every resource swapped for testdata/studies-next-day's. */
  private static void nextDay(FolderStudyData data) {
    FolderStudyData next = FolderStudyData.load(SampleStudies.nextDayRoot());
    for (Resource r : Resource.values()) {
      data.setItems("CARDIO01", r, next.list("CARDIO01", r));
    }
  }

  private Path env(ImednetEmulator api) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("env-" + api.port()));
    return CliFixture.envFile(dir, api.baseUrl(), API_KEY, SECURITY_KEY);
  }

  private static ImednetEmulator emulator(FolderStudyData data, FaultPlan faults) {
    return ImednetEmulator.builder()
        .data(data)
        .credentials(API_KEY, SECURITY_KEY)
        .port(0)
        .faults(faults)
        .build()
        .start();
  }
}
