package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.Fault;
import org.imednet.export.testdata.emulator.FaultPlan;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --report FILE}: the JSON run report, after a run that finished and after failures. */
class RunReportCliTest {
  private static final String API_KEY = "report-api-key-0e6f";
  private static final String SECURITY_KEY = "report-security-key-77b3";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private static ImednetEmulator emulator(FaultPlan faults) {
    return ImednetEmulator.builder()
        .data(FolderStudyData.load(SampleStudies.root()))
        .credentials(API_KEY, SECURITY_KEY)
        .port(0)
        .faults(faults)
        .build()
        .start();
  }

  /** The report without its wall time, which must be a non-negative number. */
  private static JsonNode readReport(Path file) throws Exception {
    String text = Files.readString(file);
    assertFalse(text.contains(API_KEY), text);
    assertFalse(text.contains(SECURITY_KEY), text);
    ObjectNode report = (ObjectNode) JSON.readTree(text);
    assertTrue(report.path("seconds").isNumber() && report.get("seconds").asDouble() >= 0, text);
    report.remove("seconds");
    return report;
  }

  private static String form(String key, long total, long unparseable) {
    return "{\"study_key\": \"CARDIO01\", \"form_key\": \""
        + key
        + "\", \"api_total\": "
        + total
        + ", \"records_fetched\": "
        + total
        + ", \"rows_written\": {\"lake\": "
        + total
        + ", \"duckdb\": "
        + total
        + "}, \"values_unparseable\": "
        + unparseable
        + ", \"records_failed\": 0, \"reconciled\": true}";
  }

  @Test
  void aFinishedRunReportsEveryFormOfTheSampleStudy() throws Exception {
    try (ImednetEmulator emu = emulator(FaultPlan.none())) {
      Path env = CliFixture.envFile(tmp, emu.baseUrl(), API_KEY, SECURITY_KEY);
      Path report = tmp.resolve("reports/run.json");
      CliFixture.Run run =
          CliFixture.run(
              "export",
              "parquet",
              "CARDIO01",
              "--lake",
              tmp.resolve("lake").toString(),
              "--duckdb",
              tmp.resolve("c.duckdb").toString(),
              "--env-file",
              env.toString(),
              "--progress",
              "none",
              "--report",
              report.toString());
      assertEquals(0, run.exitCode, run.toString());
      // The same numbers as the printed summary and the sample study's records.json.
      assertEquals(
          JSON.readTree(
              "{\"command\": \"export parquet\", \"exit_code\": 0, \"status\": \"ok\","
                  + " \"runner\": \"flink\", \"studies\": [\"CARDIO01\"],"
                  + " \"destinations\": [\"lake\", \"duckdb\"], \"counts\": \"final\","
                  + " \"records_fetched\": 191, \"pages_fetched\": 5, \"requests_retried\": 0,"
                  + " \"forms\": ["
                  + String.join(
                      ", ",
                      form("AE LOG", 32, 28),
                      form("CM", 0, 0),
                      form("DM", 15, 9),
                      form("LB", 69, 26),
                      form("VS", 75, 27))
                  + "], \"mismatches\": [], \"failures\": []}"),
          readReport(report));
      assertTrue(run.out.contains("CARDIO01  VS             75       75         75"), run.out);
    }
  }

  @Test
  void aReportThatCannotBeWrittenIsOneLineNamingTheFile() throws Exception {
    Path env = CliFixture.envFile(tmp, "http://127.0.0.1:9", API_KEY, SECURITY_KEY);
    Path notADirectory = Files.writeString(tmp.resolve("plain-file"), "x");
    Path report = notADirectory.resolve("run.json");
    CliFixture.Run run =
        CliFixture.run(
            "export",
            "parquet",
            "CARDIO01",
            "--lake",
            tmp.resolve("lake").toString(),
            "--env-file",
            env.toString(),
            "--dry-run",
            "--report",
            report.toString());
    assertEquals(1, run.exitCode, run.toString());
    assertEquals(
        "error: could not write the --report file " + report + " (FileAlreadyExistsException)",
        run.err.lines().findFirst().orElseThrow(),
        run.toString());
  }

  @Test
  void aUsageErrorAndAFailedRunAreReportedWithWhatFailed() throws Exception {
    FaultPlan faults =
        FaultPlan.builder()
            .onPath(".*/records")
            .nth(1)
            .times(Long.MAX_VALUE)
            .fault(Fault.status(503))
            .build();
    try (ImednetEmulator emu = emulator(faults)) {
      Path env = CliFixture.envFile(tmp, emu.baseUrl(), API_KEY, SECURITY_KEY);
      Path report = tmp.resolve("usage.json");
      CliFixture.Run usage =
          CliFixture.run(
              "export",
              "duckdb",
              "CARDIO01",
              "t",
              tmp.resolve("u.duckdb").toString(),
              "--vars",
              "NOPE",
              "--env-file",
              env.toString(),
              "--runner",
              "direct",
              "--report",
              report.toString());
      assertEquals(2, usage.exitCode, usage.toString());
      assertEquals(
          JSON.readTree(
              "{\"command\": \"export duckdb\", \"exit_code\": 2, \"status\": \"usage_error\","
                  + " \"runner\": \"direct\", \"studies\": [\"CARDIO01\"],"
                  + " \"destinations\": [\"duckdb\"], \"counts\": \"none\","
                  + " \"records_fetched\": 0, \"pages_fetched\": 0, \"requests_retried\": 0,"
                  + " \"forms\": [], \"mismatches\": [], \"failures\": [\"Study 'CARDIO01' has no"
                  + " variable matching [NOPE] in the selected forms (DM, VS, AE LOG, LB, CM)\"]}"),
          readReport(report));

      // Every records request fails: the run fails, and the report says with what.
      Path failed = tmp.resolve("failed.json");
      CliFixture.Run run =
          CliFixture.run(
              "export",
              "parquet",
              "CARDIO01",
              "--forms",
              "DM",
              "--lake",
              tmp.resolve("lake").toString(),
              "--env-file",
              env.toString(),
              "--progress",
              "none",
              "--api-retries",
              "0",
              "--report",
              failed.toString());
      assertEquals(1, run.exitCode, run.toString());
      JsonNode r = readReport(failed);
      String error = run.err.lines().filter(l -> l.startsWith("error: ")).findFirst().orElseThrow();
      assertEquals(
          JSON.readTree(
              "{\"command\": \"export parquet\", \"exit_code\": 1, \"status\": \"failed\","
                  + " \"runner\": \"flink\", \"studies\": [\"CARDIO01\"],"
                  + " \"destinations\": [\"lake\"], \"counts\": \"partial\","
                  + " \"records_fetched\": 0, \"pages_fetched\": 0, \"requests_retried\": 0,"
                  + " \"forms\": [], \"mismatches\": []}"),
          ((ObjectNode) r.deepCopy()).without("failures"));
      assertEquals(1, r.get("failures").size(), r.toString());
      assertEquals("error: " + r.get("failures").get(0).asText(), error);
      assertTrue(error.contains("study 'CARDIO01'") && error.contains("HTTP 503"), error);
    }
  }
}
