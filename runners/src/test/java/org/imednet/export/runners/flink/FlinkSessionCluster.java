package org.imednet.export.runners.flink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A real Flink 1.19 session cluster for tests: one JobManager and one TaskManager JVM on 127.0.0.1,
 * started and stopped with {@code runners/flink-cluster/start-cluster.sh} and {@code
 * stop-cluster.sh} on free ports, with its own run directory (conf, logs, pid files, tmp) under the
 * build directory, so several clusters can run at once and their logs survive a failed test.
 *
 * <pre>{@code
 * @Tag("heavy")
 * class MyClusterTest {
 *   static FlinkSessionCluster cluster;
 *
 *   @BeforeAll static void start() { cluster = FlinkSessionCluster.start(); }
 *   @AfterAll static void stop() { cluster.close(); }
 *
 *   @Test void exports() {
 *     List<String> args = new ArrayList<>(cluster.submitArgs(FlinkSessionCluster.jobFiles()));
 *     args.add("--output=...");
 *     // PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)) ... or the CLI
 *   }
 * }
 * }</pre>
 *
 * <p>Jobs are submitted from the test JVM by Beam's FlinkRunner; the TaskManager runs them with
 * only Flink on its class path, so everything the job needs must be staged: {@link #jobFiles()}
 * (the test class path, or the shaded jar from {@code -Pbundle}). Beam zips class directories into
 * jars under {@code --tempLocation}, which must exist.
 *
 * <p>Guarantees: {@link #start()} returns only once a TaskManager slot is free; {@link #close()} is
 * idempotent and returns only once both JVMs have exited (SIGTERM, then SIGKILL); a JVM shutdown
 * hook stops the cluster if the test JVM exits without closing it.
 */
public final class FlinkSessionCluster implements AutoCloseable {

  private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(3);
  private static final Pattern NUMBER_FIELD = Pattern.compile("\"([a-z-]+)\":(\\d+)");

  private final Path runDir;
  private final int restPort;
  private final ProcessHandle jobManager;
  private final ProcessHandle taskManager;
  private final Duration startTime;
  private final Thread shutdownHook;
  private boolean closed;

  private FlinkSessionCluster(
      Path runDir,
      int restPort,
      ProcessHandle jobManager,
      ProcessHandle taskManager,
      Duration startTime) {
    this.runDir = runDir;
    this.restPort = restPort;
    this.jobManager = jobManager;
    this.taskManager = taskManager;
    this.startTime = startTime;
    this.shutdownHook = new Thread(this::stopQuietly, "flink-session-cluster-stop");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** Starts a cluster on free ports in a new run directory under the build directory. */
  public static FlinkSessionCluster start() {
    return start(Map.of());
  }

  /**
   * Starts a cluster on free ports in a new run directory under the build directory, whose
   * TaskManager (only) has {@code taskManagerEnv} in its environment, e.g. the AWS keys of a job
   * that writes to S3. The variables reach it through a file only the owner can read, deleted once
   * the cluster is up: never a command line.
   */
  public static FlinkSessionCluster start(Map<String, String> taskManagerEnv) {
    try {
      Path runs = buildDir().resolve("flink-test-runs");
      Files.createDirectories(runs);
      return start(Files.createTempDirectory(runs, "cluster-"), taskManagerEnv);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts a cluster on free ports whose conf, logs, pid files and tmp live in {@code runDir}. */
  public static FlinkSessionCluster start(Path runDir) {
    return start(runDir, Map.of());
  }

  private static FlinkSessionCluster start(Path runDir, Map<String, String> taskManagerEnv) {
    int restPort = freePort();
    int rpcPort = freePort();
    Map<String, String> env = new java.util.HashMap<>();
    env.put("FLINK_REST_PORT", "" + restPort);
    env.put("FLINK_RPC_PORT", "" + rpcPort);
    Path envFile = null;
    if (!taskManagerEnv.isEmpty()) {
      envFile = writeEnvFile(runDir, taskManagerEnv);
      env.put("FLINK_TM_ENV_FILE", envFile.toString());
    }
    long started = System.nanoTime();
    ScriptResult result;
    try {
      result = runScript("start-cluster.sh", runDir, env);
    } finally {
      if (envFile != null) {
        try {
          Files.deleteIfExists(envFile);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    Duration startTime = Duration.ofNanos(System.nanoTime() - started);
    if (result.exitCode != 0) {
      throw new IllegalStateException(
          "start-cluster.sh failed (exit "
              + result.exitCode
              + "); logs in "
              + runDir.resolve("log")
              + ":\n"
              + result.output);
    }
    return new FlinkSessionCluster(
        runDir,
        restPort,
        processFromPidFile(runDir, "jobmanager"),
        processFromPidFile(runDir, "taskmanager"),
        startTime);
  }

  /** {@code 127.0.0.1:PORT}, the value of Beam's {@code --flinkMaster}. */
  public String restAddress() {
    return "127.0.0.1:" + restPort;
  }

  public int restPort() {
    return restPort;
  }

  public URI restUri() {
    return URI.create("http://" + restAddress() + "/");
  }

  /** {@code --runner=FlinkRunner --flinkMaster=127.0.0.1:PORT --parallelism=2}. */
  public List<String> submitArgs() {
    return List.of("--runner=FlinkRunner", "--flinkMaster=" + restAddress(), "--parallelism=2");
  }

  /**
   * {@link #submitArgs()} plus {@code --filesToStage=...}: the jars (or class directories, which
   * Beam zips) that the TaskManager loads the job's classes from.
   */
  public List<String> submitArgs(List<Path> filesToStage) {
    List<String> args = new ArrayList<>(submitArgs());
    args.add(
        "--filesToStage="
            + filesToStage.stream()
                .map(p -> p.toAbsolutePath().toString())
                .collect(Collectors.joining(",")));
    return args;
  }

  /**
   * What the TaskManager needs to run a job submitted from this test JVM: the test class path (this
   * module's classes, the pipeline and every dependency) without the Flink jars the cluster already
   * has; or, with {@code -Dimednet.stage.bundle=true}, the shaded jar built by {@code -Pbundle}
   * plus this module's test classes. The class path always matches the code under test and works in
   * any build phase (a reactor's {@code test} phase has no upstream jars to shade); the bundle is
   * one file and quicker to upload.
   */
  public static List<Path> jobFiles() {
    if (Boolean.getBoolean("imednet.stage.bundle")) {
      return List.of(bundleJar(), testClassesDir());
    }
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<Path> files = new ArrayList<>();
    for (String entry : classPath.split(java.io.File.pathSeparator)) {
      Path path = Paths.get(entry);
      String name = path.getFileName() == null ? "" : path.getFileName().toString();
      // The cluster loads org.apache.flink classes parent-first from its own lib directory.
      boolean onCluster = name.startsWith("flink-") && name.endsWith(".jar");
      if (!entry.isEmpty() && Files.exists(path) && !onCluster) {
        files.add(path);
      }
    }
    return files;
  }

  /**
   * The shaded jar of the pipeline ({@code runners/target*}/imednet-export-bundled.jar), built by
   * {@code -Pbundle} at package time.
   */
  public static Path bundleJar() {
    Path jar =
        Paths.get(
            System.getProperty(
                "imednet.bundle.jar", buildDir().resolve("imednet-export-bundled.jar").toString()));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "no shaded jar at "
              + jar
              + ": build it with mvn -Pbundle -DskipTests package -pl runners -am");
    }
    return jar;
  }

  /** This module's compiled test classes, to stage next to the bundle for a test's own DoFns. */
  public static Path testClassesDir() {
    return buildDir().resolve("test-classes");
  }

  /** The body of {@code GET /overview}. */
  public String overview() {
    return get("overview");
  }

  /**
   * The numeric fields of {@code GET /overview}: taskmanagers, slots-total, slots-available,
   * jobs-running, jobs-finished, jobs-cancelled, jobs-failed.
   */
  public Map<String, Long> overviewCounts() {
    Matcher m = NUMBER_FIELD.matcher(overview());
    Map<String, Long> counts = new java.util.TreeMap<>();
    while (m.find()) {
      counts.put(m.group(1), Long.parseLong(m.group(2)));
    }
    return counts;
  }

  /** The body of {@code GET /<path>} on the REST endpoint, e.g. {@code jobs/overview}. */
  public String get(String path) {
    HttpRequest request =
        HttpRequest.newBuilder(restUri().resolve(path)).timeout(Duration.ofSeconds(10)).build();
    try {
      HttpResponse<String> response =
          HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(
            "GET " + request.uri() + " returned " + response.statusCode() + ": " + response.body());
      }
      return response.body();
    } catch (IOException e) {
      throw new UncheckedIOException("GET " + request.uri() + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during GET " + request.uri(), e);
    }
  }

  public ProcessHandle jobManager() {
    return jobManager;
  }

  public ProcessHandle taskManager() {
    return taskManager;
  }

  public Path runDir() {
    return runDir;
  }

  public Path logDir() {
    return runDir.resolve("log");
  }

  /** How long start-cluster.sh took, up to a free TaskManager slot. */
  public Duration startTime() {
    return startTime;
  }

  /** Runs stop-cluster.sh; returns once both JVMs are gone. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    ScriptResult result = runScript("stop-cluster.sh", runDir, Map.of());
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // Already shutting down: the hook is running or has run.
    }
    if (result.exitCode != 0 || jobManager.isAlive() || taskManager.isAlive()) {
      throw new IllegalStateException(
          "stop-cluster.sh (exit "
              + result.exitCode
              + ") left JobManager alive="
              + jobManager.isAlive()
              + ", TaskManager alive="
              + taskManager.isAlive()
              + ":\n"
              + result.output);
    }
  }

  private synchronized void stopQuietly() {
    if (!closed) {
      runScript("stop-cluster.sh", runDir, Map.of());
      closed = true;
    }
  }

  private static Path writeEnvFile(Path runDir, Map<String, String> variables) {
    StringBuilder text = new StringBuilder();
    variables.forEach(
        (k, v) -> {
          if (!k.matches("[A-Za-z_][A-Za-z0-9_]*") || v.contains("\n")) {
            throw new IllegalArgumentException("not an environment variable: " + k);
          }
          text.append(k).append('=').append(v).append('\n');
        });
    try {
      Files.createDirectories(runDir);
      Path file =
          Files.createTempFile(
              runDir,
              "taskmanager-",
              ".env",
              java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                  java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, text, StandardCharsets.UTF_8);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ProcessHandle processFromPidFile(Path runDir, String role) {
    Path pidFile = runDir.resolve("pid").resolve(role + ".pid");
    try {
      long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).trim());
      Optional<ProcessHandle> process = ProcessHandle.of(pid);
      return process.orElseThrow(
          () -> new IllegalStateException("the " + role + " (pid " + pid + ") is not running"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + pidFile, e);
    }
  }

  private record ScriptResult(int exitCode, String output) {}

  private static ScriptResult runScript(String script, Path runDir, Map<String, String> env) {
    Path scriptPath = runnersDir().resolve("flink-cluster").resolve(script);
    Path outputFile = runDir.resolve(script.replace(".sh", ".out"));
    try {
      Files.createDirectories(runDir);
      ProcessBuilder builder =
          new ProcessBuilder("bash", scriptPath.toString())
              .redirectErrorStream(true)
              .redirectOutput(outputFile.toFile());
      Map<String, String> environment = builder.environment();
      environment.putAll(env);
      environment.put("FLINK_RUN_DIR", runDir.toAbsolutePath().toString());
      environment.put("FLINK_LIB_DIR", flinkLibDir().toString());
      // Generous: on a loaded 2-core machine start-up has taken 40 s instead of the usual 5-6 s.
      environment.putIfAbsent("FLINK_START_TIMEOUT", "150");
      environment.put("BUILD_DIR_SUFFIX", System.getProperty("imednet.build.dir.suffix", ""));
      Process process = builder.start();
      if (!process.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(script + " did not finish within " + SCRIPT_TIMEOUT);
      }
      return new ScriptResult(process.exitValue(), Files.readString(outputFile));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + scriptPath, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + script, e);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on 127.0.0.1", e);
    }
  }

  /** The runners module directory (Maven's basedir; surefire runs tests there). */
  static Path runnersDir() {
    return Paths.get(System.getProperty("imednet.runners.dir", "")).toAbsolutePath();
  }

  private static Path buildDir() {
    return runnersDir().resolve("target" + System.getProperty("imednet.build.dir.suffix", ""));
  }

  private static Path flinkLibDir() {
    return Paths.get(
            System.getProperty("imednet.flink.lib.dir", buildDir().resolve("flink-lib").toString()))
        .toAbsolutePath();
  }
}
