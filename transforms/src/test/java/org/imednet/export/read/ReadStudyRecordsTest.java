package org.imednet.export.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.ApiPage;
import org.imednet.export.api.HttpImednetClient;
import org.imednet.export.api.ImednetApi;
import org.imednet.export.api.ImednetApiFactory;
import org.imednet.export.api.PageQuery;
import org.imednet.export.api.Secret;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.model.RecordPage;
import org.imednet.export.model.VariableInfo;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.Fault;
import org.imednet.export.testdata.emulator.FaultPlan;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ReadStudyRecordsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String API_KEY = "emu-api-key-51f0";
  private static final String SECURITY_KEY = "emu-sec-key-88c2";

  /** Waits the clients were asked to make; shared because DoFns are deserialized copies. */
  private static final ConcurrentLinkedQueue<Duration> SLEEPS = new ConcurrentLinkedQueue<>();

  private static final ImednetApiFactory RECORDING =
      config -> HttpImednetClient.create(config, SLEEPS::add, Clock.systemUTC());

  private ImednetEmulator emulator;

  @AfterEach
  void stop() {
    if (emulator != null) {
      emulator.close();
    }
    SLEEPS.clear();
  }

  private FolderStudyData start(FaultPlan faults) {
    FolderStudyData data = FolderStudyData.load(SampleStudies.root());
    emulator =
        ImednetEmulator.builder()
            .data(data)
            .credentials(API_KEY, SECURITY_KEY)
            .port(0)
            .faults(faults)
            .build()
            .start();
    return data;
  }

  private ApiConfig config(int pageSize) {
    return ApiConfig.builder()
        .baseUrl(emulator.baseUrl())
        .apiKey(Secret.of(API_KEY))
        .securityKey(Secret.of(SECURITY_KEY))
        .pageSize(pageSize)
        .maxRetries(3)
        .requestTimeout(Duration.ofSeconds(10))
        .build();
  }

  private static Pipeline pipeline() {
    return Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
  }

  /** {@code "STUDY/FORMKEY/recordId"} for every record of the sample files, optionally filtered. */
  private static List<String> expected(String study, Set<Long> formIds) throws IOException {
    Path dir = SampleStudies.root().resolve(study);
    Map<Long, String> formKeys = new HashMap<>();
    for (JsonNode f : JSON.readTree(dir.resolve("forms.json").toFile())) {
      formKeys.put(f.get("formId").asLong(), f.get("formKey").asText());
    }
    List<String> ids = new ArrayList<>();
    for (JsonNode r : JSON.readTree(dir.resolve("records.json").toFile())) {
      long formId = r.get("formId").asLong();
      if (formIds.isEmpty() || formIds.contains(formId)) {
        ids.add(study + "/" + formKeys.get(formId) + "/" + r.get("recordId").asLong());
      }
    }
    return ids;
  }

  private static PCollection<String> recordKeys(PCollection<RecordPage> pages) {
    return pages.apply(
        "RecordKeys",
        FlatMapElements.into(TypeDescriptors.strings())
            .via(
                (RecordPage page) ->
                    page.records().stream()
                        .map(
                            r ->
                                page.form().studyKey()
                                    + "/"
                                    + page.form().form().formKey()
                                    + "/"
                                    + r.get("recordId").asLong())
                        .collect(Collectors.toList())));
  }

  private static PCollection<String> formKeys(PCollection<RecordPage> pages) {
    return pages
        .apply(
            "FormKeys",
            MapElements.into(TypeDescriptors.strings())
                .via(
                    (RecordPage page) ->
                        page.form().studyKey() + "/" + page.form().form().formKey()))
        .apply("DistinctForms", org.apache.beam.sdk.transforms.Distinct.create());
  }

  private static String causeChain(Throwable e) {
    StringBuilder s = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      s.append(t).append('\n');
    }
    return s.toString();
  }

  @Test
  void readsExactlyTheRecordsOfEveryFormAcrossManyPagesAndRanges() throws Exception {
    start(FaultPlan.none());
    Pipeline p = pipeline();
    PCollection<RecordPage> pages =
        p.apply(
            ReadStudyRecords.create()
                .withApiConfig(config(7))
                .withStudies(List.of("CARDIO01"))
                .withRecordsPerRange(20));
    PAssert.that(recordKeys(pages)).containsInAnyOrder(expected("CARDIO01", Set.of()));
    PAssert.that(formKeys(pages))
        .satisfies(
            keys -> {
              Set<String> got = new TreeSet<>();
              keys.forEach(got::add);
              // CM has no records and still arrives as one empty page.
              assertTrue(got.contains("CARDIO01/CM"), got.toString());
              assertTrue(got.contains("CARDIO01/AE LOG"), got.toString());
              return null;
            });
    PAssert.that(pages)
        .satisfies(
            ps -> {
              for (RecordPage page : ps) {
                assertTrue(page.records().size() <= 7, page.toString());
                assertTrue(page.location().startsWith("records formId=="), page.location());
              }
              return null;
            });
    p.run().waitUntilFinish();
    // Every records request filtered on the form; big forms were planned (DESC) and cut into
    // bounded ranges.
    List<ImednetEmulator.RecordedRequest> records =
        emulator.requests().stream()
            .filter(r -> r.path().endsWith("/records"))
            .collect(Collectors.toList());
    for (ImednetEmulator.RecordedRequest r : records) {
      assertTrue(r.param("filter").startsWith("formId=="), r.toString());
    }
    assertTrue(records.stream().anyMatch(r -> "recordId,DESC".equals(r.param("sort"))));
    assertTrue(records.stream().anyMatch(r -> r.param("filter").contains(";recordId<=")));
  }

  @Test
  void eachFormCostsItsPagesAndNoPlanningRequestUnlessItIsCutIntoRanges() throws Exception {
    start(FaultPlan.none());
    Pipeline p = pipeline();
    PCollection<RecordPage> pages =
        p.apply(
            ReadStudyRecords.create()
                .withApiConfig(config(7))
                .withStudies(List.of("CARDIO01"))
                .withRecordsPerRange(1000));
    PAssert.that(recordKeys(pages)).containsInAnyOrder(expected("CARDIO01", Set.of()));
    p.run().waitUntilFinish();
    // Keyset pages of 7 until a short one: a form of n records costs n / 7 + 1 requests, the first
    // of which also gives the API's count; with fewer than 1000 records none is cut into ranges,
    // so no form asks for its last recordId.
    Map<Long, Long> recordsPerForm = new TreeMap<>();
    for (String k : expected("CARDIO01", Set.of())) {
      recordsPerForm.merge(formIdOf(k), 1L, Long::sum);
    }
    Map<String, Long> expectedRequests = new TreeMap<>();
    for (JsonNode f : JSON.readTree(SampleStudies.root().resolve("CARDIO01/forms.json").toFile())) {
      long n = recordsPerForm.getOrDefault(f.get("formId").asLong(), 0L);
      expectedRequests.put("formId==" + f.get("formId").asLong(), n / 7 + 1);
    }
    Map<String, Long> requests = new TreeMap<>();
    for (ImednetEmulator.RecordedRequest r : emulator.requests()) {
      if (r.path().endsWith("/records")) {
        assertEquals("recordId,ASC", r.param("sort"), r.toString());
        requests.merge(r.param("filter").split(";")[0], 1L, Long::sum);
      }
    }
    assertEquals(expectedRequests, requests);
  }

  private static long formIdOf(String studyFormRecord) throws IOException {
    String formKey = studyFormRecord.split("/")[1];
    for (JsonNode f : JSON.readTree(SampleStudies.root().resolve("CARDIO01/forms.json").toFile())) {
      if (f.get("formKey").asText().equals(formKey)) {
        return f.get("formId").asLong();
      }
    }
    throw new AssertionError(formKey);
  }

  @Test
  void withFormsByKeyAndByNumericId() throws Exception {
    start(FaultPlan.none());
    Pipeline p = pipeline();
    PCollection<RecordPage> pages =
        p.apply(
            ReadStudyRecords.create()
                .withApiConfig(config(50))
                .withStudies(List.of("CARDIO01"))
                .withForms(Set.of("VS", "3103")));
    PAssert.that(recordKeys(pages)).containsInAnyOrder(expected("CARDIO01", Set.of(3101L, 3103L)));
    p.run().waitUntilFinish();
  }

  @Test
  void withVariablesKeepsOnlyFormsThatHaveThemAndOnlyThoseColumns() throws Exception {
    start(FaultPlan.none());
    Pipeline p = pipeline();
    PCollection<RecordPage> pages =
        p.apply(
            ReadStudyRecords.create()
                .withApiConfig(config(500))
                .withStudies(List.of("CARDIO01"))
                .withVariables(Set.of("SYSBP")));
    PAssert.that(recordKeys(pages)).containsInAnyOrder(expected("CARDIO01", Set.of(3101L)));
    PAssert.that(
            pages.apply(
                MapElements.into(TypeDescriptors.strings())
                    .via(
                        (RecordPage page) ->
                            page.form().variables().stream()
                                .map(VariableInfo::variableName)
                                .collect(Collectors.joining(",")))))
        .satisfies(
            names -> {
              names.forEach(n -> assertEquals("SYSBP", n));
              return null;
            });
    p.run().waitUntilFinish();
  }

  @Test
  void readAllTakesStudyKeysFromAPCollection() throws Exception {
    start(FaultPlan.none());
    Pipeline p = pipeline();
    PCollection<RecordPage> pages =
        p.apply(Create.of(List.of("ONCO-22")).withCoder(StringUtf8Coder.of()))
            .apply(ReadStudyRecords.readAll().withApiConfig(config(13)));
    PAssert.that(recordKeys(pages)).containsInAnyOrder(expected("ONCO-22", Set.of()));
    p.run().waitUntilFinish();
  }

  @Test
  void withAllStudiesReadsEveryVisibleStudy() throws Exception {
    start(FaultPlan.none());
    Pipeline p = pipeline();
    PCollection<RecordPage> pages =
        p.apply(ReadStudyRecords.create().withApiConfig(config(100)).withAllStudies());
    List<String> all = new ArrayList<>();
    for (String study : SampleStudies.keys()) {
      all.addAll(expected(study, Set.of()));
    }
    PAssert.that(recordKeys(pages)).containsInAnyOrder(all);
    p.run().waitUntilFinish();
  }

  @Test
  void transientFaultsAreRetriedAndTheOutputIsExact() throws Exception {
    start(
        FaultPlan.builder()
            .onResource("records")
            .nth(2)
            .fault(Fault.tooManyRequests(Duration.ofSeconds(3)))
            .onResource("records")
            .nth(4)
            .fault(Fault.status(500))
            .onResource("records")
            .nth(6)
            .fault(Fault.status(503))
            .onResource("records")
            .nth(8)
            .fault(Fault.truncatedBody())
            .onResource("records")
            .nth(10)
            .fault(Fault.missingTotalPages())
            .onResource("records")
            .nth(12)
            .fault(Fault.negativeTotalPages())
            .onResource("forms")
            .nth(1)
            .fault(Fault.status(502))
            .build());
    Pipeline p = pipeline();
    // Faults hit the Nth request, and requests run concurrently (forms, ranges), so which logical
    // request gets which fault depends on timing. A retry budget above the 7 injected faults makes
    // the outcome exact whichever request collects them; each fault still costs one retry.
    ApiConfig tolerant = config(9).toBuilder().maxRetries(8).build();
    PCollection<RecordPage> pages =
        p.apply(
            ReadStudyRecords.create()
                .withApiConfig(tolerant)
                .withStudies(List.of("CARDIO01"))
                .withApiFactory(RECORDING));
    PAssert.that(recordKeys(pages)).containsInAnyOrder(expected("CARDIO01", Set.of()));
    p.run().waitUntilFinish();

    Map<Integer, Long> statuses =
        emulator.requests().stream()
            .collect(
                Collectors.groupingBy(
                    ImednetEmulator.RecordedRequest::status, Collectors.counting()));
    assertEquals(1L, statuses.get(429), statuses.toString());
    assertEquals(1L, statuses.get(500), statuses.toString());
    assertEquals(1L, statuses.get(503), statuses.toString());
    assertEquals(1L, statuses.get(502), statuses.toString());
    assertEquals(7, SLEEPS.size(), SLEEPS.toString());
    assertTrue(SLEEPS.contains(Duration.ofSeconds(3)), "Retry-After honoured: " + SLEEPS);
  }

  @Test
  void recordsAddedChangedAndDeletedDuringTheExportArePresentExactlyOnce() throws Exception {
    FaultPlan.Builder plan = FaultPlan.builder();
    List<ObjectNode> vs = new ArrayList<>();
    for (JsonNode r :
        JSON.readTree(SampleStudies.root().resolve("CARDIO01/records.json").toFile())) {
      if (r.get("formId").asLong() == 3101) {
        vs.add((ObjectNode) r);
      }
    }
    ObjectNode behind = vs.get(1).deepCopy();
    behind.with("recordData").put("SYSBP", "999");
    ObjectNode ahead = vs.get(60).deepCopy();
    ahead.with("recordData").put("SYSBP", "777");
    ObjectNode softDeleted = vs.get(61).deepCopy();
    softDeleted.put("deleted", true);
    ObjectNode added = vs.get(0).deepCopy();
    added.put("recordId", 990001L).put("recordOid", "REC-990001");
    FolderStudyData[] data = new FolderStudyData[1];
    // The 3rd records request is the second keyset page (the 1st plans the range).
    plan.onResource("records")
        .nth(3)
        .fault(
            Fault.run(
                () -> {
                  data[0].replaceRecord("CARDIO01", behind);
                  data[0].replaceRecord("CARDIO01", ahead);
                  data[0].replaceRecord("CARDIO01", softDeleted);
                  data[0].addRecord("CARDIO01", added);
                }));
    data[0] = start(plan.build());

    Pipeline p = pipeline();
    PCollection<RecordPage> pages =
        p.apply(
            ReadStudyRecords.create()
                .withApiConfig(config(7))
                .withStudies(List.of("CARDIO01"))
                .withForms(Set.of("VS")));
    List<String> want = new ArrayList<>(expected("CARDIO01", Set.of(3101L)));
    want.add("CARDIO01/VS/990001");
    PAssert.that(recordKeys(pages)).containsInAnyOrder(want);
    long aheadId = ahead.get("recordId").asLong();
    long deletedId = softDeleted.get("recordId").asLong();
    long behindId = behind.get("recordId").asLong();
    PAssert.that(pages)
        .satisfies(
            ps -> {
              for (RecordPage page : ps) {
                for (JsonNode r : page.records()) {
                  long id = r.get("recordId").asLong();
                  if (id == aheadId) {
                    assertEquals("777", r.get("recordData").get("SYSBP").asText());
                  } else if (id == deletedId) {
                    assertTrue(r.get("deleted").asBoolean());
                  } else if (id == behindId) {
                    assertFalse("999".equals(r.get("recordData").get("SYSBP").asText()));
                  }
                }
              }
              return null;
            });
    p.run().waitUntilFinish();
  }

  /** A server that ignores some terms of the records filter; keeps the others. */
  static final class IgnoringFilterTerm implements ImednetApi {
    private final ImednetApi delegate;
    private final String termRegex;

    IgnoringFilterTerm(ImednetApi delegate, String termRegex) {
      this.delegate = delegate;
      this.termRegex = termRegex;
    }

    @Override
    public ApiPage getPage(String studyKey, String resource, PageQuery q) throws IOException {
      if ("records".equals(resource) && q.filter() != null) {
        String f = q.filter().replaceAll(termRegex, "").replaceAll("^;|;$", "").replace(";;", ";");
        q = new PageQuery(q.page(), q.size(), q.sort(), f.isEmpty() ? null : f, null);
      }
      return delegate.getPage(studyKey, resource, q);
    }

    @Override
    public Iterator<JsonNode> listAll(String studyKey, String resource, String filter)
        throws IOException {
      return delegate.listAll(studyKey, resource, filter);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  private static long counter(PipelineResult result, String namespace, String name) {
    long sum = 0;
    for (MetricResult<Long> c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(namespace, name))
                    .build())
            .getCounters()) {
      sum += c.getCommitted();
    }
    return sum;
  }

  @Test
  void recordsOfOtherFormsFromAServerIgnoringFormIdAreNotExportedAndAreCounted() throws Exception {
    start(FaultPlan.none());
    Pipeline p = pipeline();
    PCollection<RecordPage> pages =
        p.apply(
            ReadStudyRecords.create()
                .withApiConfig(config(50))
                .withStudies(List.of("CARDIO01"))
                .withForms(Set.of("VS"))
                .withApiFactory(
                    c -> new IgnoringFilterTerm(HttpImednetClient.create(c), "formId==\\d+")));
    PAssert.that(recordKeys(pages)).containsInAnyOrder(expected("CARDIO01", Set.of(3101L)));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    String ns = ExportMetrics.NAMESPACE;
    assertEquals(191 - 75, counter(result, "org.imednet.export.read", "recordsOfOtherForm"));
    assertEquals(
        75,
        counter(
            result,
            ns,
            ExportMetrics.name(ExportMetrics.Metric.RECORDS_FETCHED, "CARDIO01", "VS")));
    assertEquals(
        4,
        counter(
            result, ns, ExportMetrics.name(ExportMetrics.Metric.PAGES_FETCHED, "CARDIO01", "VS")));
    // What the server claimed for the form, which here is the whole study.
    assertEquals(
        191,
        counter(
            result,
            ns,
            ExportMetrics.name(ExportMetrics.Metric.API_TOTAL_ELEMENTS, "CARDIO01", "VS")));
  }

  @Test
  void aServerIgnoringTheKeysetBoundFailsInsteadOfRepeatingRecords() throws Exception {
    start(FaultPlan.none());
    Pipeline p = pipeline();
    p.apply(
        ReadStudyRecords.create()
            .withApiConfig(config(10))
            .withStudies(List.of("CARDIO01"))
            .withForms(Set.of("VS"))
            .withApiFactory(
                c -> new IgnoringFilterTerm(HttpImednetClient.create(c), "recordId>\\d+")));
    Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    List<Long> vs =
        expected("CARDIO01", Set.of(3101L)).stream()
            .map(k -> Long.parseLong(k.substring(k.lastIndexOf('/') + 1)))
            .sorted()
            .collect(Collectors.toList());
    String chain = causeChain(e);
    assertTrue(
        chain.contains(
            "Study 'CARDIO01' form VS, records formId==3101;recordId>"
                + vs.get(9)
                + " page 1: recordId "
                + vs.get(0)
                + " does not ascend past "
                + vs.get(9)),
        chain);
  }

  @Test
  void wrongCredentialsFailAtOnceWithAdviceAndNoKeys() {
    start(FaultPlan.none());
    ApiConfig wrong = config(500).toBuilder().securityKey(Secret.of("wrong-sec-key-123")).build();
    Pipeline p = pipeline();
    p.apply(ReadStudyRecords.create().withApiConfig(wrong).withStudies(List.of("CARDIO01")));
    Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    String chain = causeChain(e);
    assertTrue(chain.contains("study 'CARDIO01' forms"), chain);
    assertTrue(chain.contains("HTTP 401"), chain);
    assertTrue(chain.contains("check IMEDNET_API_KEY / IMEDNET_SECURITY_KEY"), chain);
    assertFalse(chain.contains("wrong-sec-key-123"), chain);
    assertFalse(chain.contains(API_KEY), chain);
    assertEquals(1, emulator.requests().size());
    assertEquals(401, emulator.requests().get(0).status());
  }

  @Test
  void unknownStudyFailsNamingIt() {
    start(FaultPlan.none());
    Pipeline p = pipeline();
    p.apply(ReadStudyRecords.create().withApiConfig(config(500)).withStudies(List.of("NOPE")));
    Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    String chain = causeChain(e);
    assertTrue(
        chain.contains("Study 'NOPE' is not among the studies this API key can see ("), chain);
    boolean selectionError = false;
    for (Throwable c = e; c != null; c = c.getCause()) {
      selectionError |= c instanceof SelectionException;
    }
    assertTrue(selectionError, chain);
    // The forms list is a 404; the studies list then tells a mistyped key from a server fault.
    assertEquals(2, emulator.requests().size(), emulator.requests().toString());
    assertEquals(404, emulator.requests().get(0).status());
    assertEquals(200, emulator.requests().get(1).status());
  }

  @Test
  void permanent500FailsNamingStudyFormAndPage() {
    start(
        FaultPlan.builder()
            .onPath(".*/records")
            .nth(1)
            .times(Long.MAX_VALUE)
            .fault(Fault.status(500))
            .build());
    Pipeline p = pipeline();
    p.apply(
        ReadStudyRecords.create()
            .withApiConfig(config(500))
            .withStudies(List.of("CARDIO01"))
            .withForms(Set.of("DM"))
            .withApiFactory(RECORDING));
    Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    String chain = causeChain(e);
    assertTrue(
        chain.contains(
            "iMednet API GET study 'CARDIO01' records (page 0, size 500, sort recordId,ASC,"
                + " filter formId==3100) failed after 4 attempts; last error: HTTP 500"),
        chain);
    assertFalse(chain.contains(API_KEY) || chain.contains(SECURITY_KEY), chain);
    long failed = emulator.requests().stream().filter(r -> r.status() == 500).count();
    assertTrue(failed >= 4 && failed % 4 == 0, "whole attempts per bundle try: " + failed);
  }

  @Test
  void displayDataShowsTheSelectionButNeverTheKeys() {
    ApiConfig c =
        ApiConfig.builder()
            .baseUrl("http://127.0.0.1:9/api")
            .apiKey(Secret.of(API_KEY))
            .securityKey(Secret.of(SECURITY_KEY))
            .build();
    DisplayData data =
        DisplayData.from(
            ReadStudyRecords.create()
                .withApiConfig(c)
                .withStudies(List.of("CARDIO01"))
                .withForms(Set.of("VS", "3103"))
                .withRecordsPerRange(1234));
    Map<String, String> items = new HashMap<>();
    data.items().forEach(i -> items.put(i.getKey(), String.valueOf(i.getValue())));
    assertEquals("http://127.0.0.1:9", items.get("baseUrl"));
    assertEquals("[3103, VS]", items.get("forms"));
    assertEquals("all", items.get("variables"));
    assertEquals("1234", items.get("recordsPerRange"));
    assertEquals("[CARDIO01]", items.get("studies"));
    assertFalse(data.toString().contains(API_KEY) || data.toString().contains(SECURITY_KEY));
  }

  @Test
  void validationNamesTheMissingCall() {
    Pipeline p = pipeline();
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> p.apply(ReadStudyRecords.create().withStudies(List.of("S"))));
    assertEquals("withApiConfig() is required", e.getMessage());
    ApiConfig c =
        ApiConfig.builder()
            .baseUrl("http://127.0.0.1:9")
            .apiKey(Secret.of("a"))
            .securityKey(Secret.of("b"))
            .build();
    e =
        assertThrows(
            IllegalStateException.class,
            () -> pipeline().apply(ReadStudyRecords.create().withApiConfig(c)));
    assertEquals("withStudies() or withAllStudies() is required", e.getMessage());
    assertEquals(
        "recordsPerRange must be >= 1, was 0",
        assertThrows(
                IllegalArgumentException.class,
                () -> ReadStudyRecords.create().withRecordsPerRange(0))
            .getMessage());
    assertEquals(
        "study key S is listed twice",
        assertThrows(
                IllegalArgumentException.class,
                () -> ReadStudyRecords.create().withStudies(List.of("S", "S")))
            .getMessage());
  }
}
