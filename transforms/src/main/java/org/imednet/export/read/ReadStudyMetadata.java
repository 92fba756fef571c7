package org.imednet.export.read;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.function.Predicate;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.MetricsContainer;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.ApiPage;
import org.imednet.export.api.ImednetApi;
import org.imednet.export.api.ImednetApiFactory;
import org.imednet.export.flatten.FormSchema;
import org.imednet.export.flatten.JsonValueWriter;
import org.imednet.export.model.FormContext;
import org.imednet.export.model.FormInfo;
import org.imednet.export.model.JsonItems;
import org.imednet.export.model.VariableInfo;
import org.imednet.export.read.ReadStudyMetadataTables.Table;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.RowBatchCoder;
import org.imednet.export.rows.TableSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the study metadata tables {@code forms, variables, sites, subjects, intervals, visits,
 * record_revisions} ({@link ReadStudyMetadataTables}) and the {@code columns} table, which maps
 * each form-table column to its variable ({@link FormSchema#columnsRows()}).
 *
 * <pre>{@code
 * PCollection<RowBatch> metadata = pipeline.apply(
 *     ReadStudyMetadata.create()
 *         .withApiConfig(ApiConfig.fromEnvironment(System.getenv()))
 *         .withStudies(List.of("CARDIO01"))
 *         .withUseLabels(true));
 * // or, for study keys computed in the pipeline:
 * PCollection<RowBatch> metadata = studyKeys.apply(ReadStudyMetadata.create().withApiConfig(c).readAll());
 * }</pre>
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>Bounded output: batches of at most {@link #withBatchSize batchSize} rows of one table of
 *       one study, in API order (the client pages each resource in a stable sort). An empty
 *       resource gives no batch.
 *   <li>Studies are read in parallel (a {@code Reshuffle} follows the study keys); the resources of
 *       one study are read one after the other by one worker: they are small.
 *   <li>{@code withForms}/{@code withVariables} limit the {@code forms}, {@code variables} and
 *       {@code columns} tables to the exported forms and variables, exactly as {@code
 *       ReadStudyRecords} selects them (forms by key or numeric id, variables by exact name); the
 *       other tables are not filtered. With a variable selection a form without any selected
 *       variable is left out, and a form or variable listed without {@code formId}, {@code
 *       formKey}, {@code variableId} or {@code variableName} fails the read, as in {@code
 *       ReadStudyRecords}. The {@code columns} table uses the same naming rules as {@code
 *       FlattenRecords} with the same {@code withUseLabels} setting; each form's variables are
 *       taken in API order ({@code sequence}, then {@code variableId}).
 *   <li>Retries are the API client's (429, 5xx, I/O); any other failure fails the bundle with a
 *       message naming the study and resource. Reading is idempotent.
 * </ul>
 */
public final class ReadStudyMetadata extends PTransform<PBegin, PCollection<RowBatch>> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ReadStudyMetadata.class);

  /** The default and largest number of rows per batch. */
  public static final int DEFAULT_BATCH_SIZE = 1000;

  private final @Nullable ApiConfig apiConfig;
  private final ImednetApiFactory apiFactory;
  private final @Nullable List<String> studies;
  private final Set<String> forms;
  private final Set<String> variables;
  private final boolean useLabels;
  private final int batchSize;
  private final Map<String, Map<String, String>> modifiedSince;
  private final @Nullable String modifiedBefore;

  private ReadStudyMetadata(
      @Nullable ApiConfig apiConfig,
      ImednetApiFactory apiFactory,
      @Nullable List<String> studies,
      Set<String> forms,
      Set<String> variables,
      boolean useLabels,
      int batchSize,
      Map<String, Map<String, String>> modifiedSince,
      @Nullable String modifiedBefore) {
    this.apiConfig = apiConfig;
    this.apiFactory = apiFactory;
    this.studies = studies;
    this.forms = forms;
    this.variables = variables;
    this.useLabels = useLabels;
    this.batchSize = batchSize;
    this.modifiedSince = modifiedSince;
    this.modifiedBefore = modifiedBefore;
  }

  /** All forms and variables, variable names as column names, batches of 1000 rows. */
  public static ReadStudyMetadata create() {
    return new ReadStudyMetadata(
        null,
        ImednetApiFactory.HTTP,
        null,
        Set.of(),
        Set.of(),
        false,
        DEFAULT_BATCH_SIZE,
        Map.of(),
        null);
  }

  /** Required: where the API is and how to authenticate. */
  public ReadStudyMetadata withApiConfig(ApiConfig config) {
    requireNonNull(config, "withApiConfig() needs a config");
    return new ReadStudyMetadata(
        config,
        apiFactory,
        studies,
        forms,
        variables,
        useLabels,
        batchSize,
        modifiedSince,
        modifiedBefore);
  }

  /**
   * The client each worker creates from the config in {@code @Setup}, e.g. a fake in tests. Default
   * {@link ImednetApiFactory#HTTP}.
   */
  public ReadStudyMetadata withApiFactory(ImednetApiFactory factory) {
    requireNonNull(factory, "withApiFactory() needs a factory");
    return new ReadStudyMetadata(
        apiConfig,
        factory,
        studies,
        forms,
        variables,
        useLabels,
        batchSize,
        modifiedSince,
        modifiedBefore);
  }

  /** The studies to read when applied to the pipeline; required unless {@link #readAll} is used. */
  public ReadStudyMetadata withStudies(List<String> studyKeys) {
    requireNonNull(studyKeys, "studyKeys");
    if (studyKeys.isEmpty()) {
      throw new IllegalArgumentException("withStudies() needs at least one study key");
    }
    for (String key : studyKeys) {
      if (key == null || key.isBlank()) {
        throw new IllegalArgumentException("withStudies() got a blank study key: " + studyKeys);
      }
    }
    return new ReadStudyMetadata(
        apiConfig,
        apiFactory,
        List.copyOf(new LinkedHashSet<>(studyKeys)),
        forms,
        variables,
        useLabels,
        batchSize,
        modifiedSince,
        modifiedBefore);
  }

  /** Form keys or numeric form ids to describe; empty (the default) means all forms. */
  public ReadStudyMetadata withForms(Collection<String> formKeysOrIds) {
    return new ReadStudyMetadata(
        apiConfig,
        apiFactory,
        studies,
        Set.copyOf(formKeysOrIds),
        variables,
        useLabels,
        batchSize,
        modifiedSince,
        modifiedBefore);
  }

  /** Variable names (exact) to describe; empty (the default) means all variables. */
  public ReadStudyMetadata withVariables(Collection<String> variableNames) {
    return new ReadStudyMetadata(
        apiConfig,
        apiFactory,
        studies,
        forms,
        Set.copyOf(variableNames),
        useLabels,
        batchSize,
        modifiedSince,
        modifiedBefore);
  }

  /**
   * Column names in the {@code columns} table from labels (default false), as in FlattenRecords.
   */
  public ReadStudyMetadata withUseLabels(boolean useLabels) {
    return new ReadStudyMetadata(
        apiConfig,
        apiFactory,
        studies,
        forms,
        variables,
        useLabels,
        batchSize,
        modifiedSince,
        modifiedBefore);
  }

  /** Rows per batch, 1..1000 (default 1000). */
  public ReadStudyMetadata withBatchSize(int batchSize) {
    if (batchSize < 1 || batchSize > DEFAULT_BATCH_SIZE) {
      throw new IllegalArgumentException("batchSize must be 1..1000, was " + batchSize);
    }
    return new ReadStudyMetadata(
        apiConfig,
        apiFactory,
        studies,
        forms,
        variables,
        useLabels,
        batchSize,
        modifiedSince,
        modifiedBefore);
  }

  /**
   * An incremental read: for each study in {@code lowerBounds} (study key to an API timestamp such
   * as {@code 2026-01-01T00:00:00Z}), the windowed tables ({@link
   * ReadStudyMetadataTables#windowField}: subjects, visits, record revisions) hold only the items
   * dated at or after it; every other table, and every other study, is read whole.
   */
  public ReadStudyMetadata withModifiedSince(Map<String, String> lowerBounds) {
    Map<String, Map<String, String>> perTable = new java.util.TreeMap<>();
    lowerBounds.forEach(
        (study, bound) -> {
          Map<String, String> tables = new java.util.TreeMap<>();
          ReadStudyMetadataTables.windowedTables().forEach(t -> tables.put(t, bound));
          perTable.put(study, tables);
        });
    return withModifiedBetween(perTable, null);
  }

  /**
   * As {@link #withModifiedSince}, with a lower bound per windowed table ({@code lowerBounds}:
   * study key to table key to bound; a windowed table without one is read whole) and an exclusive
   * upper bound for every one of them (a backfill shard), or none if null.
   */
  public ReadStudyMetadata withModifiedBetween(
      Map<String, ? extends Map<String, String>> lowerBounds, @Nullable String upperBound) {
    requireNonNull(lowerBounds, "lowerBounds");
    Map<String, Map<String, String>> copy = new java.util.TreeMap<>();
    lowerBounds.forEach((study, tables) -> copy.put(study, Map.copyOf(tables)));
    return new ReadStudyMetadata(
        apiConfig,
        apiFactory,
        studies,
        forms,
        variables,
        useLabels,
        batchSize,
        Map.copyOf(copy),
        upperBound);
  }

  /** The same read for the study keys of a {@code PCollection<String>}. */
  public PTransform<PCollection<String>, PCollection<RowBatch>> readAll() {
    return new ReadAll(this);
  }

  @Override
  public PCollection<RowBatch> expand(PBegin input) {
    if (studies == null) {
      throw new IllegalArgumentException(
          "withStudies() is required (or apply readAll() to a PCollection of study keys)");
    }
    return input
        .apply("StudyKeys", Create.of(studies).withCoder(StringUtf8Coder.of()))
        .apply("ReadAll", readAll());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .addIfNotNull(DisplayData.item("baseUrl", apiConfig == null ? null : apiConfig.baseUrl()))
        .add(DisplayData.item("useLabels", useLabels))
        .add(DisplayData.item("batchSize", batchSize));
    if (studies != null) {
      builder.add(DisplayData.item("studies", String.join(",", studies)));
    }
  }

  private static final class ReadAll
      extends PTransform<PCollection<String>, PCollection<RowBatch>> {
    private static final long serialVersionUID = 1L;
    private final ReadStudyMetadata spec;

    ReadAll(ReadStudyMetadata spec) {
      this.spec = spec;
    }

    @Override
    public PCollection<RowBatch> expand(PCollection<String> studyKeys) {
      if (spec.apiConfig == null) {
        throw new IllegalArgumentException("withApiConfig() is required");
      }
      return studyKeys
          .apply("SpreadStudies", Reshuffle.viaRandomKey())
          .apply(
              "ReadMetadata",
              ParDo.of(
                  new ReadStudyMetadataFn(
                      spec.apiConfig,
                      spec.apiFactory,
                      spec.forms,
                      spec.variables,
                      spec.useLabels,
                      spec.batchSize,
                      new java.util.TreeMap<>(spec.modifiedSince),
                      spec.modifiedBefore)))
          .setCoder(RowBatchCoder.of());
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      spec.populateDisplayData(builder);
    }
  }

  /** Reads every metadata resource of one study and emits its tables in batches. */
  static final class ReadStudyMetadataFn extends DoFn<String, RowBatch> {
    private static final long serialVersionUID = 1L;

    private final ApiConfig apiConfig;
    private final ImednetApiFactory apiFactory;
    private final Set<String> forms;
    private final Set<String> variables;
    private final boolean useLabels;
    private final int batchSize;
    private final java.util.TreeMap<String, Map<String, String>> modifiedSince;
    private final @Nullable String modifiedBefore;
    private transient @Nullable ImednetApi api;

    ReadStudyMetadataFn(
        ApiConfig apiConfig,
        ImednetApiFactory apiFactory,
        Set<String> forms,
        Set<String> variables,
        boolean useLabels,
        int batchSize,
        java.util.TreeMap<String, Map<String, String>> modifiedSince,
        @Nullable String modifiedBefore) {
      this.apiConfig = apiConfig;
      this.apiFactory = apiFactory;
      this.forms = forms;
      this.variables = variables;
      this.useLabels = useLabels;
      this.batchSize = batchSize;
      this.modifiedSince = modifiedSince;
      this.modifiedBefore = modifiedBefore;
    }

    @Setup
    public void setup() {
      api = apiFactory.create(apiConfig);
    }

    @Teardown
    public void teardown() {
      if (api != null) {
        api.close();
        api = null;
      }
    }

    @ProcessElement
    public void process(@Element String studyKey, OutputReceiver<RowBatch> out) throws IOException {
      // Forms and variables are small and needed whole for the columns table. They are selected
      // by the same code as ReadStudyRecords, so the columns table describes the exported tables.
      List<JsonNode> formItems = listAll(studyKey, ReadStudyMetadataTables.FORMS);
      List<JsonNode> variableItems = listAll(studyKey, ReadStudyMetadataTables.VARIABLES);
      List<FormInfo> formInfos = new ArrayList<>(formItems.size());
      for (JsonNode f : formItems) {
        formInfos.add(FormSelection.parseForm(studyKey, f));
      }
      List<VariableInfo> variableInfos = new ArrayList<>(variableItems.size());
      for (JsonNode v : variableItems) {
        variableInfos.add(FormSelection.parseVariable(studyKey, v));
      }
      List<FormContext> contexts =
          new FormSelection(forms, variables, false).select(studyKey, formInfos, variableInfos);
      if (!forms.isEmpty() || !variables.isEmpty()) {
        Set<Long> selectedForms = new HashSet<>();
        Set<Long> selectedVariables = new HashSet<>();
        for (FormContext c : contexts) {
          selectedForms.add(c.form().formId());
          c.variables().forEach(v -> selectedVariables.add(v.variableId()));
        }
        formItems = filter(formItems, formInfos, f -> selectedForms.contains(f.formId()));
        variableItems =
            filter(variableItems, variableInfos, v -> selectedVariables.contains(v.variableId()));
      }
      long rows = 0;
      rows += emit(studyKey, ReadStudyMetadataTables.FORMS, formItems.iterator(), out);
      rows += emit(studyKey, ReadStudyMetadataTables.VARIABLES, variableItems.iterator(), out);
      rows += emitColumns(studyKey, contexts, out);
      List<Table> rest = new ArrayList<>();
      for (Table table : ReadStudyMetadataTables.ALL) {
        if (table != ReadStudyMetadataTables.FORMS && table != ReadStudyMetadataTables.VARIABLES) {
          rest.add(table);
        }
      }
      rows += readConcurrently(studyKey, rest, out);
      LOG.info("Read {} metadata rows of study {}", rows, studyKey);
    }

    /**
     * Pages of one list arrive one after another, so with API latency the tables are read side by
     * side (the per-JVM request gate still bounds requests). Rows come back through a bounded queue
     * and are emitted on this thread; the first failure cancels the others and fails the element.
     */
    private long readConcurrently(String studyKey, List<Table> tables, OutputReceiver<RowBatch> out)
        throws IOException {
      BlockingQueue<Object> queue = new ArrayBlockingQueue<>(4 * tables.size());
      MetricsContainer metrics = MetricsEnvironment.getCurrentContainer();
      ExecutorService pool = ReaderThreads.daemonPool(tables.size(), "imednet-metadata-reader");
      ExecutorService prefetch =
          ReaderThreads.daemonPool(apiConfig.maxConcurrentRequests(), "imednet-page-ahead");
      try {
        for (Table table : tables) {
          pool.execute(
              ReaderThreads.inMetricsScope(
                  metrics,
                  () -> {
                    try {
                      String since =
                          modifiedSince.getOrDefault(studyKey, Map.of()).get(table.tableKey());
                      String field = ReadStudyMetadataTables.windowField(table.tableKey());
                      Iterator<ApiPage> pages =
                          PagesAhead.pages(
                              requireNonNull(api, "api"),
                              studyKey,
                              table.resource(),
                              apiConfig.pageSize(),
                              windowFilter(field, since, modifiedBefore),
                              inScope(prefetch, metrics),
                              apiConfig.maxConcurrentRequests());
                      long n = emitPages(studyKey, table, pages, queue::put);
                      queue.put(n);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    } catch (Exception e) {
                      try {
                        // The reading thread always drains the queue, so this put completes.
                        queue.put(e);
                      } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                      }
                    }
                  }));
        }
        long rows = 0;
        int done = 0;
        while (done < tables.size()) {
          Object item = queue.take();
          if (item instanceof RowBatch) {
            out.output((RowBatch) item);
          } else if (item instanceof Long) {
            rows += (Long) item;
            done++;
          } else if (item instanceof IOException) {
            throw (IOException) item;
          } else {
            throw new IOException("Reading metadata of study " + studyKey, (Exception) item);
          }
        }
        return rows;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("Interrupted reading metadata of study " + studyKey, e);
      } finally {
        pool.shutdownNow();
        prefetch.shutdownNow();
      }
    }

    /** {@code field>=since[;field<before]}, or null (read whole) without a field or a bound. */
    private static @Nullable String windowFilter(
        @Nullable String field, @Nullable String since, @Nullable String before) {
      if (field == null || since == null) {
        return null;
      }
      return field + ">=" + since + (before == null ? "" : ";" + field + "<" + before);
    }

    /** Runs each task of {@code pool} inside {@code metrics}, where the client counts retries. */
    private static ExecutorService inScope(ExecutorService pool, MetricsContainer metrics) {
      return new java.util.concurrent.AbstractExecutorService() {
        @Override
        public void execute(Runnable task) {
          pool.execute(ReaderThreads.inMetricsScope(metrics, task));
        }

        @Override
        public void shutdown() {
          pool.shutdown();
        }

        @Override
        public java.util.List<Runnable> shutdownNow() {
          return pool.shutdownNow();
        }

        @Override
        public boolean isShutdown() {
          return pool.isShutdown();
        }

        @Override
        public boolean isTerminated() {
          return pool.isTerminated();
        }

        @Override
        public boolean awaitTermination(long timeout, java.util.concurrent.TimeUnit unit)
            throws InterruptedException {
          return pool.awaitTermination(timeout, unit);
        }
      };
    }

    /** Where {@link #emit} sends a full batch. */
    private interface BatchSink {
      void accept(RowBatch batch) throws InterruptedException;
    }

    private static <T> List<JsonNode> filter(
        List<JsonNode> items, List<T> parsed, Predicate<T> keep) {
      List<JsonNode> kept = new ArrayList<>();
      for (int i = 0; i < items.size(); i++) {
        if (keep.test(parsed.get(i))) {
          kept.add(items.get(i));
        }
      }
      return kept;
    }

    private long emit(
        String studyKey, Table table, Iterator<JsonNode> items, OutputReceiver<RowBatch> out) {
      try {
        return emit(studyKey, table, items, (BatchSink) out::output);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    private long emit(String studyKey, Table table, Iterator<JsonNode> items, BatchSink out)
        throws InterruptedException {
      TableSchema schema = table.schema(studyKey);
      List<Object[]> batch = new ArrayList<>();
      long n = 0;
      while (items.hasNext()) {
        batch.add(table.row(studyKey, items.next()));
        n++;
        if (batch.size() == batchSize) {
          out.accept(RowBatch.of(schema, batch));
          batch = new ArrayList<>();
        }
      }
      if (!batch.isEmpty()) {
        out.accept(RowBatch.of(schema, batch));
      }
      return n;
    }

    /** Rows of the items of {@code pages}, straight from their bytes where they read plainly. */
    private long emitPages(String studyKey, Table table, Iterator<ApiPage> pages, BatchSink out)
        throws InterruptedException {
      TableSchema schema = table.schema(studyKey);
      JsonValueWriter values = new JsonValueWriter();
      RowBatch.Builder batch = RowBatch.builder(schema, batchSize);
      long n = 0;
      while (pages.hasNext()) {
        JsonItems items = pages.next().items();
        for (int i = 0; i < items.size(); i++) {
          table.addRow(studyKey, items, i, values, batch);
          n++;
          if (batch.size() == batchSize) {
            out.accept(batch.build());
            batch = RowBatch.builder(schema, batchSize);
          }
        }
      }
      if (batch.size() > 0) {
        out.accept(batch.build());
      }
      return n;
    }

    private long emitColumns(
        String studyKey, List<FormContext> contexts, OutputReceiver<RowBatch> out) {
      TableSchema schema = FormSchema.columnsTable(studyKey);
      List<Object[]> batch = new ArrayList<>();
      long n = 0;
      for (FormContext context : contexts) {
        for (Object[] row : FormSchema.of(context, useLabels).columnsRows()) {
          batch.add(row);
          n++;
          if (batch.size() == batchSize) {
            out.output(RowBatch.of(schema, batch));
            batch = new ArrayList<>();
          }
        }
      }
      if (!batch.isEmpty()) {
        out.output(RowBatch.of(schema, batch));
      }
      return n;
    }

    private List<JsonNode> listAll(String studyKey, Table table) throws IOException {
      List<JsonNode> items = new ArrayList<>();
      iterate(studyKey, table).forEachRemaining(items::add);
      return items;
    }

    /** The client's errors already name the study, resource and page. */
    private Iterator<JsonNode> iterate(String studyKey, Table table) throws IOException {
      return requireNonNull(api, "api").listAll(studyKey, table.resource(), null);
    }
  }
}
