package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.Fault;
import org.imednet.export.testdata.emulator.FaultPlan;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.imednet.export.testdata.emulator.Resource;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A study key, form or variable the API does not have is one {@code error:} line and exit 2, on
 * every runner, whether it is found before the pipeline runs or inside it.
 */
class UserErrorCliTest {
  private static final String API_KEY = "user-error-api-key-5b21";
  private static final String SECURITY_KEY = "user-error-security-key-9c7e";

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

  private CliFixture.Run export(ImednetEmulator emu, String runner, String... selection)
      throws Exception {
    Path env = CliFixture.envFile(tmp, emu.baseUrl(), API_KEY, SECURITY_KEY);
    List<String> args = new ArrayList<>(List.of("export", "parquet"));
    args.addAll(List.of(selection));
    args.addAll(
        List.of(
            "--lake",
            tmp.resolve("lake").toString(),
            "--env-file",
            env.toString(),
            "--progress",
            "none",
            "--runner",
            runner));
    return CliFixture.run(args.toArray(new String[0]));
  }

  private void assertOneLine(String expected, CliFixture.Run run) {
    assertEquals(2, run.exitCode, run.toString());
    assertEquals(expected + "\n", run.err, run.toString());
    assertFalse(run.err.contains("at org."), run.err);
    assertEquals("", run.out, run.toString());
    assertFalse(Files.exists(tmp.resolve("lake")), "nothing written");
  }

  @ParameterizedTest
  @ValueSource(strings = {"flink", "direct"})
  void anUnknownStudyFormOrVariableIsOneLineAndExitCode2(String runner) throws Exception {
    try (ImednetEmulator emu =
        emulator(FolderStudyData.load(SampleStudies.root()), FaultPlan.none())) {
      assertOneLine(
          "error: Study 'CARDIO1' is not among the studies this API key can see (CARDIO01,"
              + " ONCO-22): check the study key and IMEDNET_API_KEY / IMEDNET_SECURITY_KEY",
          export(emu, runner, "CARDIO01", "CARDIO1"));
      assertOneLine(
          "error: Study 'CARDIO01' has no variable matching [SYSPB] in the selected forms (DM,"
              + " VS, AE LOG, LB, CM)",
          export(emu, runner, "CARDIO01", "--vars", "SYSBP,SYSPB"));
      assertOneLine(
          "error: Study 'CARDIO01' has no form matching [3199, VSS] (forms: DM (3100), VS (3101),"
              + " AE LOG (3102), LB (3103), CM (3104))",
          export(emu, runner, "CARDIO01", "--forms", "VS,VSS,3199"));
      // Several studies: a selector must match in one of them.
      assertOneLine(
          "error: None of the studies (CARDIO01, ONCO-22) has a variable matching [AGES] in its"
              + " selected forms",
          export(emu, runner, "CARDIO01", "ONCO-22", "--vars", "SYSBP,AGE,AGES"));
      assertOneLine(
          "error: None of the studies (CARDIO01, ONCO-22) has a form matching [XX]",
          export(emu, runner, "--all-studies", "--forms", "DM,XX"));
    }
  }

  /**
   * The check before the run sees SYSBP; by the time the pipeline lists the variables it is gone:
   * the error raised inside the runner (wrapped by Flink or Beam) is the same one line and exit 2.
   */
  @ParameterizedTest
  @ValueSource(strings = {"flink", "direct"})
  void aSelectionErrorRaisedInsideTheRunnerIsTheSameOneLine(String runner) throws Exception {
    FolderStudyData data = FolderStudyData.load(SampleStudies.root());
    List<JsonNode> withoutSysbp = new ArrayList<>();
    for (JsonNode v : data.list("CARDIO01", Resource.VARIABLES)) {
      if (!v.path("variableName").asText().equals("SYSBP")) {
        withoutSysbp.add(v);
      }
    }
    // Forms request 1 is the check's; the hook runs before the pipeline's first forms request.
    FaultPlan faults =
        FaultPlan.builder()
            .onPath(".*/forms")
            .nth(2)
            .fault(Fault.run(() -> data.setItems("CARDIO01", Resource.VARIABLES, withoutSysbp)))
            .build();
    try (ImednetEmulator emu = emulator(data, faults)) {
      CliFixture.Run run = export(emu, runner, "CARDIO01", "--vars", "SYSBP");
      assertEquals(2, run.exitCode, run.toString());
      // Log lines aside (the metadata reader, whose selection is lenient, may log the same
      // finding as a WARN, depending on which step lists the variables after they changed).
      List<String> errorLines =
          run.err.lines().filter(l -> !l.matches("\\d\\d:\\d\\d:\\d\\d (INFO|WARN) .*")).toList();
      assertEquals(
          List.of(
              "error: Study 'CARDIO01' has no variable matching [SYSBP] in the selected forms"
                  + " (DM, VS, AE LOG, LB, CM)"),
          errorLines,
          run.toString());
      assertFalse(run.err.contains("at org."), run.err);
      assertFalse(run.err.contains("Exception"), run.err);
      assertTrue(run.err.contains("INFO  ExportJob - Exporting 1 study on"), run.err);
      assertFalse(Files.exists(tmp.resolve("lake")), "nothing committed");
    }
  }
}
