package org.imednet.export.runners.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the real session cluster with the scripts, runs a Beam job with this class's own DoFns on
 * it (staged from {@link FlinkSessionCluster#jobFiles()}), and stops it. The order matters: the
 * last test stops the cluster.
 */
@Tag("heavy")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FlinkSessionClusterTest {

  private static final Logger LOG = LoggerFactory.getLogger(FlinkSessionClusterTest.class);

  private static FlinkSessionCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = FlinkSessionCluster.start();
    LOG.info(
        "cluster at {} started in {} ms", cluster.restAddress(), cluster.startTime().toMillis());
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void startsOneTaskManagerWithTwoFreeSlots() {
    Map<String, Long> counts = cluster.overviewCounts();

    assertEquals(1L, counts.get("taskmanagers"));
    assertEquals(2L, counts.get("slots-total"));
    assertEquals(2L, counts.get("slots-available"));
    assertEquals(0L, counts.get("jobs-finished"));
    assertTrue(cluster.jobManager().isAlive());
    assertTrue(cluster.taskManager().isAlive());
  }

  @Test
  @Order(2)
  void refusesToStartOnABusyPort(@TempDir Path runDir) throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(
                "bash",
                FlinkSessionCluster.runnersDir()
                    .resolve("flink-cluster/start-cluster.sh")
                    .toString())
            .redirectErrorStream(true);
    builder.environment().put("FLINK_RUN_DIR", runDir.toString());
    builder.environment().put("FLINK_REST_PORT", "" + cluster.restPort());
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));

    assertEquals(1, process.exitValue());
    assertEquals(
        "error: 127.0.0.1:" + cluster.restPort() + " is in use; choose another FLINK_REST_PORT\n",
        output);
    assertFalse(Files.exists(runDir.resolve("pid/jobmanager.pid")));
  }

  @Test
  @Order(3)
  void runsABeamJobWithItsOwnDoFns(@TempDir Path out) throws IOException {
    List<String> args = new ArrayList<>(cluster.submitArgs(FlinkSessionCluster.jobFiles()));
    // Beam zips the test classes directory into a jar there before staging it.
    args.add("--tempLocation=" + Files.createDirectories(out.resolve("tmp")));
    Pipeline pipeline =
        Pipeline.create(PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).create());
    pipeline
        .apply(Create.of("b a", "c b a", "a", "d c b a").withCoder(StringUtf8Coder.of()))
        .apply("SplitWords", ParDo.of(new SplitWordsFn()))
        .apply(Count.perElement())
        .apply("Format", ParDo.of(new FormatCountFn()))
        .apply(
            TextIO.write()
                .to(out.resolve("counts").toString())
                .withSuffix(".txt")
                .withoutSharding());

    long started = System.nanoTime();
    PipelineResult.State state = pipeline.run().waitUntilFinish();
    LOG.info(
        "smoke job finished on the cluster in {} ms", (System.nanoTime() - started) / 1_000_000);

    assertEquals(PipelineResult.State.DONE, state);
    List<String> lines = new ArrayList<>(Files.readAllLines(out.resolve("counts.txt")));
    lines.sort(null);
    assertEquals(List.of("a=4", "b=3", "c=2", "d=1"), lines);
    Map<String, Long> counts = cluster.overviewCounts();
    assertEquals(1L, counts.get("jobs-finished"));
    assertEquals(0L, counts.get("jobs-failed"));
  }

  @Test
  @Order(4)
  void stopEndsBothProcessesAndFreesThePort() {
    cluster.close();

    assertFalse(cluster.jobManager().isAlive());
    assertFalse(cluster.taskManager().isAlive());
    assertFalse(Files.exists(cluster.runDir().resolve("pid/jobmanager.pid")));
    assertFalse(Files.exists(cluster.runDir().resolve("pid/taskmanager.pid")));
    assertThrows(
        ConnectException.class,
        () -> new Socket(InetAddress.getLoopbackAddress(), cluster.restPort()).close());
  }

  /** Runs on the TaskManager: its class comes from the staged test classes, not the bundle. */
  static final class SplitWordsFn extends DoFn<String, String> {
    @ProcessElement
    public void processElement(@Element String line, OutputReceiver<String> out) {
      for (String word : line.split(" ")) {
        out.output(word);
      }
    }
  }

  static final class FormatCountFn extends DoFn<KV<String, Long>, String> {
    @ProcessElement
    public void processElement(@Element KV<String, Long> count, OutputReceiver<String> out) {
      out.output(count.getKey() + "=" + count.getValue());
    }
  }
}
