package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code imednet ingest-revisions}, {@code build-silver} and {@code sql} as a user runs them. */
class IngestCliTest {
  private static final String API_KEY = "ingest-cli-api-key-51c0";
  private static final String SECURITY_KEY = "ingest-cli-security-key-9e2b";

  @TempDir Path tmp;

  private static ImednetEmulator emulator() {
    return ImednetEmulator.builder()
        .data(FolderStudyData.load(SampleStudies.root()))
        .credentials(API_KEY, SECURITY_KEY)
        .port(0)
        .build()
        .start();
  }

  private static String lastLine(String text) {
    String[] lines = text.strip().split("\n");
    return lines[lines.length - 1];
  }

  @Test
  void theFeatureGuidesThreeStepsOnTheDefaultRunner() throws Exception {
    try (ImednetEmulator emu = emulator()) {
      Path env = CliFixture.envFile(tmp, emu.baseUrl(), API_KEY, SECURITY_KEY);
      Path db = tmp.resolve("central.duckdb");
      String[] ingest = {
        "ingest-revisions",
        "--all-studies",
        db.toString(),
        "--start-date",
        "2025-01-01",
        "--end-date",
        "2025-12-31",
        "--env-file",
        env.toString(),
        "--progress",
        "none"
      };
      CliFixture.Run first = CliFixture.run(ingest);
      assertEquals(0, first.exitCode, first.toString());
      // CARDIO01 has 190 revisions and ONCO-22 58, all created in 2025.
      assertEquals("Inserted 248 revision rows", lastLine(first.out));
      assertTrue(first.out.contains("Records modified in the window: 391 in the API, 391 fetched"));
      CliFixture.Run again = CliFixture.run(ingest);
      assertEquals(0, again.exitCode, again.toString());
      assertEquals("Inserted 0 revision rows", lastLine(again.out));

      CliFixture.Run silver = CliFixture.run("build-silver", "CARDIO01", db.toString());
      assertEquals(0, silver.exitCode, silver.toString());
      assertEquals(
          "Built silver_current_state and audit_value_changes for CARDIO01: 1079 current values",
          lastLine(silver.out));
      CliFixture.Run all = CliFixture.run("build-silver", "--all-studies", db.toString());
      assertEquals(0, all.exitCode, all.toString());

      CliFixture.Run query =
          CliFixture.run(
              "sql",
              db.toString(),
              "SELECT record_id, variable_name, value FROM silver_current_state"
                  + " ORDER BY record_id, variable_name LIMIT 3");
      assertEquals(0, query.exitCode, query.toString());
      assertEquals(
          List.of(
              "record_id | variable_name | value",
              "880001    | BRTHDAT       | 1956-02-11",
              "880001    | CONSENT       | Yes",
              "880001    | HEIGHT        | 172",
              "(3 rows)"),
          List.of(query.out.strip().split("\n")));
      assertEquals(
          List.of(List.of("CARDIO01", 1079L), List.of("ONCO-22", 672L)),
          CliFixture.query(
              db,
              "SELECT study_key, count(*) FROM silver_current_state GROUP BY ALL ORDER BY ALL"));
    }
  }

  @Test
  void userErrorsAreOneClearLine() throws Exception {
    try (ImednetEmulator emu = emulator()) {
      Path env = CliFixture.envFile(tmp, emu.baseUrl(), API_KEY, SECURITY_KEY);
      Path db = tmp.resolve("errors.duckdb");
      CliFixture.Run badDate =
          CliFixture.run(
              "ingest-revisions",
              "CARDIO01",
              db.toString(),
              "--start-date",
              "2026-13-01",
              "--end-date",
              "2026-12-31",
              "--env-file",
              env.toString());
      assertEquals(1, badDate.exitCode, badDate.toString());
      assertEquals(
          "error: --start-date must be a date YYYY-MM-DD, was '2026-13-01'",
          badDate.err.strip().split("\n")[0]);

      CliFixture.Run reversed =
          CliFixture.run(
              "ingest-revisions",
              "CARDIO01",
              db.toString(),
              "--start-date",
              "2026-02-01",
              "--end-date",
              "2026-01-31",
              "--env-file",
              env.toString());
      assertEquals(
          "error: the end date 2026-01-31 is before the start date 2026-02-01",
          reversed.err.strip().split("\n")[0]);

      CliFixture.Run unknown =
          CliFixture.run(
              "ingest-revisions",
              "NO_SUCH_STUDY",
              db.toString(),
              "--start-date",
              "2025-01-01",
              "--end-date",
              "2025-12-31",
              "--env-file",
              env.toString(),
              "--runner",
              "direct",
              "--progress",
              "none");
      // A study key the API key cannot see is a usage error, as for the exports.
      assertEquals(2, unknown.exitCode, unknown.toString());
      String line = unknown.err.lines().filter(l -> l.startsWith("error: ")).findFirst().get();
      assertEquals(
          "error: Study 'NO_SUCH_STUDY' is not among the studies this API key can see (CARDIO01,"
              + " ONCO-22): check the study key and IMEDNET_API_KEY / IMEDNET_SECURITY_KEY",
          line);
      assertFalse(unknown.err.contains("\tat "), "no stack trace: " + unknown.err);
      assertFalse(Files.exists(db), "nothing was written");

      CliFixture.Run vars =
          CliFixture.run(
              "ingest-revisions",
              "CARDIO01",
              db.toString(),
              "--start-date",
              "2025-01-01",
              "--end-date",
              "2025-12-31",
              "--vars",
              "SYSBP",
              "--env-file",
              env.toString());
      assertEquals(
          "error: --vars does not apply to ingest-revisions: the history keeps every form and"
              + " variable, by variable name",
          vars.err.strip().split("\n")[0]);

      CliFixture.Run noBronze = CliFixture.run("build-silver", "CARDIO01", db.toString());
      assertEquals(
          "error: " + db + " does not exist: run ingest-revisions first",
          noBronze.err.strip().split("\n")[0]);

      CliFixture.Run help = CliFixture.run("ingest-revisions", "--help");
      assertEquals(0, help.exitCode);
      for (String option : List.of("--start-date", "--end-date", "--mode", "--all-studies")) {
        assertTrue(help.out.contains(option), option);
      }
    }
  }
}
