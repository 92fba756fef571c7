package org.imednet.export.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.imednet.export.cli.ImednetCli;
import org.imednet.export.runners.flink.FlinkSessionCluster;
import org.imednet.export.sinks.parquet.PathStyleS3ClientBuilderFactory;
import org.imednet.export.sinks.staging.RemoteFiles;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.Fault;
import org.imednet.export.testdata.emulator.FaultPlan;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI against a real Flink session cluster (one, shared by both tests): live progress counts
 * polled from the cluster's REST API while the job runs, and a lake on {@code s3://} written by the
 * TaskManager, whose S3 keys reach it only through its environment.
 */
@Tag("heavy")
class FlinkClusterProgressAndS3LakeTest {
  private static final String API_KEY = "cluster-progress-api-key";
  private static final String SECURITY_KEY = "cluster-progress-security-key";
  private static final String S3_ACCESS = "cluster-s3-access";
  private static final String S3_SECRET = "cluster-s3-secret-3c9a-never-printed";
  private static final String BUCKET = "clinical";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Records per form of the sample studies (RunnerEquivalenceTest). */
  private static final Map<String, Long> SAMPLE =
      new TreeMap<>(
          Map.of(
              "CARDIO01/AE LOG", 32L,
              "CARDIO01/DM", 15L,
              "CARDIO01/LB", 69L,
              "CARDIO01/VS", 75L,
              "ONCO-22/DM", 20L,
              "ONCO-22/EX", 60L,
              "ONCO-22/TR", 80L,
              "ONCO-22/TU", 40L));

  private static final long SAMPLE_RECORDS =
      SAMPLE.values().stream().mapToLong(Long::longValue).sum();

  private static final Pattern PROGRESS =
      Pattern.compile(
          "progress: (\\d+) studies, (\\d+) forms, records fetched (\\d+)(?: of (\\d+))?, rows"
              + " flattened (\\d+), rows written (\\d+), failed (\\d+)");

  @TempDir static Path tmp;
  private static BlobStoreContext store;
  private static S3Proxy s3;
  private static FlinkSessionCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    store =
        ContextBuilder.newBuilder("transient-nio2")
            .credentials("identity", "credential")
            .build(BlobStoreContext.class);
    s3 =
        S3Proxy.builder()
            .blobStore(store.getBlobStore())
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, S3_ACCESS, S3_SECRET)
            // Beam's uploads send x-amz-server-side-encryption-bucket-key-enabled.
            .ignoreUnknownHeaders(true)
            .build();
    s3.start();
    store.getBlobStore().createContainerInLocation(null, BUCKET);
    // The TaskManager finds the keys in its environment through the AWS default chain, as a
    // production TaskManager would; the export's own JVM never has them.
    cluster =
        FlinkSessionCluster.start(
            Map.of("AWS_ACCESS_KEY_ID", S3_ACCESS, "AWS_SECRET_ACCESS_KEY", S3_SECRET));
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (s3 != null) {
      s3.stop();
    }
    if (store != null) {
      store.close();
    }
  }

  @Test
  void liveProgressComesFromTheClusterWhileTheJobRunsAndTheSummaryStaysFinal() throws Exception {
    // Each full page of records is held 7 s and read one at a time, so the ten pages take 70 s:
    // more than two bundles (30 s on a remote cluster) and the JobManager's refresh (2 s here).
    FaultPlan slowPages =
        FaultPlan.builder()
            .onResource("records")
            .whereQuery("(^|&)size=500(&|$)")
            .times(Long.MAX_VALUE)
            .fault(Fault.hold(Duration.ofSeconds(7)))
            .build();
    try (ImednetEmulator api = emulator(slowPages)) {
      Path report = tmp.resolve("progress-report.json");
      List<String> args =
          new ArrayList<>(
              List.of(
                  "export",
                  "parquet",
                  "CARDIO01",
                  "ONCO-22",
                  "--lake",
                  tmp.resolve("progress-lake").toString(),
                  "--env-file",
                  envFile(api, "progress").toString(),
                  "--progress",
                  "plain",
                  "--report",
                  report.toString(),
                  "--max-concurrent-requests",
                  "1"));
      args.addAll(clusterArgs());
      TimedLines err = new TimedLines();
      long started = System.nanoTime();
      int code = runCapturingStderr(err, args);
      long ended = System.nanoTime();
      for (TimedLines.Line l : err.lines()) {
        System.out.printf("%6.1f s  %s%n", (l.nanos - started) / 1e9, l.text);
      }
      System.out.printf("%6.1f s  end%n", (ended - started) / 1e9);
      assertEquals(0, code, err.text());

      // The summary and the report are the runner's final metrics, as on any runner.
      JsonNode r = JSON.readTree(report.toFile());
      assertEquals("final", r.path("counts").asText());
      assertEquals(SAMPLE_RECORDS, r.path("records_fetched").asLong());
      Map<String, Long> perForm = new TreeMap<>();
      for (JsonNode f : r.path("forms")) {
        if (f.path("api_total").asLong() == 0) {
          continue; // CARDIO01/CM and ONCO-22/PREG have no records
        }
        perForm.put(
            f.path("study_key").asText() + "/" + f.path("form_key").asText(),
            f.path("records_fetched").asLong());
        assertEquals(f.path("api_total").asLong(), f.path("rows_written").path("lake").asLong());
      }
      assertEquals(SAMPLE, perForm);

      assertTrue(
          err.lines().stream()
              .anyMatch(l -> l.text.startsWith("progress: the job runs on the Flink cluster at ")),
          err.text());
      List<long[]> snapshots = new ArrayList<>();
      for (TimedLines.Line l : err.lines()) {
        Matcher m = PROGRESS.matcher(l.text);
        if (m.matches()) {
          snapshots.add(
              new long[] {
                Long.parseLong(m.group(3)),
                m.group(4) == null ? 0 : Long.parseLong(m.group(4)),
                Long.parseLong(m.group(5))
              });
        }
      }
      boolean midRun = false;
      for (long[] s : snapshots) {
        assertTrue(s[0] <= SAMPLE_RECORDS && s[1] <= SAMPLE_RECORDS && s[2] <= SAMPLE_RECORDS);
        midRun |= s[0] > 0 && s[0] < SAMPLE_RECORDS;
      }
      assertTrue(midRun, "no snapshot showed the fetch part way:\n" + err.text());
    }
  }

  @Test
  void theClustersTaskManagerWritesTheS3LakeRowForRowAsTheEmbeddedRunnerDoes() throws Exception {
    try (ImednetEmulator api = emulator(FaultPlan.none())) {
      Path env = envFile(api, "s3");
      Path localLake = tmp.resolve("embedded-lake");
      assertEquals(
          0,
          ImednetCli.execute(
              "export",
              "parquet",
              "CARDIO01",
              "ONCO-22",
              "--lake",
              localLake.toString(),
              "--env-file",
              env.toString(),
              "--progress",
              "none",
              "--runner",
              "flink",
              "--parallelism=2"));

      String lake = "s3://" + BUCKET + "/exports/lake";
      List<String> args =
          new ArrayList<>(
              List.of(
                  "export",
                  "parquet",
                  "CARDIO01",
                  "ONCO-22",
                  "--lake",
                  lake,
                  "--env-file",
                  env.toString(),
                  "--progress",
                  "none"));
      args.addAll(s3Args());
      args.addAll(clusterArgs());
      TimedLines err = new TimedLines();
      // The client (this JVM) takes the lake's lock object and reads its ledger, so it has the
      // keys too, as system properties (a user's: the usual AWS chain); the job's data is written
      // by the TaskManager, which has them from its environment only.
      System.setProperty("aws.accessKeyId", S3_ACCESS);
      System.setProperty("aws.secretAccessKey", S3_SECRET);
      Path copy;
      try {
        int code = runCapturingStderr(err, args);
        assertEquals(0, code, err.text());
        assertFalse(err.text().contains(S3_SECRET), "the S3 secret key was printed");

        // The TaskManager has the keys from its environment, never on its command line.
        assertTrue(environ(cluster.taskManager()).contains("AWS_SECRET_ACCESS_KEY=" + S3_SECRET));
        assertFalse(environ(cluster.jobManager()).contains(S3_SECRET));
        assertFalse(cmdline(cluster.taskManager()).contains(S3_SECRET));

        FileSystems.setDefaultPipelineOptions(
            PipelineOptionsFactory.fromArgs(s3Args().toArray(new String[0])).create());
        copy = Files.createTempDirectory(tmp, "sync");
        RemoteFiles.download(lake, copy);
      } finally {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
      }
      assertEquals(SAMPLE, lakeCounts(copy));
      assertEquals(List.of(0L, 0L), symmetricDifference(lake(localLake), lake(copy)));
    }
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

  private static Path envFile(ImednetEmulator api, String name) throws IOException {
    Path env = tmp.resolve(name + ".env");
    Files.writeString(
        env,
        "IMEDNET_BASE_URL="
            + api.baseUrl()
            + "\nIMEDNET_API_KEY="
            + API_KEY
            + "\nIMEDNET_SECURITY_KEY="
            + SECURITY_KEY
            + "\n");
    return env;
  }

  /** {@code --runner flink --flinkMaster=… --parallelism=2 --filesToStage=… --tempLocation=…}. */
  private static List<String> clusterArgs() throws IOException {
    List<String> args = new ArrayList<>(List.of("--runner", "flink"));
    for (String a : cluster.submitArgs(FlinkSessionCluster.jobFiles())) {
      if (!a.startsWith("--runner=")) {
        args.add(a);
      }
    }
    args.add("--tempLocation=" + Files.createDirectories(tmp.resolve("beam-temp")));
    return args;
  }

  private static List<String> s3Args() {
    return List.of(
        "--endpoint=http://127.0.0.1:" + s3.getPort(),
        "--awsRegion=us-east-1",
        "--s3ClientFactoryClass=" + PathStyleS3ClientBuilderFactory.class.getName());
  }

  /** Runs the CLI with System.err captured line by line (the progress lines go there). */
  private static synchronized int runCapturingStderr(TimedLines err, List<String> args) {
    PrintStream old = System.err;
    try (PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      System.setErr(e);
      return ImednetCli.execute(args.toArray(new String[0]));
    } finally {
      System.setErr(old);
    }
  }

  private static String environ(ProcessHandle process) throws IOException {
    return new String(
        Files.readAllBytes(Path.of("/proc", "" + process.pid(), "environ")),
        StandardCharsets.UTF_8);
  }

  private static String cmdline(ProcessHandle process) throws IOException {
    return new String(
        Files.readAllBytes(Path.of("/proc", "" + process.pid(), "cmdline")),
        StandardCharsets.UTF_8);
  }

  private static String lake(Path dir) {
    return "(SELECT * FROM read_parquet('"
        + dir
        + "/**/*.parquet', hive_partitioning = true, union_by_name = true))";
  }

  private static Map<String, Long> lakeCounts(Path dir) throws Exception {
    Map<String, Long> out = new TreeMap<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT study_key || '/' || form_key, count(*) FROM "
                    + lake(dir)
                    + " GROUP BY ALL")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getLong(2));
      }
    }
    return out;
  }

  /** Rows only on the left, rows only on the right (multiset semantics, all columns). */
  private static List<Long> symmetricDifference(String left, String right) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      // union_by_name orders columns by file discovery, so compare on one sorted column list.
      List<String> columns = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("DESCRIBE SELECT * FROM " + left)) {
        while (rs.next()) {
          columns.add("\"" + rs.getString(1) + "\"");
        }
      }
      columns.sort(null);
      String cols = String.join(", ", columns);
      String l = "(SELECT " + cols + " FROM " + left + ")";
      String r = "(SELECT " + cols + " FROM " + right + ")";
      List<Long> out = new ArrayList<>();
      for (String sql :
          List.of(
              "SELECT count(*) FROM (" + l + " EXCEPT ALL " + r + ")",
              "SELECT count(*) FROM (" + r + " EXCEPT ALL " + l + ")")) {
        try (ResultSet rs = st.executeQuery(sql)) {
          rs.next();
          out.add(rs.getLong(1));
        }
      }
      return out;
    }
  }

  /** An output stream that keeps each line with the time it was completed. */
  private static final class TimedLines extends OutputStream {
    record Line(long nanos, String text) {}

    private final ByteArrayOutputStream current = new ByteArrayOutputStream();
    private final List<Line> lines = new ArrayList<>();

    @Override
    public synchronized void write(int b) {
      if (b == '\n') {
        lines.add(new Line(System.nanoTime(), current.toString(StandardCharsets.UTF_8)));
        current.reset();
      } else {
        current.write(b);
      }
    }

    synchronized List<Line> lines() {
      return new ArrayList<>(lines);
    }

    synchronized String text() {
      StringBuilder b = new StringBuilder();
      lines.forEach(l -> b.append(l.text).append('\n'));
      return b.append(current.toString(StandardCharsets.UTF_8)).toString();
    }
  }
}
