package org.imednet.export.runners.dataflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.imednet.export.cli.ImednetCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code imednet export parquet … --runner dataflow --dry-run}, offline (only with -Pdataflow): the
 * export's whole graph is validated and translated for Dataflow, nothing is submitted, and a
 * missing option is named.
 */
@Timeout(120)
class DataflowCliDryRunTest {
  @TempDir Path tmp;

  private String[] args(Path env, String... dataflowArgs) {
    String[] base = {
      "export",
      "parquet",
      "CARDIO01",
      "--lake",
      "gs://bucket/lake",
      "--env-file",
      env.toString(),
      "--runner",
      "dataflow",
      "--dry-run"
    };
    String[] all = new String[base.length + dataflowArgs.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(dataflowArgs, 0, all, base.length, dataflowArgs.length);
    return all;
  }

  private static String[] run(String... args) {
    PrintStream old = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code;
    try (PrintStream p = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      System.setOut(p);
      System.setErr(p);
      code = ImednetCli.execute(args);
    } finally {
      System.setOut(old);
      System.setErr(oldErr);
    }
    return new String[] {Integer.toString(code), out.toString(StandardCharsets.UTF_8)};
  }

  @Test
  void theExportTranslatesForDataflowWithoutSubmitting() throws Exception {
    Path env = tmp.resolve("env");
    Files.writeString(
        env, "IMEDNET_BASE_URL=http://127.0.0.1:9\nIMEDNET_API_KEY=k\nIMEDNET_SECURITY_KEY=s\n");
    String[] r =
        run(
            args(
                env,
                "--project=my-project",
                "--region=europe-west1",
                "--tempLocation=gs://bucket/tmp"));
    assertEquals("0", r[0], r[1]);
    assertTrue(r[1].contains("Dataflow dry run: options valid (project my-project, region"), r[1]);
    assertTrue(r[1].contains("Nothing was submitted."), r[1]);
  }

  @Test
  void aMissingRegionIsNamed() throws Exception {
    Path env = tmp.resolve("env");
    Files.writeString(
        env, "IMEDNET_BASE_URL=http://127.0.0.1:9\nIMEDNET_API_KEY=k\nIMEDNET_SECURITY_KEY=s\n");
    String[] r = run(args(env, "--project=my-project", "--tempLocation=gs://bucket/tmp"));
    assertEquals("1", r[0], r[1]);
    assertTrue(r[1].contains("--region"), r[1]);
  }
}
