package org.imednet.export.read;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.HttpImednetClient;
import org.imednet.export.api.ImednetApi;
import org.imednet.export.flatten.FormSchema;
import org.imednet.export.flatten.ValueParser;
import org.imednet.export.model.FormContext;
import org.imednet.export.model.FormInfo;
import org.imednet.export.model.VariableInfo;
import org.imednet.export.read.ReadStudyMetadataTables.Table;
import org.imednet.export.rows.ColumnType;
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
 *       other tables are not filtered. The {@code columns} table uses the same naming rules as
 *       {@code FlattenRecords} with the same {@code withUseLabels} setting; each form's variables
 *       are taken in API order ({@code sequence}, then {@code variableId}).
 *   <li>Retries are the API client's (429, 5xx, I/O); any other failure fails the bundle with a
 *       message naming the study and resource. Reading is idempotent.
 * </ul>
 */
public final class ReadStudyMetadata extends PTransform<PBegin, PCollection<RowBatch>> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ReadStudyMetadata.class);

  /** The default and largest number of rows per batch. */
  public static final int DEFAULT_BATCH_SIZE = 1000;

  /** Creates the API client on each worker; lets tests use a fake or the local emulator. */
  @FunctionalInterface
  public interface ApiFactory extends Serializable {
    ImednetApi create();
  }

  private final @Nullable ApiFactory apiFactory;
  private final @Nullable String apiDescription;
  private final @Nullable List<String> studies;
  private final Set<String> forms;
  private final Set<String> variables;
  private final boolean useLabels;
  private final int batchSize;

  private ReadStudyMetadata(
      @Nullable ApiFactory apiFactory,
      @Nullable String apiDescription,
      @Nullable List<String> studies,
      Set<String> forms,
      Set<String> variables,
      boolean useLabels,
      int batchSize) {
    this.apiFactory = apiFactory;
    this.apiDescription = apiDescription;
    this.studies = studies;
    this.forms = forms;
    this.variables = variables;
    this.useLabels = useLabels;
    this.batchSize = batchSize;
  }

  /** All forms and variables, variable names as column names, batches of 1000 rows. */
  public static ReadStudyMetadata create() {
    return new ReadStudyMetadata(null, null, null, Set.of(), Set.of(), false, DEFAULT_BATCH_SIZE);
  }

  /**
   * Reads through {@link HttpImednetClient} with this configuration. Required (or {@link
   * #withApiFactory}).
   */
  public ReadStudyMetadata withApiConfig(ApiConfig config) {
    requireNonNull(config, "config");
    return new ReadStudyMetadata(
        new HttpApiFactory(config),
        config.baseUrl(),
        studies,
        forms,
        variables,
        useLabels,
        batchSize);
  }

  /** Reads through clients made by {@code factory}, e.g. a fake in tests. */
  public ReadStudyMetadata withApiFactory(ApiFactory factory) {
    requireNonNull(factory, "factory");
    return new ReadStudyMetadata(
        factory, factory.getClass().getName(), studies, forms, variables, useLabels, batchSize);
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
        apiFactory,
        apiDescription,
        List.copyOf(new LinkedHashSet<>(studyKeys)),
        forms,
        variables,
        useLabels,
        batchSize);
  }

  /** Form keys or numeric form ids to describe; empty (the default) means all forms. */
  public ReadStudyMetadata withForms(Collection<String> formKeysOrIds) {
    return new ReadStudyMetadata(
        apiFactory,
        apiDescription,
        studies,
        Set.copyOf(formKeysOrIds),
        variables,
        useLabels,
        batchSize);
  }

  /** Variable names (exact) to describe; empty (the default) means all variables. */
  public ReadStudyMetadata withVariables(Collection<String> variableNames) {
    return new ReadStudyMetadata(
        apiFactory,
        apiDescription,
        studies,
        forms,
        Set.copyOf(variableNames),
        useLabels,
        batchSize);
  }

  /**
   * Column names in the {@code columns} table from labels (default false), as in FlattenRecords.
   */
  public ReadStudyMetadata withUseLabels(boolean useLabels) {
    return new ReadStudyMetadata(
        apiFactory, apiDescription, studies, forms, variables, useLabels, batchSize);
  }

  /** Rows per batch, 1..1000 (default 1000). */
  public ReadStudyMetadata withBatchSize(int batchSize) {
    if (batchSize < 1 || batchSize > DEFAULT_BATCH_SIZE) {
      throw new IllegalArgumentException("batchSize must be 1..1000, was " + batchSize);
    }
    return new ReadStudyMetadata(
        apiFactory, apiDescription, studies, forms, variables, useLabels, batchSize);
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
        .addIfNotNull(DisplayData.item("api", apiDescription))
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
      if (spec.apiFactory == null) {
        throw new IllegalArgumentException("withApiConfig() (or withApiFactory()) is required");
      }
      return studyKeys
          .apply("SpreadStudies", Reshuffle.viaRandomKey())
          .apply(
              "ReadMetadata",
              ParDo.of(
                  new ReadStudyMetadataFn(
                      spec.apiFactory, spec.forms, spec.variables, spec.useLabels, spec.batchSize)))
          .setCoder(RowBatchCoder.of());
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      spec.populateDisplayData(builder);
    }
  }

  private static final class HttpApiFactory implements ApiFactory {
    private static final long serialVersionUID = 1L;
    private final ApiConfig config;

    HttpApiFactory(ApiConfig config) {
      this.config = config;
    }

    @Override
    public ImednetApi create() {
      return HttpImednetClient.create(config);
    }
  }

  /** Reads every metadata resource of one study and emits its tables in batches. */
  static final class ReadStudyMetadataFn extends DoFn<String, RowBatch> {
    private static final long serialVersionUID = 1L;

    private final ApiFactory apiFactory;
    private final Set<String> forms;
    private final Set<String> variables;
    private final boolean useLabels;
    private final int batchSize;
    private transient @Nullable ImednetApi api;

    ReadStudyMetadataFn(
        ApiFactory apiFactory,
        Set<String> forms,
        Set<String> variables,
        boolean useLabels,
        int batchSize) {
      this.apiFactory = apiFactory;
      this.forms = forms;
      this.variables = variables;
      this.useLabels = useLabels;
      this.batchSize = batchSize;
    }

    @Setup
    public void setup() {
      api = apiFactory.create();
    }

    @Teardown
    public void teardown() {
      if (api != null) {
        api.close();
        api = null;
      }
    }

    @ProcessElement
    public void process(@Element String studyKey, OutputReceiver<RowBatch> out) {
      // Forms and variables are small and needed whole for the columns table.
      List<JsonNode> formItems = selectForms(listAll(studyKey, ReadStudyMetadataTables.FORMS));
      Set<Long> formIds = new LinkedHashSet<>();
      for (JsonNode form : formItems) {
        Object id = ValueParser.parse(form.get("formId"), ColumnType.LONG);
        if (id instanceof Long) {
          formIds.add((Long) id);
        }
      }
      List<JsonNode> variableItems = new ArrayList<>();
      for (JsonNode v : listAll(studyKey, ReadStudyMetadataTables.VARIABLES)) {
        Object formId = ValueParser.parse(v.get("formId"), ColumnType.LONG);
        boolean formSelected = forms.isEmpty() || formIds.contains(formId);
        boolean variableSelected =
            variables.isEmpty() || variables.contains(v.path("variableName").asText(null));
        if (formSelected && variableSelected) {
          variableItems.add(v);
        }
      }
      long rows = 0;
      rows += emit(studyKey, ReadStudyMetadataTables.FORMS, formItems.iterator(), out);
      rows += emit(studyKey, ReadStudyMetadataTables.VARIABLES, variableItems.iterator(), out);
      rows += emitColumns(studyKey, formItems, variableItems, out);
      for (Table table : ReadStudyMetadataTables.ALL) {
        if (table != ReadStudyMetadataTables.FORMS && table != ReadStudyMetadataTables.VARIABLES) {
          rows += emit(studyKey, table, iterate(studyKey, table), out);
        }
      }
      LOG.info("Read {} metadata rows of study {}", rows, studyKey);
    }

    private List<JsonNode> selectForms(List<JsonNode> all) {
      if (forms.isEmpty()) {
        return all;
      }
      List<JsonNode> selected = new ArrayList<>();
      for (JsonNode form : all) {
        String key = form.path("formKey").asText(null);
        String id = form.path("formId").isNumber() ? form.path("formId").asText() : null;
        if ((key != null && forms.contains(key)) || (id != null && forms.contains(id))) {
          selected.add(form);
        }
      }
      return selected;
    }

    private long emit(
        String studyKey, Table table, Iterator<JsonNode> items, OutputReceiver<RowBatch> out) {
      TableSchema schema = table.schema(studyKey);
      List<Object[]> batch = new ArrayList<>();
      long n = 0;
      while (items.hasNext()) {
        batch.add(table.row(studyKey, items.next()));
        n++;
        if (batch.size() == batchSize) {
          out.output(RowBatch.of(schema, batch));
          batch = new ArrayList<>();
        }
      }
      if (!batch.isEmpty()) {
        out.output(RowBatch.of(schema, batch));
      }
      return n;
    }

    private long emitColumns(
        String studyKey,
        List<JsonNode> formItems,
        List<JsonNode> variableItems,
        OutputReceiver<RowBatch> out) {
      Map<Long, List<VariableInfo>> byForm = new LinkedHashMap<>();
      for (JsonNode v : variableItems) {
        VariableInfo info = variableInfo(v);
        if (info != null) {
          byForm.computeIfAbsent(info.formId(), k -> new ArrayList<>()).add(info);
        }
      }
      TableSchema schema = FormSchema.columnsTable(studyKey);
      List<Object[]> batch = new ArrayList<>();
      long n = 0;
      for (JsonNode f : formItems) {
        Object formId = ValueParser.parse(f.get("formId"), ColumnType.LONG);
        Object formKey = ValueParser.parse(f.get("formKey"), ColumnType.STRING);
        if (!(formId instanceof Long) || formKey == null) {
          // No form table can exist for it either; the forms table keeps the item.
          LOG.warn("A form of study {} has no formId or formKey; it has no columns rows", studyKey);
          continue;
        }
        List<VariableInfo> vars = new ArrayList<>(byForm.getOrDefault(formId, List.of()));
        vars.sort(
            Comparator.comparingInt(VariableInfo::sequence)
                .thenComparingLong(VariableInfo::variableId));
        FormInfo info =
            new FormInfo(
                studyKey,
                (Long) formId,
                (String) formKey,
                f.path("formName").asText(null),
                f.path("disabled").asBoolean(false));
        for (Object[] row : FormSchema.of(new FormContext(info, vars), useLabels).columnsRows()) {
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

    private static @Nullable VariableInfo variableInfo(JsonNode v) {
      Object id = ValueParser.parse(v.get("variableId"), ColumnType.LONG);
      Object formId = ValueParser.parse(v.get("formId"), ColumnType.LONG);
      Object sequence = ValueParser.parse(v.get("sequence"), ColumnType.LONG);
      JsonNode name = v.get("variableName");
      if (!(formId instanceof Long) || name == null || !name.isTextual()) {
        return null;
      }
      return new VariableInfo(
          id instanceof Long ? (Long) id : 0L,
          name.textValue(),
          v.path("variableType").isTextual() ? v.get("variableType").textValue() : null,
          v.path("label").isTextual() ? v.get("label").textValue() : null,
          sequence instanceof Long ? (int) (long) (Long) sequence : 0,
          (Long) formId,
          v.path("disabled").asBoolean(false),
          v.path("deleted").asBoolean(false));
    }

    private List<JsonNode> listAll(String studyKey, Table table) {
      List<JsonNode> items = new ArrayList<>();
      iterate(studyKey, table).forEachRemaining(items::add);
      return items;
    }

    private Iterator<JsonNode> iterate(String studyKey, Table table) {
      try {
        return requireNonNull(api, "api").listAll(studyKey, table.resource(), null);
      } catch (IOException e) {
        throw new IllegalStateException(
            "Reading " + table.resource() + " of study " + studyKey + " failed: " + e.getMessage(),
            e);
      }
    }
  }
}
