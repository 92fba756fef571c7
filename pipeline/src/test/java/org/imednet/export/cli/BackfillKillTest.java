package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imednet.export.testdata.emulator.Fault;
import org.imednet.export.testdata.emulator.FaultPlan;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.imednet.export.testdata.generator.SyntheticStudyData;
import org.imednet.export.testdata.generator.SyntheticStudySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backfill of 20 studies killed with SIGKILL at about half (a child JVM, held by the emulator in
 * the first records request of the third of four windows), then the same command: it takes the dead
 * run's lock over, fetches exactly the shards the ledger lacks (none of the committed ones again),
 * and the file equals a plain export.
 */
class BackfillKillTest {
  private static final String API_KEY = "backfill-kill-api-key-51c7";
  private static final String SECURITY_KEY = "backfill-kill-security-key-0e93";
  private static final int STUDIES = 20;
  private static final int RECORDS = 100;
  private static final Pattern WINDOW_FROM =
      Pattern.compile("dateModified>=(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d)Z");

  @TempDir Path tmp;

  @Test
  void aBackfillKilledAtHalfFetchesOnlyTheMissingShardsAndEndsExact() throws Exception {
    SyntheticStudyData data =
        new SyntheticStudyData(SyntheticStudySpec.parse("11," + STUDIES + ",2,3," + RECORDS));
    AtomicBoolean armed = new AtomicBoolean(true);
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    // Records are modified within the first 19 h of 2024-01-01: four windows of 6 h, and the
    // child is held (then killed) when it first asks for records of the third.
    FaultPlan holdInThirdWindow =
        FaultPlan.builder()
            .onResource("records")
            .whereQuery("dateModified>=2024-01-01T12:00:00Z")
            .times(Long.MAX_VALUE)
            .fault(
                Fault.run(
                    () -> {
                      if (armed.get()) {
                        inside.countDown();
                        try {
                          release.await(2, TimeUnit.MINUTES);
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                      }
                    }))
            .build();
    try (ImednetEmulator emulator =
        ImednetEmulator.builder()
            .data(data)
            .credentials(API_KEY, SECURITY_KEY)
            .port(0)
            .faults(holdInThirdWindow)
            .build()
            .start()) {
      Path env = CliFixture.envFile(tmp, emulator.baseUrl(), API_KEY, SECURITY_KEY);
      Path db = tmp.resolve("backfill.duckdb");
      String[] backfill = {
        "backfill",
        "duckdb",
        "--all-studies",
        "-",
        db.toString(),
        "--by-form",
        "--from",
        "2024-01-01",
        "--to",
        "2024-01-01",
        "--window",
        "6h",
        "--studies-per-run",
        "10",
        "--env-file",
        env.toString(),
        "--progress",
        "none",
        "--runner",
        "direct"
      };
      Process child =
          new ProcessBuilder(withJava(ImednetCli.class.getName(), backfill))
              .redirectErrorStream(true)
              .redirectOutput(tmp.resolve("child.log").toFile())
              .start();
      try {
        assertTrue(
            inside.await(3, TimeUnit.MINUTES), "the child reached the third window's records");
        child.destroyForcibly();
        assertEquals(137, child.waitFor(), "killed by SIGKILL");
      } finally {
        armed.set(false);
        release.countDown();
        child.destroyForcibly();
      }

      // Runs of 10 studies, two in flight: the third window's first run starts when the second
      // window's first run is done, so at least three runs (30 shards) were committed, at most 40.
      Set<String> committed = ledgerShards(db);
      assertTrue(
          committed.size() == 30 || committed.size() == 40,
          "shards committed before the kill: " + committed.size());
      long recordsCommitted = committedRecords(db, committed);
      int requestsBefore = emulator.requests().size();

      CliFixture.Run resumed = CliFixture.run(backfill);
      assertEquals(0, resumed.exitCode, resumed.toString());
      assertTrue(
          resumed.out.contains(
              "Backfill: "
                  + (80 - committed.size())
                  + " shards loaded now ("
                  + (STUDIES * RECORDS - recordsCommitted)
                  + " records), "
                  + committed.size()
                  + " already in the ledger, 80 planned"),
          resumed.out);

      // Every records request of the resumed run belongs to a shard the ledger lacked, and every
      // such shard was read.
      Set<String> fetched = new TreeSet<>();
      List<ImednetEmulator.RecordedRequest> all = emulator.requests();
      for (ImednetEmulator.RecordedRequest r : all.subList(requestsBefore, all.size())) {
        if (!r.path().endsWith("/records")) {
          continue;
        }
        Matcher m = WINDOW_FROM.matcher(String.valueOf(r.param("filter")));
        assertTrue(m.find(), "a backfill reads records by window: " + r);
        fetched.add(r.path().split("/")[5] + " " + LocalDateTime.parse(m.group(1)));
      }
      Set<String> missing = new TreeSet<>(allShards());
      missing.removeAll(committed);
      assertEquals(missing, fetched, "the resumed run read exactly the missing shards");
      assertEquals(Set.of(), intersection(fetched, committed), "no committed shard read again");

      Path full = tmp.resolve("full.duckdb");
      CliFixture.Run reference =
          CliFixture.run(
              "export",
              "duckdb",
              "--all-studies",
              "-",
              full.toString(),
              "--by-form",
              "--env-file",
              env.toString(),
              "--progress",
              "none",
              "--runner",
              "direct");
      assertEquals(0, reference.exitCode, reference.toString());
      // The backfill read subjects, visits and revisions dated 2024-01-01 (its --from..--to); the
      // plain export holds the later ones too.
      String day = "< TIMESTAMP '2024-01-02 00:00:00'";
      CliFixture.assertSameTables(
          full,
          db,
          (long) STUDIES * RECORDS,
          Map.of(
              "imednet_subjects", "date_modified " + day,
              "imednet_visits", "date_modified " + day,
              "imednet_record_revisions", "date_created " + day));
      // 5 subjects per study (a subject per 20 records), each with its screening visit that day.
      assertEquals(
          List.of(List.of(100L, 100L)),
          CliFixture.query(
              db,
              "SELECT (SELECT count(*) FROM imednet_subjects),"
                  + " (SELECT count(*) FROM imednet_visits WHERE interval_name = 'Screening')"),
          "the subjects and visits of the backfill's day");
    }
  }

  private static Set<String> allShards() {
    Set<String> all = new TreeSet<>();
    for (int s = 1; s <= STUDIES; s++) {
      for (int h = 0; h < 24; h += 6) {
        all.add(SyntheticStudyData.studyKey(s) + " " + LocalDateTime.of(2024, 1, 1, h, 0));
      }
    }
    return all;
  }

  private static Set<String> intersection(Set<String> a, Set<String> b) {
    Set<String> both = new TreeSet<>(a);
    both.retainAll(b);
    return both;
  }

  private static Set<String> ledgerShards(Path db) throws Exception {
    Set<String> shards = new TreeSet<>();
    for (List<Object> row :
        CliFixture.query(
            db,
            "SELECT study_key, strftime(window_from, '%Y-%m-%dT%H:%M') FROM imednet_export_ledger"
                + " WHERE mode = 'backfill'")) {
      shards.add(row.get(0) + " " + LocalDateTime.parse(String.valueOf(row.get(1))));
    }
    return shards;
  }

  /** Form rows in the file: the records of the committed shards (windows do not overlap). */
  private static long committedRecords(Path db, Set<String> committed) throws Exception {
    List<List<Object>> rows =
        CliFixture.query(db, "SELECT (SELECT count(*) FROM F001) + (SELECT count(*) FROM F002)");
    long n = ((Number) rows.get(0).get(0)).longValue();
    assertTrue(n > 0 && n < (long) STUDIES * RECORDS, "form rows at the kill: " + n);
    return n;
  }

  private static List<String> withJava(String mainClass, String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                mainClass));
    cmd.addAll(List.of(args));
    return cmd;
  }
}
