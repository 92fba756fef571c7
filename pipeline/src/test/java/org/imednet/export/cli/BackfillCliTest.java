package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.Fault;
import org.imednet.export.testdata.emulator.FaultPlan;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code imednet backfill duckdb}: the sample studies (CARDIO01 modified 2025-04..08, ONCO-22
 * 2025-01..03) in 30-day windows, with ONCO-22 failing on the first day, then resumed against a
 * healthy API: the failing study is reported and the other written; the resumed run fetches only
 * the missing shards; the result equals a plain export of both studies.
 */
class BackfillCliTest {
  private static final String API_KEY = "backfill-test-api-key-8d21";
  private static final String SECURITY_KEY = "backfill-test-security-key-33fa";

  @TempDir Path tmp;

  @Test
  void aFailingStudyIsReportedTheOthersWrittenAndTheResumeFetchesOnlyMissingShards()
      throws Exception {
    Path db = tmp.resolve("backfill.duckdb");
    FaultPlan onco22Forbidden =
        FaultPlan.builder()
            .onPath(".*/studies/ONCO-22/records")
            .times(Long.MAX_VALUE)
            .fault(Fault.status(403))
            .build();
    CliFixture.Run first;
    try (ImednetEmulator broken = emulator(onco22Forbidden)) {
      first = backfill(broken, db);
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

    // Resumed against a healthy API: only ONCO-22's nine shards are fetched.
    CliFixture.Run second;
    Map<String, Long> recordRequestsByStudy = new TreeMap<>();
    try (ImednetEmulator healthy = emulator(FaultPlan.none())) {
      second = backfill(healthy, db);
      for (ImednetEmulator.RecordedRequest r : healthy.requests()) {
        if (r.path().endsWith("/records")) {
          recordRequestsByStudy.merge(r.path().split("/")[5], 1L, Long::sum);
        }
      }
      assertEquals(0, second.exitCode, second.toString());
      assertTrue(
          second.out.contains(
              "Backfill: 9 shards loaded now (200 records), 9 already in the ledger, 18 planned"),
          second.out);
      assertEquals(List.of("ONCO-22"), new ArrayList<>(recordRequestsByStudy.keySet()));

      // A third run has nothing left to do.
      CliFixture.Run third = backfill(healthy, db);
      assertEquals(0, third.exitCode, third.toString());
      assertTrue(
          third.out.contains(
              "Backfill: 0 shards loaded now (0 records), 18 already in the ledger, 18 planned"),
          third.out);

      Path full = tmp.resolve("full.duckdb");
      CliFixture.Run reference =
          CliFixture.run(
              "export",
              "duckdb",
              "CARDIO01",
              "ONCO-22",
              "-",
              full.toString(),
              "--by-form",
              "--env-file",
              env(healthy).toString(),
              "--progress",
              "none",
              "--runner",
              "direct");
      assertEquals(0, reference.exitCode, reference.toString());
      CliFixture.assertSameTables(full, db, 391L);
    }
  }

  /** With two windows in flight: their commits into the lake are one at a time. */
  @Test
  void aLakeBackfillExtendedLaterFetchesOnlyTheNewWindows() throws Exception {
    Path lake = tmp.resolve("lake");
    try (ImednetEmulator api = emulator(FaultPlan.none())) {
      CliFixture.Run first = backfillLake(api, lake, "2025-04-30");
      assertEquals(0, first.exitCode, first.toString());
      assertTrue(
          first.out.contains(
              "Backfill: 8 shards loaded now (265 records), 0 already in the ledger, 8 planned"),
          first.out);
      api.clearRequests();
      CliFixture.Run second = backfillLake(api, lake, "2025-08-31");
      assertEquals(0, second.exitCode, second.toString());
      assertTrue(
          second.out.contains(
              "Backfill: 10 shards loaded now (126 records), 8 already in the ledger, 18 planned"),
          second.out);
      // The windows already loaded are not read again.
      for (ImednetEmulator.RecordedRequest r : api.requests()) {
        if (r.path().endsWith("/records")) {
          assertTrue(
              r.param("filter").contains("dateModified>=2025-05-01T00:00:00Z")
                  || r.param("filter").contains("dateModified>=2025-05-31")
                  || r.param("filter").contains("dateModified>=2025-06-30")
                  || r.param("filter").contains("dateModified>=2025-07-30")
                  || r.param("filter").contains("dateModified>=2025-08-29"),
              r.toString());
        }
      }
      Path full = tmp.resolve("full-lake");
      CliFixture.Run reference =
          CliFixture.run(
              "export",
              "parquet",
              "CARDIO01",
              "ONCO-22",
              "--lake",
              full.toString(),
              "--env-file",
              env(api).toString(),
              "--progress",
              "none",
              "--runner",
              "direct");
      assertEquals(0, reference.exitCode, reference.toString());
      IncrementalExportCliTest.assertSameLake(full, lake, 391L);
    }
  }

  private CliFixture.Run backfillLake(ImednetEmulator emulator, Path lake, String to)
      throws Exception {
    return CliFixture.run(
        "backfill",
        "parquet",
        "CARDIO01",
        "ONCO-22",
        "--lake",
        lake.toString(),
        "--from",
        "2025-01-01",
        "--to",
        to,
        "--runs-ahead",
        "3",
        "--window",
        "30d",
        "--env-file",
        env(emulator).toString(),
        "--progress",
        "none",
        "--runner",
        "direct");
  }

  private CliFixture.Run backfill(ImednetEmulator emulator, Path db) throws Exception {
    return CliFixture.run(
        "backfill",
        "duckdb",
        "CARDIO01",
        "ONCO-22",
        "-",
        db.toString(),
        "--by-form",
        "--from",
        "2025-01-01",
        "--to",
        "2025-08-31",
        "--window",
        "30d",
        "--env-file",
        env(emulator).toString(),
        "--progress",
        "none",
        "--runner",
        "direct");
  }

  /** An env file of its own per emulator (each listens on its own port). */
  private Path env(ImednetEmulator emulator) throws Exception {
    Path dir = java.nio.file.Files.createDirectories(tmp.resolve("env-" + emulator.port()));
    return CliFixture.envFile(dir, emulator.baseUrl(), API_KEY, SECURITY_KEY);
  }

  private static ImednetEmulator emulator(FaultPlan faults) {
    return ImednetEmulator.builder()
        .data(FolderStudyData.load(SampleStudies.root()))
        .credentials(API_KEY, SECURITY_KEY)
        .port(0)
        .faults(faults)
        .build()
        .start();
  }
}
