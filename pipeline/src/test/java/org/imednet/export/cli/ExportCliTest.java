package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

/** The {@code imednet export} commands end to end against the local API emulator. */
class ExportCliTest {
  private static final String API_KEY = "cli-test-api-key-7f3a91";
  private static final String SECURITY_KEY = "cli-test-security-key-c04e2d";

  @TempDir Path tmp;

  private static ImednetEmulator emulator(FolderStudyData data, FaultPlan faults) {
    return ImednetEmulator.builder()
        .data(data)
        .credentials(API_KEY, SECURITY_KEY)
        .port(0)
        .faults(faults)
        .build()
        .start();
  }

  private static FolderStudyData samples() {
    return FolderStudyData.load(SampleStudies.root());
  }

  @Test
  void parquetAndDuckDbHoldExactlyTheApiRecordsOfEveryForm() throws Exception {
    try (ImednetEmulator emu = emulator(samples(), FaultPlan.none())) {
      Path env = CliFixture.envFile(tmp, emu.baseUrl(), API_KEY, SECURITY_KEY);
      Path lake = tmp.resolve("lake");
      Path db = tmp.resolve("by-form.duckdb");
      CliFixture.Run run =
          CliFixture.run(
              "export",
              "parquet",
              "CARDIO01",
              "ONCO-22",
              "--lake",
              lake.toString(),
              "--duckdb",
              db.toString(),
              "--env-file",
              env.toString(),
              "--progress",
              "none",
              // A Beam option passes through to the runner.
              "--targetParallelism=2");
      assertEquals(0, run.exitCode, run.toString());

      for (String study : List.of("CARDIO01", "ONCO-22")) {
        Map<String, Long> expected = CliFixture.sampleRecordsPerForm(study);
        assertEquals(expected, CliFixture.lakeCounts(lake, study), study);
      }
      // By-form DuckDB tables: CARDIO01 and ONCO-22 both have a DM form.
      assertEquals(15L + 20L, CliFixture.query(db, "SELECT count(*) FROM \"DM\"").get(0).get(0));
      assertTrue(run.out.contains("CARDIO01  AE LOG         32       32         32"), run.out);
    }
  }

  @Test
  void duckDbSingleTableWithTheFeatureGuideOptions() throws Exception {
    try (ImednetEmulator emu = emulator(samples(), FaultPlan.none())) {
      Path env = CliFixture.envFile(tmp, emu.baseUrl(), API_KEY, SECURITY_KEY);
      Path db = tmp.resolve("clinical.duckdb");

      // --vars: only those variable columns, every record of the forms that have them.
      CliFixture.Run vars =
          CliFixture.run(
              "export",
              "duckdb",
              "CARDIO01",
              "study_records",
              db.toString(),
              "--vars",
              "SYSBP,DIABP",
              "--env-file",
              env.toString(),
              "--progress",
              "none");
      assertEquals(0, vars.exitCode, vars.toString());
      assertEquals(
          List.of(List.of("VS", 75L)),
          CliFixture.query(
              db, "SELECT form_key, count(*) FROM study_records GROUP BY ALL ORDER BY ALL"));
      List<List<Object>> columns =
          CliFixture.query(
              db,
              "SELECT column_name FROM information_schema.columns WHERE table_name ="
                  + " 'study_records' AND column_name IN ('SYSBP', 'DIABP', 'TEMP') ORDER BY 1");
      assertEquals(List.of(List.of("DIABP"), List.of("SYSBP")), columns);

      // --forms by numeric id replaces the table: only DM (3100) and LB (3103).
      CliFixture.Run forms =
          CliFixture.run(
              "export",
              "duckdb",
              "CARDIO01",
              "study_records",
              db.toString(),
              "--forms",
              "3100,3103",
              "--env-file",
              env.toString(),
              "--progress",
              "none");
      assertEquals(0, forms.exitCode, forms.toString());
      assertEquals(
          List.of(List.of("DM", 15L), List.of("LB", 69L)),
          CliFixture.query(
              db, "SELECT form_key, count(*) FROM study_records GROUP BY ALL ORDER BY ALL"));

      // --use-labels: columns named by label.
      CliFixture.Run labels =
          CliFixture.run(
              "export",
              "duckdb",
              "CARDIO01",
              "labelled",
              db.toString(),
              "--forms",
              "VS",
              "--use-labels",
              "--env-file",
              env.toString(),
              "--progress",
              "none");
      assertEquals(0, labels.exitCode, labels.toString());
      assertEquals(List.of(List.of(75L)), CliFixture.query(db, "SELECT count(*) FROM labelled"));
      assertEquals(
          List.of(List.of("Diastolic blood pressure"), List.of("Systolic blood pressure")),
          CliFixture.query(
              db,
              "SELECT column_name FROM information_schema.columns WHERE table_name = 'labelled'"
                  + " AND column_name LIKE '%blood pressure' ORDER BY 1"));
      // The earlier table is untouched by an export into another table.
      assertEquals(
          List.of(List.of(84L)), CliFixture.query(db, "SELECT count(*) FROM study_records"));
    }
  }

  @Test
  void duckDbExportsAllStudiesIntoOneTableWithoutAPlaceholderStudy() throws Exception {
    try (ImednetEmulator emu = emulator(samples(), FaultPlan.none())) {
      Path env = CliFixture.envFile(tmp, emu.baseUrl(), API_KEY, SECURITY_KEY);
      Path db = tmp.resolve("all.duckdb");
      CliFixture.Run run =
          CliFixture.run(
              "export",
              "duckdb",
              "--all-studies",
              "study_records",
              db.toString(),
              "--env-file",
              env.toString(),
              "--progress",
              "none");
      assertEquals(0, run.exitCode, run.toString());
      Map<String, Long> expected = new TreeMap<>();
      for (String study : List.of("CARDIO01", "ONCO-22")) {
        CliFixture.sampleRecordsPerForm(study).forEach((f, n) -> expected.put(study + "/" + f, n));
      }
      assertEquals(
          expected,
          CliFixture.counts(
              "SELECT study_key || '/' || form_key, count(*) FROM study_records GROUP BY ALL", db));

      // STUDY... TABLE DB_PATH: several study keys before the table and the file.
      CliFixture.Run two =
          CliFixture.run(
              "export",
              "duckdb",
              "ONCO-22",
              "CARDIO01",
              "two",
              db.toString(),
              "--forms",
              "DM",
              "--env-file",
              env.toString(),
              "--progress",
              "none");
      assertEquals(0, two.exitCode, two.toString());
      assertEquals(
          Map.of("CARDIO01", 15L, "ONCO-22", 20L),
          CliFixture.counts("SELECT study_key, count(*) FROM two GROUP BY ALL", db));

      // Keys and --all-studies, or neither: one line, usage exit code, nothing run.
      CliFixture.Run both =
          CliFixture.run(
              "export",
              "duckdb",
              "--all-studies",
              "CARDIO01",
              "t",
              db.toString(),
              "--env-file",
              env.toString());
      assertEquals(2, both.exitCode, both.toString());
      assertEquals("error: give STUDY keys or --all-studies, not both\n", both.err);
      CliFixture.Run none =
          CliFixture.run("export", "duckdb", "t", db.toString(), "--env-file", env.toString());
      assertEquals(2, none.exitCode, none.toString());
      assertEquals("error: give at least one STUDY key, or --all-studies\n", none.err);
    }
  }

  @Test
  void transientFaultsAreRetriedAndTheOutputIsExact() throws Exception {
    FaultPlan faults =
        FaultPlan.builder()
            .onResource("records")
            .nth(2)
            .fault(Fault.tooManyRequests(Duration.ofSeconds(1)))
            .onResource("records")
            .nth(4)
            .fault(Fault.status(503))
            // The JDK HTTP client retries an idempotent GET once by itself after a reset; the
            // second reset reaches our retry policy.
            .onResource("records")
            .nth(6)
            .times(2)
            .fault(Fault.connectionReset())
            .onResource("records")
            .nth(9)
            .fault(Fault.truncatedBody())
            .onResource("variables")
            .nth(1)
            .fault(Fault.status(500))
            .build();
    try (ImednetEmulator emu = emulator(samples(), faults)) {
      Path env = CliFixture.envFile(tmp, emu.baseUrl(), API_KEY, SECURITY_KEY);
      Path lake = tmp.resolve("lake");
      CliFixture.Run run =
          CliFixture.run(
              "export",
              "parquet",
              "CARDIO01",
              "--lake",
              lake.toString(),
              "--env-file",
              env.toString(),
              "--progress",
              "none",
              // One request at a time, so the Nth request (and the JDK client's own retry of a
              // reset) is always the same logical request: the retry count below is exact.
              "--max-concurrent-requests",
              "1");
      assertEquals(0, run.exitCode, run.toString());
      assertEquals(
          CliFixture.sampleRecordsPerForm("CARDIO01"), CliFixture.lakeCounts(lake, "CARDIO01"));
      assertTrue(run.out.contains("5 API requests retried"), run.out);
    }
  }

  @Test
  void aPermanentFaultFailsNamingStudyAndFormAndLeavesThePreviousOutputAsItWas() throws Exception {
    Path lake = tmp.resolve("lake");
    Path db = tmp.resolve("keep.duckdb");
    try (ImednetEmulator emu = emulator(samples(), FaultPlan.none())) {
      Path env = CliFixture.envFile(tmp, emu.baseUrl(), API_KEY, SECURITY_KEY);
      assertEquals(
          0,
          CliFixture.run(
                  "export",
                  "parquet",
                  "CARDIO01",
                  "--lake",
                  lake.toString(),
                  "--duckdb",
                  db.toString(),
                  "--env-file",
                  env.toString(),
                  "--progress",
                  "none")
              .exitCode);
    }
    Map<String, String> lakeBefore = CliFixture.treeDigest(lake);
    List<List<Object>> vsBefore = CliFixture.query(db, "SELECT * FROM \"VS\" ORDER BY record_id");

    FolderStudyData changed = samples();
    ObjectNode record = changed.record("CARDIO01", 880002L).deepCopy();
    ((ObjectNode) record.get("recordData")).put("SYSBP", "999");
    changed.replaceRecord("CARDIO01", record);
    FaultPlan faults =
        FaultPlan.builder()
            .onPath(".*/records")
            .nth(3)
            .times(1000)
            .fault(Fault.status(500))
            .build();
    try (ImednetEmulator emu = emulator(changed, faults)) {
      Path env = CliFixture.envFile(tmp, emu.baseUrl(), API_KEY, SECURITY_KEY);
      CliFixture.Run run =
          CliFixture.run(
              "export",
              "parquet",
              "CARDIO01",
              "--lake",
              lake.toString(),
              "--duckdb",
              db.toString(),
              "--env-file",
              env.toString(),
              "--progress",
              "none",
              "--api-retries",
              "1");
      assertEquals(1, run.exitCode, run.toString());
      assertTrue(run.err.contains("error: "), run.err);
      assertTrue(run.err.contains("CARDIO01"), run.err);
      assertTrue(run.err.contains("500"), run.err);
    }
    assertEquals(lakeBefore, CliFixture.treeDigest(lake));
    assertEquals(vsBefore, CliFixture.query(db, "SELECT * FROM \"VS\" ORDER BY record_id"));
  }

  @Test
  void anUnprocessableRecordFailsTheRunUnlessAnErrorsDirectoryKeepsIt() throws Exception {
    FolderStudyData data = samples();
    ObjectNode broken = data.record("CARDIO01", 880002L).deepCopy();
    broken.put("recordId", 990001L);
    broken.put("recordData", "not an object");
    data.addRecord("CARDIO01", broken);
    try (ImednetEmulator emu = emulator(data, FaultPlan.none())) {
      Path env = CliFixture.envFile(tmp, emu.baseUrl(), API_KEY, SECURITY_KEY);
      Path lake = tmp.resolve("lake");
      CliFixture.Run failed =
          CliFixture.run(
              "export",
              "parquet",
              "CARDIO01",
              "--lake",
              lake.toString(),
              "--env-file",
              env.toString(),
              "--progress",
              "none");
      assertEquals(1, failed.exitCode, failed.toString());
      assertTrue(failed.err.contains("1 record(s) could not be processed"), failed.err);
      assertTrue(failed.err.contains("--errors-dir"), failed.err);
      // The data-loss check gates the commit: nothing was published.
      assertEquals(Map.of(), CliFixture.treeDigest(lake));

      Path errors = tmp.resolve("errors");
      CliFixture.Run kept =
          CliFixture.run(
              "export",
              "parquet",
              "CARDIO01",
              "--lake",
              lake.toString(),
              "--env-file",
              env.toString(),
              "--progress",
              "none",
              "--errors-dir",
              errors.toString());
      assertEquals(0, kept.exitCode, kept.toString());
      List<Path> files;
      try (var s = Files.list(errors)) {
        files = s.toList();
      }
      assertEquals(1, files.size(), files.toString());
      List<String> lines = Files.readAllLines(files.get(0));
      assertEquals(1, lines.size());
      var line = new ObjectMapper().readTree(lines.get(0));
      assertEquals("CARDIO01", line.get("study_key").asText());
      assertEquals("VS", line.get("form_key").asText());
      ObjectMapper mapper = new ObjectMapper();
      assertEquals(
          mapper.readTree(broken.toString()), mapper.readTree(line.get("payload").asText()));
      Map<String, Long> expected = new TreeMap<>(CliFixture.sampleRecordsPerForm("CARDIO01"));
      assertEquals(expected, CliFixture.lakeCounts(lake, "CARDIO01"));
    }
  }

  /**
   * A records page that stays truncated fails the run (keyset paging cannot go past it); its body
   * is kept in the errors directory, not quoted in the message, and nothing is published.
   */
  @Test
  void aPageThatStaysMalformedFailsTheRunAndItsBodyIsKept() throws Exception {
    FaultPlan faults =
        FaultPlan.builder()
            .onPath(".*/records")
            .nth(3)
            .times(1000)
            .fault(Fault.truncatedBody())
            .build();
    Path lake = tmp.resolve("lake");
    Path errors = tmp.resolve("errors");
    try (ImednetEmulator emu = emulator(samples(), faults)) {
      Path env = CliFixture.envFile(tmp, emu.baseUrl(), API_KEY, SECURITY_KEY);
      CliFixture.Run run =
          CliFixture.run(
              "export",
              "parquet",
              "CARDIO01",
              "--lake",
              lake.toString(),
              "--env-file",
              env.toString(),
              "--progress",
              "none",
              "--api-retries",
              "1",
              "--errors-dir",
              errors.toString());
      assertEquals(1, run.exitCode, run.toString());
      List<Path> kept;
      try (var s = Files.walk(errors)) {
        // Hidden files are bodies still being written by the failed run's reader threads.
        kept =
            s.filter(Files::isRegularFile)
                .filter(f -> !f.getFileName().toString().startsWith("."))
                .toList();
      }
      // Every request from the third on is truncated, so each form's first request fails: one
      // file per distinct body, all under the study.
      assertFalse(kept.isEmpty(), "no body kept under " + errors);
      boolean named = false;
      for (Path file : kept) {
        assertEquals(
            errors.resolve("malformed-pages").resolve("study=CARDIO01").toAbsolutePath(),
            file.getParent());
        assertTrue(
            file.getFileName().toString().matches("records-[0-9a-f]{16}\\.body"), file.toString());
        String body = Files.readString(file);
        assertTrue(body.startsWith("{") && body.length() > 100, body);
        assertThrows(
            com.fasterxml.jackson.core.JsonProcessingException.class,
            () -> new ObjectMapper().readTree(body));
        assertFalse(run.err.contains(body.substring(body.length() / 2)), run.err);
        named |= run.err.contains("is kept in " + file);
      }
      assertTrue(named, run.err);
      assertTrue(run.err.contains("CARDIO01"), run.err);
      assertTrue(run.err.contains("malformed page"), run.err);
      assertEquals(Map.of(), CliFixture.treeDigest(lake));
    }
  }

  @Test
  void apiKeysAppearInNoOutputLogLineExceptionOrArgument() throws Exception {
    try (ImednetEmulator emu = emulator(samples(), FaultPlan.none())) {
      Path env = CliFixture.envFile(tmp, emu.baseUrl(), API_KEY, SECURITY_KEY);
      CliFixture.Run ok =
          CliFixture.run(
              "export",
              "parquet",
              "ONCO-22",
              "--lake",
              tmp.resolve("lake").toString(),
              "--env-file",
              env.toString(),
              "--progress",
              "plain");
      assertEquals(0, ok.exitCode, ok.toString());
      // Wrong security key: the 401 message must not echo either key.
      Path wrong = CliFixture.envFile(tmp, emu.baseUrl(), API_KEY, SECURITY_KEY + "-wrong");
      CliFixture.Run denied =
          CliFixture.run(
              "export",
              "parquet",
              "ONCO-22",
              "--lake",
              tmp.resolve("lake2").toString(),
              "--env-file",
              wrong.toString(),
              "--progress",
              "none");
      assertEquals(1, denied.exitCode, denied.toString());
      assertTrue(denied.err.contains("401"), denied.err);
      assertTrue(denied.err.contains("IMEDNET_SECURITY_KEY"), denied.err);
      for (CliFixture.Run r : List.of(ok, denied)) {
        assertFalse(r.all().contains(API_KEY), r.toString());
        assertFalse(r.all().contains(SECURITY_KEY), r.toString());
      }
      String args =
          String.join(" ", ProcessHandle.current().info().arguments().orElse(new String[0]));
      assertFalse(args.contains(API_KEY));
      assertFalse(args.contains(SECURITY_KEY));
    }
  }

  @Test
  void missingCredentialsFailWithTheVariableName() throws Exception {
    Path env = tmp.resolve("empty.env");
    Files.writeString(env, "IMEDNET_BASE_URL=http://127.0.0.1:9\n");
    CliFixture.Run run =
        CliFixture.run(
            "export",
            "parquet",
            "X",
            "--lake",
            tmp.resolve("l").toString(),
            "--env-file",
            env.toString());
    assertEquals(1, run.exitCode, run.toString());
    assertTrue(run.err.contains("IMEDNET_API_KEY"), run.err);
  }

  @Test
  void aDryRunValidatesAndBuildsWithoutReadingOrWriting() throws Exception {
    Path env = CliFixture.envFile(tmp, "http://127.0.0.1:9", API_KEY, SECURITY_KEY);
    Path lake = tmp.resolve("never");
    CliFixture.Run run =
        CliFixture.run(
            "export",
            "parquet",
            "CARDIO01",
            "--lake",
            lake.toString(),
            "--env-file",
            env.toString(),
            "--dry-run");
    assertEquals(0, run.exitCode, run.toString());
    assertTrue(
        run.out.contains("Dry run: options valid for FlinkRunner; the export graph builds."),
        run.out);
    assertFalse(Files.exists(lake));

    CliFixture.Run dataflow =
        CliFixture.run(
            "export",
            "parquet",
            "CARDIO01",
            "--lake",
            lake.toString(),
            "--env-file",
            env.toString(),
            "--runner",
            "dataflow",
            "--dry-run");
    assertEquals(1, dataflow.exitCode, dataflow.toString());
    assertTrue(dataflow.err.contains("mvn -Pdataflow"), dataflow.err);
  }

  @Test
  void everyCommandHasHelp() {
    for (List<String> cmd :
        List.of(
            List.of("--help"),
            List.of("export", "--help"),
            List.of("export", "parquet", "--help"),
            List.of("export", "duckdb", "--help"),
            List.of("export", "snowflake", "--help"),
            List.of("lake", "query", "--help"),
            List.of("emulator", "--help"),
            List.of("emulator", "s3", "--help"),
            List.of("demo", "--help"),
            List.of("ingest-revisions", "--help"),
            List.of("build-silver", "--help"),
            List.of("sql", "--help"))) {
      CliFixture.Run run = CliFixture.run(cmd.toArray(new String[0]));
      assertEquals(0, run.exitCode, cmd + " " + run);
      assertTrue(run.out.contains("Usage: imednet"), cmd + " " + run);
    }
    // Command lists show each command's one-line summary whole, not a description cut mid-line.
    String top = CliFixture.run("--help").out;
    assertTrue(
        top.contains(
            "  emulator          Run an iMednet API, Snowflake or S3 emulator on 127.0.0.1.\n"),
        top);
    assertTrue(
        top.contains(
            "  ingest-revisions  Load a date window of record history into DuckDB bronze.\n"),
        top);
    assertTrue(
        top.contains(
            "  build-silver      Rebuild silver current state and value audit from" + " bronze.\n"),
        top);
    String export = CliFixture.run("export", "--help").out;
    assertTrue(
        export.contains("parquet    Export studies into a Hive-partitioned Parquet lake.\n"));
    assertTrue(export.contains("duckdb     Export studies into a DuckDB file.\n"), export);
    for (String command : List.of("parquet", "duckdb", "snowflake")) {
      String help = CliFixture.run("export", command, "--help").out;
      assertTrue(
          help.contains(
              "  2   usage: bad arguments; a study key, --forms or --vars the API lacks\n"),
          help);
    }
  }
}
