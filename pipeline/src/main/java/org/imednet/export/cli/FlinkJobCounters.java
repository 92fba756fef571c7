package org.imednet.export.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.annotation.Nullable;
import org.imednet.export.metrics.ExportMetrics;

/**
 * The {@link ExportMetrics} counters of a job running on a Flink cluster, read from the
 * JobManager's REST API while it runs, for live progress when the workers are other JVMs.
 *
 * <pre>{@code
 * FlinkJobCounters job = FlinkJobCounters.of("flink-jm:8081", "imednet-export-20261204-…");
 * Map<String, Long> counters = job.poll();   // {"recordsFetched/CARDIO01/DM": 15, ...}
 * }</pre>
 *
 * <p>How: {@code GET /jobs/overview} finds the job by its name (the CLI names the job, so it knows
 * the name before the FlinkRunner submits it); {@code GET /jobs/<id>} lists its vertices; for each
 * vertex {@code GET /jobs/<id>/vertices/<v>/subtasks/metrics} lists the metric ids, of which ours
 * are the operator metrics {@code <operator>.imednet_<counter>} (Beam registers a counter as {@code
 * imednet.<counter>}, and Flink's query service turns the dot into {@code _}); then {@code
 * ?get=<ids>&agg=sum} sums each over the vertex's subtasks, and the counters are summed over the
 * operators and vertices that report them.
 *
 * <p>What the numbers are: Beam hands a step's counters to Flink when a bundle ends, and the
 * JobManager fetches them from the TaskManagers at most every {@code
 * metrics.fetcher.update-interval} (10 s by default), so they lag the work by up to a bundle's
 * length plus that interval. Counters only grow, so each poll keeps, per counter, the largest value
 * seen: a finished subtask whose metrics the JobManager has dropped does not make a count go down.
 * They are progress, not the result: the end-of-run summary comes from the runner's own metrics.
 *
 * <p>Failures: a poll that cannot reach the REST API, or finds no job of that name yet, throws
 * {@link IOException} and changes nothing; the caller keeps showing the last counts.
 */
final class FlinkJobCounters {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

  /**
   * Our counter inside a metric id: the namespace and Flink's scope delimiter ({@code .}, or the
   * {@code _} the query service puts in its place), then {@code <metric>/<study>/<form>}, whose
   * keys are percent-encoded and so hold no {@code /}.
   */
  private static final Pattern COUNTER =
      Pattern.compile(
          Pattern.quote(ExportMetrics.NAMESPACE) + "[._]([A-Za-z]+/[^/]*/[^/]*)$", Pattern.DOTALL);

  /** Netty's default limit on a request line is 4096 bytes; stay well below it. */
  private static final int MAX_QUERY_CHARS = 3000;

  private final HttpClient http;
  private final URI rest;
  private final String jobName;
  private final Map<String, Long> highest = new TreeMap<>();
  private @Nullable String jobId;

  private FlinkJobCounters(HttpClient http, URI rest, String jobName) {
    this.http = http;
    this.rest = rest;
    this.jobName = jobName;
  }

  /**
   * @param master the cluster's REST address as given to {@code --flinkMaster}: {@code HOST:PORT}
   *     or {@code http(s)://HOST:PORT}
   * @param jobName the Flink job name the run was submitted with
   */
  static FlinkJobCounters of(String master, String jobName) {
    HttpClient http =
        HttpClient.newBuilder()
            .connectTimeout(REQUEST_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
    return new FlinkJobCounters(http, restUri(master), jobName);
  }

  static URI restUri(String master) {
    String base = master.contains("://") ? master : "http://" + master;
    return URI.create(base.endsWith("/") ? base : base + "/");
  }

  /** The job's id once a poll has found it, else null. */
  @Nullable
  String jobId() {
    return jobId;
  }

  /**
   * Reads the job's counters now: by counter name (as {@link ExportMetrics#parse} reads them), the
   * largest value each has had in any poll of this job.
   *
   * @throws IOException the REST API did not answer, or no job of this name is there (yet)
   */
  synchronized Map<String, Long> poll() throws IOException {
    if (jobId == null) {
      jobId = jobIdByName(get("jobs/overview"), jobName);
      if (jobId == null) {
        throw new IOException("no job named " + jobName + " on the Flink cluster at " + rest);
      }
    }
    Map<String, Long> now = new TreeMap<>();
    for (String vertex : vertexIds(get("jobs/" + jobId))) {
      String metricsPath = "jobs/" + jobId + "/vertices/" + vertex + "/subtasks/metrics";
      List<String> ids = counterMetricIds(get(metricsPath));
      for (String query : sumQueries(ids)) {
        addSums(get(metricsPath + "?" + query), now);
      }
    }
    now.forEach((name, v) -> highest.merge(name, v, Math::max));
    return new TreeMap<>(highest);
  }

  private JsonNode get(String pathAndQuery) throws IOException {
    HttpRequest request =
        HttpRequest.newBuilder(rest.resolve(pathAndQuery)).timeout(REQUEST_TIMEOUT).GET().build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted during GET " + request.uri(), e);
    }
    if (response.statusCode() != 200) {
      throw new IOException("GET " + request.uri() + " answered " + response.statusCode());
    }
    return JSON.readTree(response.body());
  }

  /**
   * The id of the job named {@code name} in a {@code GET /jobs/overview} body, or null; of several,
   * the one started last.
   */
  @Nullable
  static String jobIdByName(JsonNode overview, String name) {
    String id = null;
    long started = Long.MIN_VALUE;
    for (JsonNode job : overview.path("jobs")) {
      if (name.equals(job.path("name").asText()) && job.path("start-time").asLong() >= started) {
        id = job.path("jid").asText();
        started = job.path("start-time").asLong();
      }
    }
    return id;
  }

  /** The vertex ids in a {@code GET /jobs/<id>} body. */
  static List<String> vertexIds(JsonNode job) {
    List<String> ids = new ArrayList<>();
    for (JsonNode v : job.path("vertices")) {
      ids.add(v.path("id").asText());
    }
    return ids;
  }

  /** The ids of our counters in a {@code GET …/subtasks/metrics} body (a list of {@code {id}}). */
  static List<String> counterMetricIds(JsonNode metrics) {
    List<String> ids = new ArrayList<>();
    for (JsonNode m : metrics) {
      String id = m.path("id").asText();
      if (counterName(id) != null) {
        ids.add(id);
      }
    }
    return ids;
  }

  /**
   * The counter name ({@code <metric>/<study>/<form>}) inside a Flink metric id, or null if the id
   * is not one of ours.
   */
  @Nullable
  static String counterName(String metricId) {
    Matcher m = COUNTER.matcher(metricId);
    if (!m.find()) {
      return null;
    }
    String name = m.group(1);
    return ExportMetrics.parse(name) == null ? null : name;
  }

  /**
   * Query strings {@code get=<id>,<id>…&agg=sum} asking for {@code ids}, as few as keep each under
   * the REST server's request-line limit.
   */
  static List<String> sumQueries(List<String> ids) {
    List<String> queries = new ArrayList<>();
    StringBuilder get = new StringBuilder();
    for (String id : ids) {
      String encoded = URLEncoder.encode(id, StandardCharsets.UTF_8);
      if (get.length() > 0 && get.length() + 1 + encoded.length() > MAX_QUERY_CHARS) {
        queries.add("get=" + get + "&agg=sum");
        get.setLength(0);
      }
      if (get.length() > 0) {
        get.append("%2C");
      }
      get.append(encoded);
    }
    if (get.length() > 0) {
      queries.add("get=" + get + "&agg=sum");
    }
    return queries;
  }

  /**
   * Adds each {@code {id, sum}} of a {@code …/subtasks/metrics?get=…&agg=sum} body to {@code
   * counters}, by counter name: the same counter reported by several operators is added up.
   */
  static void addSums(JsonNode sums, Map<String, Long> counters) {
    for (JsonNode m : sums) {
      String name = counterName(m.path("id").asText());
      JsonNode sum = m.get("sum");
      if (name != null && sum != null && sum.isNumber()) {
        counters.merge(name, Math.round(sum.asDouble()), Long::sum);
      }
    }
  }
}
