package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * {@link FlinkJobCounters} against canned answers of Flink 1.19's REST API, in the shapes a session
 * cluster gave for an export of the sample studies (metric ids as {@code GET
 * /jobs/<id>/vertices/<v>/subtasks/metrics} listed them).
 */
class FlinkJobCountersTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PLAN =
      "ReadStudyRecords/ReadStudies/PlanRanges/ParMultiDo(PlanRecordRanges).imednet_";
  private static final String FETCH =
      "ReadStudyRecords/ReadStudies/FetchPages/ParMultiDo(FetchRecordPages).imednet_";
  private static final String FLATTEN =
      "FlattenRecords/Flatten/ParMultiDo(FlattenRecords).imednet_";

  @Test
  void countersAreOurMetricIdsWhateverTheOperatorAndScopeDelimiter() {
    assertEquals(
        "recordsFetched/CARDIO01/AE+LOG",
        FlinkJobCounters.counterName(FETCH + "recordsFetched/CARDIO01/AE+LOG"));
    assertEquals(
        "apiTotalElements/ONCO-22/EX",
        FlinkJobCounters.counterName("op.imednet.apiTotalElements/ONCO-22/EX"));
    assertNull(FlinkJobCounters.counterName(FETCH.replace("imednet_", "") + "numRecordsIn"));
    assertNull(FlinkJobCounters.counterName("op.imednet_noSuchMetric/S/F"));
    assertNull(FlinkJobCounters.counterName("op.org_imednet_export_read_recordsOfOtherForm"));
    assertNull(FlinkJobCounters.counterName("op.numRecordsOut"));
  }

  @Test
  void theJobIsFoundByNameTheLatestStartedOfSeveral() throws Exception {
    String overview =
        "{\"jobs\":[{\"jid\":\"a1\",\"name\":\"imednet-x\",\"state\":\"FINISHED\","
            + "\"start-time\":100},{\"jid\":\"b2\",\"name\":\"other\",\"state\":\"RUNNING\","
            + "\"start-time\":300},{\"jid\":\"c3\",\"name\":\"imednet-x\",\"state\":\"RUNNING\","
            + "\"start-time\":200}]}";
    assertEquals("c3", FlinkJobCounters.jobIdByName(JSON.readTree(overview), "imednet-x"));
    assertNull(FlinkJobCounters.jobIdByName(JSON.readTree(overview), "imednet-y"));
    assertNull(FlinkJobCounters.jobIdByName(JSON.readTree("{\"jobs\":[]}"), "imednet-x"));
  }

  @Test
  void longIdListsAreSplitBelowTheRequestLineLimit() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      ids.add(FETCH + "recordsFetched/STUDY" + i + "/FORM+" + i);
    }
    List<String> queries = FlinkJobCounters.sumQueries(ids);
    assertTrue(queries.size() > 1, queries.toString());
    List<String> asked = new ArrayList<>();
    for (String q : queries) {
      assertTrue(q.length() < 3100, q);
      assertTrue(q.startsWith("get=") && q.endsWith("&agg=sum"), q);
      asked.addAll(askedIds(q));
    }
    assertEquals(ids, asked);
  }

  @Test
  void aPollSumsEachCounterOverVerticesAndOperatorsAndNeverGoesDown() throws Exception {
    FakeFlink flink = new FakeFlink();
    flink.metrics.put(
        "v1",
        new TreeMap<>(
            Map.of(
                PLAN + "apiTotalElements/CARDIO01/AE+LOG", 32.0,
                PLAN + "apiTotalElements/CARDIO01/DM", 15.0,
                FETCH + "recordsFetched/CARDIO01/AE+LOG", 20.0,
                FETCH + "pagesFetched/CARDIO01/AE+LOG", 1.0,
                FETCH.replace("imednet_", "") + "numRecordsIn", 999.0)));
    // A second vertex (e.g. another read of an incremental run) counts the same form too.
    flink.metrics.put(
        "v2",
        new TreeMap<>(
            Map.of(
                FETCH + "recordsFetched/CARDIO01/AE+LOG",
                5.0,
                FLATTEN + "rowsFlattened/CARDIO01/AE+LOG",
                12.0)));
    try (AutoCloseable server = flink.start()) {
      FlinkJobCounters job = FlinkJobCounters.of("127.0.0.1:" + flink.port, "imednet-run-1");
      Map<String, Long> first = job.poll();
      assertEquals("job-1", job.jobId());
      assertEquals(
          new TreeMap<>(
              Map.of(
                  "apiTotalElements/CARDIO01/AE+LOG", 32L,
                  "apiTotalElements/CARDIO01/DM", 15L,
                  "recordsFetched/CARDIO01/AE+LOG", 25L,
                  "pagesFetched/CARDIO01/AE+LOG", 1L,
                  "rowsFlattened/CARDIO01/AE+LOG", 12L)),
          first);
      assertEquals(
          "progress: 1 studies, 2 forms, records fetched 25 of 47, rows flattened 12, rows written"
              + " 0, failed 0",
          ProgressReporter.Snapshot.of(first).line());
      // Only our ids were asked for, each exactly as listed ('+' and '/' survive the query).
      assertEquals(
          List.of(
              FETCH + "pagesFetched/CARDIO01/AE+LOG",
              FETCH + "recordsFetched/CARDIO01/AE+LOG",
              PLAN + "apiTotalElements/CARDIO01/AE+LOG",
              PLAN + "apiTotalElements/CARDIO01/DM"),
          flink.asked.get("v1"));

      // The planning subtask finished and its metrics left the JobManager; the fetch moved on.
      flink.metrics.get("v1").remove(PLAN + "apiTotalElements/CARDIO01/AE+LOG");
      flink.metrics.get("v1").remove(PLAN + "apiTotalElements/CARDIO01/DM");
      flink.metrics.get("v1").put(FETCH + "recordsFetched/CARDIO01/AE+LOG", 27.0);
      Map<String, Long> second = job.poll();
      assertEquals(32L, second.get("apiTotalElements/CARDIO01/AE+LOG"));
      assertEquals(32L, second.get("recordsFetched/CARDIO01/AE+LOG"));
      assertEquals(1, flink.overviewRequests, "the job id is looked up once");
    }
  }

  @Test
  void noJobOfThatNameYetOrNoRestApiIsAnIoErrorTheReporterRidesOut() throws Exception {
    FakeFlink flink = new FakeFlink();
    try (AutoCloseable server = flink.start()) {
      FlinkJobCounters job = FlinkJobCounters.of("http://127.0.0.1:" + flink.port, "not-there");
      IOException e = assertThrows(IOException.class, job::poll);
      assertTrue(e.getMessage().contains("no job named not-there"), e.getMessage());
      assertNull(job.jobId());
    }
    FlinkJobCounters gone = FlinkJobCounters.of("127.0.0.1:" + flink.port, "imednet-run-1");
    assertThrows(IOException.class, gone::poll);
  }

  private static List<String> askedIds(String query) {
    String get = query.substring("get=".length(), query.indexOf("&agg="));
    return Arrays.asList(URLDecoder.decode(get, StandardCharsets.UTF_8).split(","));
  }

  /** A JobManager REST API with one job, {@code imednet-run-1}, of two vertices. */
  private static final class FakeFlink {
    final Map<String, Map<String, Double>> metrics = new ConcurrentHashMap<>();
    final Map<String, List<String>> asked = new ConcurrentHashMap<>();
    volatile int overviewRequests;
    int port;

    AutoCloseable start() throws IOException {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext("/", this::handle);
      server.start();
      port = server.getAddress().getPort();
      return () -> server.stop(0);
    }

    private void handle(HttpExchange ex) throws IOException {
      String path = ex.getRequestURI().getPath();
      String query = ex.getRequestURI().getRawQuery();
      Object body;
      if (path.equals("/jobs/overview")) {
        overviewRequests++;
        body =
            JSON.readTree(
                "{\"jobs\":[{\"jid\":\"job-0\",\"name\":\"imednet-run-0\",\"state\":\"FINISHED\","
                    + "\"start-time\":1},{\"jid\":\"job-1\",\"name\":\"imednet-run-1\","
                    + "\"state\":\"RUNNING\",\"start-time\":2}]}");
      } else if (path.equals("/jobs/job-1")) {
        body =
            JSON.readTree(
                "{\"jid\":\"job-1\",\"vertices\":[{\"id\":\"v1\",\"name\":\"a\"},"
                    + "{\"id\":\"v2\",\"name\":\"b\"}]}");
      } else if (path.matches("/jobs/job-1/vertices/v[12]/subtasks/metrics")) {
        String vertex = path.split("/")[4];
        Map<String, Double> values = metrics.getOrDefault(vertex, Map.of());
        ArrayNode list = JSON.createArrayNode();
        if (query == null) {
          values.keySet().forEach(id -> list.addObject().put("id", id));
        } else {
          List<String> ids = askedIds(query);
          asked.put(vertex, ids);
          for (String id : ids) {
            if (values.containsKey(id)) {
              ObjectNode m = list.addObject();
              m.put("id", id);
              m.put("sum", values.get(id));
            }
          }
        }
        body = list;
      } else {
        ex.sendResponseHeaders(404, -1);
        ex.close();
        return;
      }
      byte[] bytes = JSON.writeValueAsBytes(body);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, bytes.length);
      ex.getResponseBody().write(bytes);
      ex.close();
    }
  }
}
