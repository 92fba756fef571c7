package org.imednet.export.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import javax.annotation.Nullable;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.HttpImednetClient;
import org.imednet.export.api.ImednetApi;
import org.imednet.export.pipeline.ExportSpec;
import org.imednet.export.read.ReadStudyMetadataTables;
import org.imednet.export.sinks.ledger.LedgerEntry;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.ledger.TargetLockedException;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Options every {@code export} command shares: what to read, how to run, where errors go. */
final class CommonExportOptions {
  /**
   * {@code --maxBundleTimeMills} on a remote Flink cluster unless given: how often at most a step's
   * counters reach Flink's metrics, so how far live progress lags. The record reader drains its
   * ranges when a bundle ends: at 1 s API latency 10 s bundles made an export 28 % slower, 30 s
   * bundles 11 % (runners/README.md, "Progress on a cluster").
   */
  static final long REMOTE_BUNDLE_MILLIS = 30_000;

  /** Runner shortcuts; anything else goes to Beam as {@code --runner=...}. */
  enum Runner {
    DIRECT,
    FLINK,
    DATAFLOW
  }

  @Option(
      names = "--all-studies",
      description = "Export every study the API key can see (instead of listing STUDY keys).")
  boolean allStudies;

  @Option(
      names = "--forms",
      split = ",",
      paramLabel = "FORM",
      description =
          "Only these forms: form keys or numeric form ids, comma-separated. With several studies"
              + " a form need not be in each; one that is in none of them is an error (exit 2).")
  List<String> forms = new ArrayList<>();

  @Option(
      names = "--vars",
      split = ",",
      paramLabel = "VAR",
      description =
          "Only these variables (exact names), comma-separated. Each form keeps the ones it has,"
              + " with every metadata column; forms having none of them are left out. A name that"
              + " no selected form of any exported study has is an error (exit 2).")
  List<String> vars = new ArrayList<>();

  @Option(names = "--use-labels", description = "Name columns by variable label, not name.")
  boolean useLabels;

  @Option(
      names = "--errors-dir",
      paramLabel = "DIR",
      description =
          "Write records that cannot be processed here (JSON lines with the original payload) and"
              + " complete the run. Without it, such records fail the run. An API page that stays"
              + " malformed after every retry fails the run either way; its response body is kept"
              + " here under malformed-pages/.")
  Path errorsDir;

  @Option(
      names = "--base-url",
      paramLabel = "URL",
      description =
          "iMednet API base URL (default: $IMEDNET_BASE_URL, else "
              + ApiConfig.DEFAULT_BASE_URL
              + ").")
  String baseUrl;

  @Option(
      names = "--env-file",
      paramLabel = "FILE",
      description =
          "Read IMEDNET_API_KEY / IMEDNET_SECURITY_KEY (and other settings) from this KEY=VALUE file"
              + " instead of the environment. Credentials are never accepted as arguments.")
  Path envFile;

  @Option(
      names = "--max-concurrent-requests",
      paramLabel = "N",
      description = "Concurrent API requests per worker JVM (default: ${DEFAULT-VALUE}).",
      defaultValue = "4")
  int maxConcurrentRequests;

  @Option(
      names = "--requests-per-second",
      paramLabel = "R",
      description = "API request budget per second, shared by the whole run (default: unlimited).",
      defaultValue = "0")
  double requestsPerSecond;

  @Option(
      names = "--api-retries",
      paramLabel = "N",
      description =
          "Retries per API request for 429 (honouring Retry-After), 5xx and I/O errors"
              + " (default: ${DEFAULT-VALUE}).",
      defaultValue = "5")
  int apiRetries;

  // The laptop default is Flink's embedded MiniCluster, chosen by measurement (docs/benchmarks.md):
  // it streams records between operators, so memory stays flat, while the DirectRunner holds each
  // step's whole output in memory (it ran out of a 1 GiB heap at 1,000,000 records) and is 2-5x
  // slower. The DirectRunner stays available; it is Beam's correctness-checking runner.
  @Option(
      names = "--runner",
      paramLabel = "RUNNER",
      description =
          "flink (default: an embedded Flink, or a cluster with --flinkMaster=HOST:PORT), direct"
              + " (Beam's DirectRunner) or dataflow. Beam options pass through, e.g."
              + " --parallelism=2.",
      defaultValue = "flink")
  Runner runner;

  @Option(
      names = "--dry-run",
      description =
          "Validate the options and build the pipeline without running it (with --runner dataflow:"
              + " Dataflow's own checks, offline).")
  boolean dryRun;

  @Option(
      names = "--incremental",
      description =
          "Fetch only the records modified since the target's high-water mark (less --look-back)"
              + " and upsert them by (study_key, record_id); a study the target's ledger does not"
              + " know yet is exported whole. Metadata tables are read whole every run.")
  boolean incremental;

  @Option(
      names = "--look-back",
      paramLabel = "DURATION",
      description =
          "With --incremental: how far before the high-water mark to start reading, e.g. 1h, 30m,"
              + " 2d (default: ${DEFAULT-VALUE}).",
      defaultValue = "1h",
      converter = LookBackConverter.class)
  Duration lookBack;

  @Option(
      names = "--lock-stale-after",
      paramLabel = "DURATION",
      description =
          "Take over the target's lock when it is older than this (e.g. 12h), whatever host holds"
              + " it: for schedulers whose runs change hosts (Kubernetes pods). Default: only a"
              + " lock of a dead process of this host is taken over.",
      converter = LookBackConverter.class)
  Duration lockStaleAfter;

  @Option(
      names = "--progress",
      paramLabel = "MODE",
      description =
          "auto (bar on a terminal, lines otherwise), bar, plain or none. With"
              + " --flinkMaster=HOST:PORT the counts are polled from the cluster's REST API and lag"
              + " the work by a bundle (30 s there) and its metric refresh.",
      defaultValue = "auto")
  ProgressReporter.Mode progress;

  @Option(
      names = "--report",
      paramLabel = "FILE",
      description =
          "Write a JSON run report here when the command ends, also when it fails: studies, per"
              + " form the API's total, records fetched and rows written, pages, retries, seconds,"
              + " exit code and the error. Counts and keys only, never credentials or record"
              + " values.")
  Path report;

  /** The report being gathered for {@code --report}, else null. */
  @Nullable RunReport runReport;

  /**
   * Runs an export command's body and, with {@code --report}, writes the report when it ends: with
   * its exit code, or with the error it failed with (then rethrown for the CLI to print).
   */
  int reporting(String command, Callable<Integer> body) throws Exception {
    if (report == null) {
      return body.call();
    }
    runReport = new RunReport(command, runner.name().toLowerCase(Locale.ROOT));
    long start = System.nanoTime();
    int code;
    try {
      code = body.call();
    } catch (Exception e) {
      String userError = Errors.userError(e);
      try {
        runReport.write(
            report,
            e instanceof TargetLockedException
                ? ImednetCli.EXIT_LOCKED
                : userError != null ? ImednetCli.EXIT_USAGE : ImednetCli.EXIT_ERROR,
            secondsSince(start),
            userError != null ? userError : Errors.describe(e));
      } catch (IOException | RuntimeException unwritten) {
        e.addSuppressed(unwritten);
      }
      throw e;
    }
    runReport.write(report, code, secondsSince(start), null);
    return code;
  }

  private static double secondsSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /**
   * Beam pipeline options passed through (e.g. {@code --parallelism=2}); set by each command from
   * its own {@code @Unmatched} field, because picocli does not apply {@code @Unmatched} in mixins.
   */
  List<String> beamArgs = new ArrayList<>();

  /** Environment merged with the env file, the file winning. */
  Map<String, String> environment() throws IOException {
    Map<String, String> env = new HashMap<>(System.getenv());
    if (envFile != null) {
      env.putAll(EnvFile.read(envFile));
    }
    return env;
  }

  ApiConfig apiConfig() throws IOException {
    Map<String, String> env = environment();
    ApiConfig fromEnv = ApiConfig.fromEnvironment(env);
    ApiConfig.Builder b = fromEnv.toBuilder();
    if (baseUrl != null) {
      b.baseUrl(baseUrl);
    }
    b.maxConcurrentRequests(maxConcurrentRequests);
    b.maxRetries(apiRetries);
    if (errorsDir != null) {
      b.keepMalformedPagesIn(errorsDir.resolve("malformed-pages").toAbsolutePath().toString());
    }
    if (requestsPerSecond > 0) {
      b.requestsPerSecond(requestsPerSecond / Math.max(1, workers()));
    }
    return b.build();
  }

  /** Study keys from the arguments, or every study the key can see with --all-studies. */
  List<String> studies(List<String> given, ApiConfig api) throws IOException {
    if (allStudies && given != null && !given.isEmpty()) {
      throw new UsageError("give STUDY keys or --all-studies, not both");
    }
    if (!allStudies) {
      if (given == null || given.isEmpty()) {
        throw new UsageError("give at least one STUDY key, or --all-studies");
      }
      return new ArrayList<>(new LinkedHashSet<>(given));
    }
    return listStudies(api);
  }

  /** Every study the API key can see; an empty list is an error, never an empty export. */
  static List<String> listStudies(ApiConfig api) throws IOException {
    List<String> keys = new ArrayList<>();
    try (ImednetApi client = HttpImednetClient.create(api)) {
      Iterator<JsonNode> it = client.listAll(null, "studies", null);
      while (it.hasNext()) {
        keys.add(it.next().path("studyKey").asText());
      }
    }
    if (keys.isEmpty()) {
      throw new IllegalStateException("the API key sees no studies at " + api.baseUrl());
    }
    return keys;
  }

  /** Beam arguments: runner defaults measured for this project, then the user's pass-through. */
  List<String> beamArguments() {
    List<String> args = new ArrayList<>();
    switch (runner) {
      case DIRECT:
        args.add("--runner=DirectRunner");
        // Immutability/encodability checks re-encode every element; they belong in tests, not
        // in production runs (they re-encode and compare every element).
        args.add("--enforceImmutability=false");
        args.add("--enforceEncodability=false");
        break;
      case FLINK:
        args.add("--runner=FlinkRunner");
        if (beamArgs.stream().noneMatch(a -> a.startsWith("--flinkMaster"))) {
          args.add("--flinkMaster=[local]");
        }
        if (beamArgs.stream().noneMatch(a -> a.startsWith("--parallelism"))) {
          args.add("--parallelism=" + Runtime.getRuntime().availableProcessors());
        }
        if (!remoteFlinkMaster()
            && beamArgs.stream().noneMatch(a -> a.startsWith("--flinkConfDir"))) {
          int parallelism = userParallelism().orElse(Runtime.getRuntime().availableProcessors());
          args.add("--flinkConfDir=" + EmbeddedFlinkConf.directory(parallelism));
        }
        args.add("--fasterCopy=true");
        if (beamArgs.stream().noneMatch(a -> a.startsWith("--useDataStreamForBatch"))) {
          // Flink's DataStream API runs the batch job: a step with several outputs (flattening:
          // rows, failures, counts) keeps them as side outputs of one chained operator, where the
          // DataSet translation sends every output, row batches included, through a network
          // channel to each consumer, serialising it each time (1 M records: 62 CPU-s
          // with the DataSet API, 45 CPU-s and 30.9 s with this; docs/benchmarks.md).
          args.add("--useDataStreamForBatch=true");
        }
        if (beamArgs.stream().noneMatch(a -> a.startsWith("--maxBundleTimeMills"))) {
          // The DataStream translation ends a bundle after a second by default. The range reader
          // reads a bundle's ranges concurrently and waits for all of them when the bundle ends, so
          // one-second bundles left it with one slow range in flight for seconds at a time (200 ms
          // latency, 20 req/s budget: 14.6 req/s with dips to 4-5, 15.5 without them). In this JVM
          // a bundle ends with its input or after an hour. On a cluster Beam hands the counters to
          // Flink only when a bundle ends, and live progress reads them there, so bundles end
          // after REMOTE_BUNDLE_MILLIS (runners/README.md, "Progress on a cluster").
          args.add(
              "--maxBundleTimeMills=" + (remoteFlinkMaster() ? REMOTE_BUNDLE_MILLIS : 3_600_000));
        }
        if (remoteFlinkMaster() && beamArgs.stream().noneMatch(a -> a.startsWith("--jobName"))) {
          // The name live progress finds the job by on the cluster.
          args.add("--jobName=" + flinkJobName());
        }
        if (beamArgs.stream().noneMatch(a -> a.startsWith("--maxBundleSize"))) {
          args.add("--maxBundleSize=1000000");
        }
        if (beamArgs.stream().noneMatch(a -> a.startsWith("--executionModeForBatch"))) {
          // Flink makes an exchange blocking where a plan branches and joins again; here that is
          // the flattening step's rows and failures, which meet again only behind GroupByKeys and
          // side inputs that read their inputs to the end anyway, so pipelining cannot deadlock.
          // Blocking, every row batch was spilled to disk and the lake written only after the
          // last page was read (1 M records: 39.2 s blocking, 36.3 s pipelined).
          args.add("--executionModeForBatch=PIPELINED_FORCED");
        }
        break;
      case DATAFLOW:
        args.add("--runner=DataflowRunner");
        break;
    }
    args.addAll(beamArgs);
    return args;
  }

  /**
   * How many JVMs share the request budget. The limits are per JVM (every DoFn instance in one JVM
   * shares one gate), so an in-process runner (Direct, embedded Flink) is one worker whatever its
   * parallelism; on a Flink cluster each subtask may sit in its own TaskManager, so the budget is
   * split by {@code --parallelism} (an upper bound on TaskManagers: conservative, never over).
   */
  int workers() {
    if (runner != Runner.FLINK || !remoteFlinkMaster()) {
      return 1;
    }
    return userParallelism().orElse(1);
  }

  /** The user's {@code --parallelism}, if given. */
  private OptionalInt userParallelism() {
    for (String a : beamArgs) {
      if (a.startsWith("--parallelism=")) {
        return OptionalInt.of(
            Math.max(1, Integer.parseInt(a.substring("--parallelism=".length()))));
      }
    }
    return OptionalInt.empty();
  }

  private boolean remoteFlinkMaster() {
    for (String a : beamArgs) {
      if (a.startsWith("--flinkMaster=")) {
        String master = a.substring("--flinkMaster=".length());
        return !master.isEmpty() && !master.equals("[local]") && !master.equals("[auto]");
      }
    }
    return false;
  }

  /**
   * The job name on a remote Flink cluster: the user's {@code --jobName}, else one made once per
   * command, {@code imednet-<yyyyMMdd-HHmmss>-<random>}, unique enough to find the job by.
   */
  String flinkJobName() {
    for (String a : beamArgs) {
      if (a.startsWith("--jobName=")) {
        return a.substring("--jobName=".length());
      }
    }
    if (generatedJobName == null) {
      generatedJobName =
          "imednet-"
              + JOB_NAME_TIME.format(LocalDateTime.now(ZoneOffset.UTC))
              + "-"
              + java.util.UUID.randomUUID().toString().substring(0, 8);
    }
    return generatedJobName;
  }

  private @Nullable String generatedJobName;

  private static final java.time.format.DateTimeFormatter JOB_NAME_TIME =
      java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

  /** The remote Flink cluster's address ({@code --flinkMaster}), or null for in-process runs. */
  @Nullable
  String remoteMaster() {
    if (runner != Runner.FLINK || !remoteFlinkMaster()) {
      return null;
    }
    String master = null;
    for (String a : beamArgs) {
      if (a.startsWith("--flinkMaster=")) {
        master = a.substring("--flinkMaster=".length());
      }
    }
    return master;
  }

  /** A spec with what every export shares: the API, studies, selection, errors and runner. */
  ExportSpec.Builder spec(ApiConfig api, List<String> studyKeys) {
    return ExportSpec.builder()
        .api(api)
        .studies(studyKeys)
        .forms(formSet())
        .variables(varSet())
        .useLabels(useLabels)
        .errorsDir(errorsDir)
        .beamArgs(beamArguments());
  }

  Set<String> formSet() {
    Set<String> s = new LinkedHashSet<>();
    forms.forEach(f -> s.add(f.trim()));
    return s;
  }

  Set<String> varSet() {
    Set<String> s = new LinkedHashSet<>();
    vars.forEach(v -> s.add(v.trim()));
    return s;
  }

  ProgressReporter progress(PrintStream out) {
    String master = remoteMaster();
    return new ProgressReporter(progress, out, 10, master, master == null ? null : flinkJobName());
  }

  /**
   * This run as its target's ledger records it: without {@code --incremental} a plain export; with
   * it, each study the ledger knows is read from its {@link LedgerEntry#nextFrom next lower bound},
   * the others whole. Prints one line per study saying which.
   */
  LedgerRun ledgerRun(
      String runId, List<String> studies, Map<String, LedgerEntry> ledger, PrintStream out) {
    LocalDateTime startedAt = LocalDateTime.now(ZoneOffset.UTC);
    if (!incremental) {
      return LedgerRun.full(runId, startedAt, studies);
    }
    Map<String, LocalDateTime> windows = new TreeMap<>();
    for (String study : studies) {
      LedgerEntry entry = ledger.get(study);
      LocalDateTime from = entry == null ? null : entry.nextFrom(lookBack);
      if (from == null) {
        out.println(
            study
                + ": exported whole ("
                + (entry == null
                    ? "not in the target's ledger yet"
                    : "invalidated by run " + entry.runId())
                + ")");
      } else {
        windows.put(study, from);
        out.println(
            study
                + ": records modified since "
                + SECONDS.format(from)
                + " UTC (high-water mark "
                + (entry.highWaterMark() == null ? "none" : SECONDS.format(entry.highWaterMark()))
                + " of run "
                + entry.runId()
                + ", look-back "
                + LookBackConverter.format(lookBack)
                + ")");
      }
    }
    Map<String, Map<String, LocalDateTime>> tableWindows = new TreeMap<>();
    for (String study : windows.keySet()) {
      Map<String, LocalDateTime> tables = new TreeMap<>();
      for (String table : ReadStudyMetadataTables.windowedTables()) {
        tables.put(table, ledger.get(study).nextFrom(table, lookBack));
      }
      tableWindows.put(study, tables);
    }
    return LedgerRun.incremental(runId, startedAt, studies, windows, tableWindows);
  }

  private static final java.time.format.DateTimeFormatter SECONDS =
      java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  /**
   * Durations as users write them: {@code 90s}, {@code 30m}, {@code 1h}, {@code 2d}, or ISO-8601.
   */
  static final class LookBackConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.strip().toLowerCase(java.util.Locale.ROOT);
      Duration d;
      try {
        if (v.startsWith("p")) {
          d = Duration.parse(v.toUpperCase(java.util.Locale.ROOT));
        } else {
          long n = Long.parseLong(v.substring(0, v.length() - 1));
          switch (v.charAt(v.length() - 1)) {
            case 's':
              d = Duration.ofSeconds(n);
              break;
            case 'm':
              d = Duration.ofMinutes(n);
              break;
            case 'h':
              d = Duration.ofHours(n);
              break;
            case 'd':
              d = Duration.ofDays(n);
              break;
            default:
              throw new NumberFormatException();
          }
        }
      } catch (RuntimeException e) {
        throw new CommandLine.TypeConversionException(
            "a duration such as 90s, 30m, 1h or 2d, was '" + value + "'");
      }
      if (d.isNegative()) {
        throw new CommandLine.TypeConversionException("must not be negative, was '" + value + "'");
      }
      return d;
    }

    static String format(Duration d) {
      return d.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Reads a KEY=VALUE file (blank lines and # comments ignored, optional quotes). */
  static final class EnvFile {
    private EnvFile() {}

    static Map<String, String> read(Path file) throws IOException {
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("--env-file " + file + " does not exist");
      }
      Map<String, String> out = new HashMap<>();
      int n = 0;
      for (String line : Files.readAllLines(file)) {
        n++;
        String l = line.strip();
        if (l.isEmpty() || l.startsWith("#")) {
          continue;
        }
        if (l.startsWith("export ")) {
          l = l.substring(7).strip();
        }
        int eq = l.indexOf('=');
        if (eq <= 0) {
          // Never echo the line: it may hold a secret.
          throw new IllegalArgumentException(file + " line " + n + " is not KEY=VALUE");
        }
        String v = l.substring(eq + 1).strip();
        if (v.length() >= 2
            && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
          v = v.substring(1, v.length() - 1);
        }
        out.put(l.substring(0, eq).strip(), v);
      }
      return out;
    }
  }
}
