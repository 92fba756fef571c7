package org.imednet.export.runners.dataflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.beam.runners.dataflow.DataflowRunner;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs only with -Pdataflow, offline: nothing is sent to Google. The timeout catches a regression
 * that makes Beam call GCS: with no route there, its client retries for minutes before failing.
 */
@Timeout(120)
class DataflowDryRunTest {

  private static final DataflowDryRun DRY_RUN =
      DataflowDryRun.of(
          pipeline ->
              pipeline
                  .apply("Words", Create.of("a", "b", "a").withCoder(StringUtf8Coder.of()))
                  .apply("CountWords", Count.perElement())
                  .apply(
                      "Format",
                      MapElements.into(TypeDescriptors.strings())
                          .via(kv -> kv.getKey() + "=" + kv.getValue()))
                  .apply("WriteCounts", TextIO.write().to("gs://bucket/out/counts")));

  @Test
  void missingProjectIsRefusedWithTheOptionToAdd() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> DRY_RUN.run("--region=europe-west1", "--tempLocation=gs://bucket/tmp"));

    assertEquals(
        "--project is required to run on Dataflow: the Google Cloud project id, e.g."
            + " --project=my-project",
        e.getMessage());
  }

  @Test
  void missingRegionIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> DRY_RUN.run("--project=my-project", "--tempLocation=gs://bucket/tmp"));

    assertEquals(
        "--region is required to run on Dataflow: the Dataflow region, e.g. --region=europe-west1",
        e.getMessage());
  }

  @Test
  void localTempLocationIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                DRY_RUN.run(
                    "--project=my-project", "--region=europe-west1", "--tempLocation=/tmp/x"));

    assertEquals(
        "--tempLocation is required to run on Dataflow and must be a Cloud Storage path, e.g."
            + " --tempLocation=gs://my-bucket/tmp; was /tmp/x",
        e.getMessage());
  }

  @Test
  void malformedProjectIdIsRefusedByDataflowsOwnValidation() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                DRY_RUN.run(
                    "--project=My Project",
                    "--region=europe-west1",
                    "--tempLocation=gs://bucket/tmp"));

    assertTrue(e.getMessage().contains("Project ID"), e.getMessage());
  }

  @Test
  void validOptionsTranslateTheGraphWithoutSubmitting() {
    DataflowDryRun.Result result =
        DRY_RUN.run(
            "--project=my-project",
            "--region=europe-west1",
            "--tempLocation=gs://bucket/tmp",
            "--jobName=imednet-export-dry-run");

    assertEquals("my-project", result.options().getProject());
    assertEquals("europe-west1", result.options().getRegion());
    assertEquals("gs://bucket/tmp", result.options().getGcpTempLocation());
    assertEquals("gs://bucket/tmp/staging", result.options().getStagingLocation());
    assertEquals("imednet-export-dry-run", result.options().getJobName());
    assertEquals(DataflowRunner.class, result.options().getRunner());
    List<String> names = result.transformNames();
    assertTrue(names.stream().anyMatch(n -> n.startsWith("Words/")), names.toString());
    assertTrue(names.stream().anyMatch(n -> n.startsWith("CountWords/")), names.toString());
    assertTrue(names.stream().anyMatch(n -> n.startsWith("WriteCounts/")), names.toString());
    assertTrue(names.contains("Format/Map/ParMultiDo(Anonymous)"), names.toString());
  }

  @Test
  void graphIsRequired() {
    assertThrows(IllegalArgumentException.class, () -> DataflowDryRun.of(null));
  }
}
