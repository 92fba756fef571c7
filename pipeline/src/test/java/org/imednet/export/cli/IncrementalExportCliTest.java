package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.imednet.export.pipeline.TargetLock;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.imednet.export.testdata.emulator.Resource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code imednet export duckdb --incremental} against the emulator, with the sample study swapped
 * for its next day ({@code testdata/studies-next-day}: two records edited, one deleted, one added):
 * a full export of day 1 plus an incremental export of day 2 equals a full export of day 2, table
 * for table and row for row.
 */
class IncrementalExportCliTest {
  private static final String API_KEY = "incremental-test-api-key-51c9";
  private static final String SECURITY_KEY = "incremental-test-security-key-0be7";
  private static final String STUDY = "CARDIO01";

  @TempDir Path tmp;
  private FolderStudyData data;
  private ImednetEmulator emulator;
  private Path env;

  @BeforeEach
  void start() throws Exception {
    data = FolderStudyData.load(SampleStudies.root());
    emulator =
        ImednetEmulator.builder()
            .data(data)
            .credentials(API_KEY, SECURITY_KEY)
            .port(0)
            .build()
            .start();
    env = CliFixture.envFile(tmp, emulator.baseUrl(), API_KEY, SECURITY_KEY);
  }

  @AfterEach
  void stop() {
    emulator.close();
  }

  @Test
  void byFormFullPlusIncrementalEqualsFullOfTheNextDay() throws Exception {
    Path inc = tmp.resolve("incremental.duckdb");
    CliFixture.Run first = export(inc, "-", "--by-form", "--incremental");
    assertEquals(0, first.exitCode, first.toString());
    assertTrue(first.out.contains("CARDIO01: exported whole (not in the target's ledger yet)"));
    assertEquals(
        List.of(List.of("by-form", "full", 191L, "2025-08-05 16:04:00")),
        ledger(inc, "target, mode, rows_written, strftime(high_water_mark, '%Y-%m-%d %H:%M:%S')"));

    nextDay();
    emulator.clearRequests();
    CliFixture.Run second = export(inc, "-", "--by-form", "--incremental");
    assertEquals(0, second.exitCode, second.toString());
    // Records, subjects and visits are read from their marks by dateModified, revisions by
    // dateCreated; only the small tables (forms, variables, sites, intervals) are read whole.
    // No range planning in an incremental read: one keyset page per form (5 forms), whose
    // totalElements is the API's count of the form's changed records.
    assertEquals(
        5,
        emulator.requests().stream().filter(r -> r.path().endsWith("/records")).count(),
        emulator.requests().toString());
    Map<String, java.util.Set<String>> filters = new TreeMap<>();
    for (ImednetEmulator.RecordedRequest r : emulator.requests()) {
      String resource = r.path().substring(r.path().lastIndexOf('/') + 1);
      String filter = r.param("filter");
      filters
          .computeIfAbsent(resource, k -> new java.util.TreeSet<>())
          .add(
              filter == null
                  ? "none"
                  : filter.replaceAll("formId==[0-9]+;|recordId[<>=]+[0-9]+;?", ""));
    }
    assertEquals(
        Map.of(
            "forms", java.util.Set.of("none"),
            "intervals", java.util.Set.of("none"),
            // Each windowed table from its own mark (the latest dateCreated / dateModified the
            // file holds) less the hour of look-back.
            "recordRevisions", java.util.Set.of("dateCreated>=2025-08-05T12:04:00Z"),
            "records", java.util.Set.of("dateModified>=2025-08-05T15:04:00Z"),
            "sites", java.util.Set.of("none"),
            "subjects", java.util.Set.of("dateModified>=2025-05-05T11:02:00Z"),
            "variables", java.util.Set.of("none"),
            "visits", java.util.Set.of("dateModified>=2025-07-09T11:02:00Z")),
        filters);
    assertTrue(
        second.out.contains("CARDIO01: records modified since 2025-08-05 15:04:00 UTC"),
        second.out);
    // The four records changed on day 2 were read and written, and one of day 1 inside the hour of
    // look-back.
    assertEquals(
        List.of(
            List.of("full", 191L, "2025-08-05 16:04:00", "null"),
            List.of("incremental", 5L, "2026-01-20 10:00:00", "2025-08-05 15:04:00")),
        ledger(
            inc,
            "mode, rows_written, strftime(high_water_mark, '%Y-%m-%d %H:%M:%S'),"
                + " coalesce(strftime(window_from, '%Y-%m-%d %H:%M:%S'), 'null')"));

    Path full = tmp.resolve("full.duckdb");
    CliFixture.Run reference = export(full, "-", "--by-form");
    assertEquals(0, reference.exitCode, reference.toString());
    CliFixture.assertSameTables(full, inc, 192L);

    // Nothing changed since: the next incremental run reads the last hour before the mark only
    // and leaves every table as it was.
    CliFixture.Run third = export(inc, "-", "--by-form", "--incremental");
    assertEquals(0, third.exitCode, third.toString());
    assertTrue(third.out.contains("records modified since 2026-01-20 09:00:00 UTC"), third.out);
    CliFixture.assertSameTables(full, inc, 192L);
  }

  @Test
  void singleTableIncrementalOnTheDefaultRunnerAndAPlainExportInvalidatesTheMark()
      throws Exception {
    Path inc = tmp.resolve("single.duckdb");
    // A plain export records its run in the ledger too; the next --incremental starts from it.
    CliFixture.Run first = exportOn(null, inc, "study_records");
    assertEquals(0, first.exitCode, first.toString());
    nextDay();
    CliFixture.Run second =
        exportOn(null, inc, "study_records", "--incremental", "--look-back", "2d");
    assertEquals(0, second.exitCode, second.toString());
    assertTrue(
        second.out.contains("CARDIO01: records modified since 2025-08-03 16:04:00 UTC"),
        second.out);
    Path full = tmp.resolve("single-full.duckdb");
    assertEquals(0, exportOn(null, full, "study_records").exitCode);
    CliFixture.assertSameTables(full, inc, 192L);

    // A plain export of another study replaces the table whole, so CARDIO01's mark no longer
    // describes it: the next incremental run reads CARDIO01 whole again.
    assertEquals(0, exportStudy("ONCO-22", inc, "study_records").exitCode);
    assertEquals(
        List.of(List.of("CARDIO01", "invalidated"), List.of("ONCO-22", "full")),
        CliFixture.query(
            inc,
            "SELECT study_key, mode FROM imednet_export_ledger QUALIFY row_number() OVER"
                + " (PARTITION BY study_key ORDER BY committed_at DESC) = 1 ORDER BY 1"));
    CliFixture.Run again = exportOn("direct", inc, "study_records", "--incremental");
    assertTrue(again.out.contains("CARDIO01: exported whole (invalidated by run "), again.out);
  }

  @Test
  void lakeFullPlusIncrementalEqualsFullOfTheNextDay() throws Exception {
    Path lake = tmp.resolve("lake");
    CliFixture.Run first = exportLake(lake, "--incremental");
    assertEquals(0, first.exitCode, first.toString());
    assertTrue(first.out.contains("CARDIO01: exported whole (not in the target's ledger yet)"));
    Map<String, String> aeBefore =
        CliFixture.treeDigest(lake.resolve("study_key=CARDIO01/form_key=AE LOG"));

    nextDay();
    CliFixture.Run second = exportLake(lake, "--incremental");
    assertEquals(0, second.exitCode, second.toString());
    assertTrue(
        second.out.contains("CARDIO01: records modified since 2025-08-05 15:04:00 UTC"),
        second.out);
    // A form without a changed record keeps its files as they were.
    assertEquals(
        aeBefore, CliFixture.treeDigest(lake.resolve("study_key=CARDIO01/form_key=AE LOG")));
    List<List<Object>> ledger =
        CliFixture.query(
            null,
            "SELECT mode, rows_written, high_water_mark FROM read_json('"
                + lake.resolve("_imednet/ledger")
                + "/*.json') ORDER BY committed_at");
    assertEquals(
        List.of(
            List.of("full", 191L, java.time.LocalDateTime.parse("2025-08-05T16:04")),
            List.of("incremental", 5L, java.time.LocalDateTime.parse("2026-01-20T10:00"))),
        ledger.stream()
            .map(r -> List.of(r.get(0), ((Number) r.get(1)).longValue(), toTime(r.get(2))))
            .toList());

    Path full = tmp.resolve("full-lake");
    assertEquals(0, exportLake(full).exitCode);
    assertSameLake(full, lake, 192L);
    for (String table :
        List.of("forms", "variables", "subjects", "visits", "record_revisions", "columns")) {
      assertSameLake(
          tmp.resolve("full-lake_metadata").resolve(table),
          tmp.resolve("lake_metadata").resolve(table),
          -1);
    }
  }

  private static Object toTime(Object v) {
    if (v instanceof java.sql.Timestamp) {
      return ((java.sql.Timestamp) v).toLocalDateTime();
    }
    return java.time.LocalDateTime.parse(v.toString());
  }

  private CliFixture.Run exportLake(Path lake, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "export",
                "parquet",
                STUDY,
                "--lake",
                lake.toString(),
                "--env-file",
                env.toString(),
                "--progress",
                "none",
                "--runner",
                "direct"));
    args.addAll(List.of(more));
    return CliFixture.run(args.toArray(new String[0]));
  }

  /**
   * The Hive-partitioned Parquet under {@code expected} and {@code actual} hold the same rows
   * (EXCEPT ALL both ways, on the expected columns); {@code rows} of them unless negative.
   */
  static void assertSameLake(Path expected, Path actual, long rows) throws Exception {
    String e =
        "read_parquet('"
            + expected
            + "/**/*.parquet', hive_partitioning = true, union_by_name = true)";
    String a =
        "read_parquet('"
            + actual
            + "/**/*.parquet', hive_partitioning = true, union_by_name = true)";
    List<String> cols = new ArrayList<>();
    for (List<Object> r : CliFixture.query(null, "DESCRIBE SELECT * FROM " + e)) {
      cols.add("\"" + r.get(0) + "\"");
    }
    String c = String.join(", ", cols);
    for (String[] way : new String[][] {{e, a}, {a, e}}) {
      assertEquals(
          List.of(List.of(0L)),
          CliFixture.query(
              null,
              "SELECT count(*) FROM (SELECT "
                  + c
                  + " FROM "
                  + way[0]
                  + " EXCEPT ALL SELECT "
                  + c
                  + " FROM "
                  + way[1]
                  + ")"),
          expected + " vs " + actual);
    }
    if (rows >= 0) {
      assertEquals(List.of(List.of(rows)), CliFixture.query(null, "SELECT count(*) FROM " + a));
    }
  }

  @Test
  void aSecondRunIntoTheSameFileIsRefusedAndAStaleLockIsTakenOver() throws Exception {
    Path db = tmp.resolve("locked.duckdb");
    Path lockFile = TargetLock.lockFileOf(db);
    try (TargetLock held = TargetLock.acquire(db, "other-run")) {
      CliFixture.Run refused = export(db, "-", "--by-form", "--incremental");
      assertEquals(ImednetCli.EXIT_LOCKED, refused.exitCode, refused.toString());
      assertTrue(
          refused.err.startsWith("error: another run holds " + db + " (other-run, pid "),
          refused.err);
      assertTrue(refused.err.contains("this run changed nothing"), refused.err);
      assertTrue(!Files.exists(db), "the refused run wrote nothing");
    }
    assertTrue(!Files.exists(lockFile), "released");

    // A lock left by a process of this host that no longer exists (kill -9) is taken over.
    ProcessHandle gone = new ProcessBuilder("true").start().onExit().get().toHandle();
    Files.writeString(
        lockFile,
        "run_id=killed-run\npid="
            + gone.pid()
            + "\nhost="
            + java.net.InetAddress.getLocalHost().getHostName()
            + "\nstarted=2026-01-01T00:00:00Z\n");
    CliFixture.Run run = export(db, "-", "--by-form");
    assertEquals(0, run.exitCode, run.toString());
    assertTrue(!Files.exists(lockFile), "released after the run");

    // A lock of another host (a Kubernetes pod that was killed) is only taken over once it is
    // older than --lock-stale-after.
    Files.writeString(
        lockFile,
        "run_id=pod-run\npid=7\nhost=imednet-daily-29412-x7k2p\nstarted="
            + java.time.Instant.now().minus(java.time.Duration.ofHours(13))
            + "\n");
    CliFixture.Run young = export(db, "-", "--by-form", "--lock-stale-after", "14h");
    assertEquals(ImednetCli.EXIT_LOCKED, young.exitCode, young.toString());
    assertTrue(young.err.contains("(pod-run, pid 7 on imednet-daily-29412-x7k2p since "));
    CliFixture.Run old = export(db, "-", "--by-form", "--lock-stale-after", "12h");
    assertEquals(0, old.exitCode, old.toString());
    assertTrue(!Files.exists(lockFile), "taken over and released");
  }

  private CliFixture.Run export(Path db, String table, String... more) {
    List<String> args = new ArrayList<>(List.of(more));
    args.add("--runner");
    args.add("direct");
    return exportOn(null, db, table, args.toArray(new String[0]));
  }

  private CliFixture.Run exportOn(String runner, Path db, String table, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "export",
                "duckdb",
                STUDY,
                table,
                db.toString(),
                "--env-file",
                env.toString(),
                "--progress",
                "none"));
    if (runner != null) {
      args.add("--runner");
      args.add(runner);
    }
    args.addAll(List.of(more));
    return CliFixture.run(args.toArray(new String[0]));
  }

  private CliFixture.Run exportStudy(String study, Path db, String table) {
    return CliFixture.run(
        "export",
        "duckdb",
        study,
        table,
        db.toString(),
        "--env-file",
        env.toString(),
        "--progress",
        "none",
        "--runner",
        "direct");
  }

  /** Day 2 of the sample study: every resource swapped for testdata/studies-next-day's. */
  private void nextDay() {
    FolderStudyData next = FolderStudyData.load(SampleStudies.nextDayRoot());
    for (Resource r : Resource.values()) {
      data.setItems(STUDY, r, next.list(STUDY, r));
    }
  }

  private static List<List<Object>> ledger(Path db, String columns) throws Exception {
    List<List<Object>> rows =
        CliFixture.query(
            db, "SELECT " + columns + " FROM imednet_export_ledger ORDER BY committed_at");
    List<List<Object>> out = new ArrayList<>();
    for (List<Object> r : rows) {
      List<Object> o = new ArrayList<>();
      for (Object v : r) {
        o.add(v instanceof Number && !(v instanceof Long) ? ((Number) v).longValue() : v);
      }
      out.add(o);
    }
    return out;
  }
}
