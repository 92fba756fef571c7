package org.imednet.export.runners.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Runs {@code runners/schedule/imednet-daily.sh} with {@code IMEDNET_BIN} pointing at a fake
 * imednet that records its arguments and the credentials it received through its environment, and
 * exits with a chosen code; and runs {@code runners/schedule/check.sh}. No network, cluster or JVM
 * start of the exporter.
 */
class DailyScheduleScriptTest {

  private static final Path SCHEDULE =
      Path.of(System.getProperty("imednet.runners.dir", ".")).toAbsolutePath().resolve("schedule");

  private static final String API_KEY = "api-key-7f3c9a";
  private static final String SECURITY_KEY = "security-key-51d0e2";
  private static final String SNOWFLAKE_PASSWORD = "snowflake-pw-b8e614";
  private static final List<String> SECRETS = List.of(API_KEY, SECURITY_KEY, SNOWFLAKE_PASSWORD);

  private static final String FAKE_IMEDNET =
      String.join(
          "\n",
          "#!/usr/bin/env bash",
          "printf '%s\\n' \"$@\" > \"$FAKE_DIR/args\"",
          "printf '%s\\n' \"${IMEDNET_API_KEY:-}\" \"${IMEDNET_SECURITY_KEY:-}\""
              + " \"${SNOWFLAKE_PASSWORD:-}\" > \"$FAKE_DIR/credentials\"",
          "echo \"fake imednet: exiting $FAKE_EXIT\"",
          "exit \"$FAKE_EXIT\"",
          "");

  @TempDir Path dir;

  private Path fake;
  private Path envFile;
  private Path db;
  private Path reports;

  @BeforeEach
  void writeFakeAndEnvFile() throws IOException {
    fake = executable(dir.resolve("fake-imednet"), FAKE_IMEDNET);
    envFile = dir.resolve("imednet.env");
    Files.writeString(
        envFile,
        String.join(
            "\n",
            "# credentials, as in /etc/imednet/imednet.env",
            "IMEDNET_API_KEY=" + API_KEY,
            "export IMEDNET_SECURITY_KEY=\"" + SECURITY_KEY + "\"",
            "",
            "SNOWFLAKE_PASSWORD='" + SNOWFLAKE_PASSWORD + "'",
            ""));
    db = dir.resolve("data/clinical.duckdb");
    reports = dir.resolve("reports");
  }

  @Test
  void runsTheDefaultIncrementalDuckDbExportWithCredentialsOnlyInItsEnvironment() throws Exception {
    Run run = runDaily(Map.of("FAKE_EXIT", "0"));

    assertEquals(0, run.exitCode, run.output);
    List<String> args = fakeArgs();
    assertEquals(8, args.size(), args.toString());
    assertEquals(
        List.of(
            "export",
            "duckdb",
            "--all-studies",
            "records",
            db.toString(),
            "--incremental",
            "--report"),
        args.subList(0, 7));
    String report = args.get(7);
    assertTrue(
        Pattern.matches(Pattern.quote(reports.toString()) + "/\\d{8}T\\d{6}Z\\.json", report),
        report);
    assertTrue(Files.isDirectory(reports), "REPORT_DIR is created");
    assertEquals(
        List.of(API_KEY, SECURITY_KEY, SNOWFLAKE_PASSWORD),
        Files.readAllLines(dir.resolve("credentials")),
        "the env file's credentials reach imednet through its environment");
    assertTrue(
        run.output.contains("imednet-daily: running fake-imednet " + String.join(" ", args)),
        run.output);
    assertNoSecretIn(String.join("\n", args) + "\n" + run.output);
  }

  @ParameterizedTest(name = "imednet exits {0}: the wrapper exits {1}")
  @CsvSource({"0, 0", "1, 1", "2, 2", "3, 3", "5, 5", "4, 0"})
  void passesExitCodesThroughExceptAHeldLock(int imednetExit, int expected) throws Exception {
    Run run = runDaily(Map.of("FAKE_EXIT", Integer.toString(imednetExit)));

    assertEquals(expected, run.exitCode, run.output);
    List<String> lockLines =
        run.output.lines().filter(l -> l.startsWith("imednet-daily: exit 4:")).toList();
    if (imednetExit == 4) {
      assertEquals(
          List.of(
              "imednet-daily: exit 4: another run holds the target's lock and this run changed"
                  + " nothing; exiting 0 (report "
                  + fakeArgs().get(7)
                  + ")"),
          lockLines);
    } else {
      assertEquals(List.of(), lockLines);
    }
    assertNoSecretIn(run.output);
  }

  @Test
  void aHeldLockKeepsExit4WhenIMEDNET_LOCK_HELD_EXITSaysSo() throws Exception {
    Run run = runDaily(Map.of("FAKE_EXIT", "4", "IMEDNET_LOCK_HELD_EXIT", "4"));

    assertEquals(4, run.exitCode, run.output);
    assertTrue(run.output.contains("changed nothing; exiting 4 (report "), run.output);
  }

  @Test
  void snowflakeTargetWithStudyKeysAndExtraArgs() throws Exception {
    Run run =
        runDaily(
            Map.of(
                "FAKE_EXIT", "0",
                "IMEDNET_TARGET", "snowflake",
                "IMEDNET_STUDIES", "CARDIO01 ONCO-22",
                "IMEDNET_ARGS", "--connection prod  --look-back 2h"));

    assertEquals(0, run.exitCode, run.output);
    List<String> args = fakeArgs();
    assertEquals(
        List.of(
            "export",
            "snowflake",
            "CARDIO01",
            "ONCO-22",
            "--incremental",
            "--report",
            args.get(6),
            "--connection",
            "prod",
            "--look-back",
            "2h"),
        args);
    assertNoSecretIn(String.join("\n", args) + "\n" + run.output);
  }

  @Test
  void aFullExportWhenIncrementalIsOff() throws Exception {
    Run run = runDaily(Map.of("FAKE_EXIT", "0", "IMEDNET_INCREMENTAL", "0"));

    assertEquals(0, run.exitCode, run.output);
    assertEquals(
        List.of("export", "duckdb", "--all-studies", "records", db.toString(), "--report"),
        fakeArgs().subList(0, 6));
    assertEquals(7, fakeArgs().size());
  }

  @Test
  void refusesACredentialInTheArgumentsWithoutRunningOrPrintingIt() throws Exception {
    Run run = runDaily(Map.of("FAKE_EXIT", "0", "IMEDNET_ARGS", "--connection " + SECURITY_KEY));

    assertEquals(2, run.exitCode, run.output);
    assertEquals(
        "imednet-daily: an argument contains the value of IMEDNET_SECURITY_KEY; credentials come"
            + " from the environment only",
        run.output.strip());
    assertFalse(Files.exists(dir.resolve("args")), "imednet was not run");
  }

  @Test
  void refusesAMissingDatabaseWithAUsageError() throws Exception {
    Map<String, String> env = baseEnvironment(Map.of("FAKE_EXIT", "0"));
    env.remove("IMEDNET_DB");
    Run run = run(List.of(SCHEDULE.resolve("imednet-daily.sh").toString()), env);

    assertEquals(2, run.exitCode, run.output);
    assertEquals("imednet-daily: IMEDNET_DB (the DuckDB file) is not set", run.output.strip());
    assertFalse(Files.exists(dir.resolve("args")), "imednet was not run");
  }

  @Test
  @Timeout(60)
  void aSigtermStopsImednetAndItsExitCodeIsPassedOn() throws Exception {
    Path ready = dir.resolve("ready.fifo");
    assertEquals(0, new ProcessBuilder("mkfifo", ready.toString()).start().waitFor());
    // Blocks in `wait` until a SIGTERM, which it answers with exit 42; "ready" says its trap is
    // set.
    Path stoppable =
        executable(
            dir.resolve("stoppable-imednet"),
            String.join(
                "\n",
                "#!/usr/bin/env bash",
                "trap 'kill \"$blocker\"; echo \"fake imednet: SIGTERM\"; exit 42' TERM",
                "tail -f /dev/null & blocker=$!",
                "echo ready > \"$FAKE_DIR/ready.fifo\"",
                "wait \"$blocker\"",
                ""));
    Map<String, String> env = baseEnvironment(Map.of("IMEDNET_BIN", stoppable.toString()));
    Path output = dir.resolve("output");
    Process wrapper = start(List.of(SCHEDULE.resolve("imednet-daily.sh").toString()), env, output);
    try (BufferedReader r = Files.newBufferedReader(ready, StandardCharsets.UTF_8)) {
      assertEquals("ready", r.readLine());
    }

    wrapper.destroy(); // SIGTERM to the wrapper only, as Kubernetes does to PID 1

    assertTrue(wrapper.waitFor(30, TimeUnit.SECONDS));
    String out = Files.readString(output);
    assertEquals(42, wrapper.exitValue(), out);
    assertTrue(out.contains("fake imednet: SIGTERM"), out);
  }

  @Test
  void checkScriptPasses() throws Exception {
    assumeTrue(
        new ProcessBuilder("python3", "-c", "import yaml").start().waitFor() == 0,
        "check.sh needs python3 with PyYAML");

    Run run = run(List.of(SCHEDULE.resolve("check.sh").toString()), Map.of());

    assertEquals(0, run.exitCode, run.output);
    assertTrue(run.output.endsWith("check.sh: all checks that can run here passed\n"), run.output);
    assertEquals(
        List.of(), run.output.lines().filter(l -> l.startsWith("FAIL")).toList(), run.output);
    assertTrue(run.output.contains("ok    bash -n imednet-daily.sh"), run.output);
    assertTrue(run.output.contains("ok    CronJob concurrencyPolicy Forbid"), run.output);
  }

  private void assertNoSecretIn(String text) {
    for (String secret : SECRETS) {
      assertFalse(text.contains(secret), "a credential appears in: " + text);
    }
  }

  private List<String> fakeArgs() throws IOException {
    return Files.readAllLines(dir.resolve("args"));
  }

  private Map<String, String> baseEnvironment(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>();
    env.put("IMEDNET_BIN", fake.toString());
    env.put("IMEDNET_ENV_FILE", envFile.toString());
    env.put("IMEDNET_DB", db.toString());
    env.put("REPORT_DIR", reports.toString());
    env.put("FAKE_DIR", dir.toString());
    env.putAll(extra);
    return env;
  }

  private Run runDaily(Map<String, String> extra) throws Exception {
    return run(List.of(SCHEDULE.resolve("imednet-daily.sh").toString()), baseEnvironment(extra));
  }

  private Run run(List<String> command, Map<String, String> env) throws Exception {
    Path output = Files.createTempFile(dir, "output", ".txt");
    Process p = start(command, env, output);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), command + " did not end");
    return new Run(p.exitValue(), Files.readString(output));
  }

  private static Process start(List<String> command, Map<String, String> env, Path output)
      throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(new ArrayList<>(command))
            .redirectErrorStream(true)
            .redirectOutput(output.toFile());
    // Only what the test sets: no credential or setting of the machine running the build.
    pb.environment().keySet().removeIf(k -> k.startsWith("IMEDNET_") || k.startsWith("SNOWFLAKE_"));
    pb.environment().remove("REPORT_DIR");
    pb.environment().putAll(env);
    return pb.start();
  }

  private static Path executable(Path file, String content) throws IOException {
    Files.writeString(file, content);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
    return file;
  }

  private record Run(int exitCode, String output) {}
}
