package org.imednet.export.flatten;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.Distinct;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.metrics.ExportMetrics.Metric;
import org.imednet.export.model.FormContext;
import org.imednet.export.model.JsonItems;
import org.imednet.export.model.RecordPage;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.FailedRecord;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.RowBatchCoder;
import org.imednet.export.rows.TableSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flattens pages of raw records into typed rows of their form tables.
 *
 * <pre>{@code
 * PCollection<RecordPage> pages = pipeline.apply(ReadStudyRecords.create()...);
 * FlattenRecords.Result flat = pages.apply(FlattenRecords.create().withUseLabels(true));
 * flat.rows().apply(WriteHiveParquet.to(lakeDir));
 * flat.failures().apply(...); // records that could not be flattened, with their original JSON
 * }</pre>
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>One {@link RowBatch} per page, with the page's form table schema ({@link FormSchema}); rows
 *       keep the page's record order. A page without records gives an empty batch (that is how a
 *       form with no records reaches the sinks); a page whose every record failed gives none.
 *   <li>Every record becomes either one row or one {@link FailedRecord} ({@link
 *       FailedRecord.Reason#UNPROCESSABLE_RECORD}, payload = the record's JSON): nothing is
 *       dropped. Values that do not parse as their column type are null in the row and kept in
 *       {@code _parse_errors}.
 *   <li>Counters per study and form ({@link ExportMetrics}): {@code rowsFlattened}, {@code
 *       valuesUnparseable}, {@code recordsFailed}, and {@code variablesUnknownType}, which counts
 *       each variable with an unknown type exactly once per form however many workers build the
 *       form's schema (the variables are de-duplicated before they are counted and logged).
 *   <li>Element-wise and stateless apart from a per-worker schema cache, so retries and re-runs
 *       give the same output.
 * </ul>
 */
public final class FlattenRecords
    extends PTransform<PCollection<RecordPage>, FlattenRecords.Result> {
  private static final long serialVersionUID = 1L;

  private static final TupleTag<RowBatch> ROWS = new TupleTag<RowBatch>() {};
  private static final TupleTag<FailedRecord> FAILURES = new TupleTag<FailedRecord>() {};
  private static final TupleTag<List<String>> UNKNOWN_TYPES = new TupleTag<List<String>>() {};

  private final boolean useLabels;

  private FlattenRecords(boolean useLabels) {
    this.useLabels = useLabels;
  }

  /** Flattening with variable names as column names. */
  public static FlattenRecords create() {
    return new FlattenRecords(false);
  }

  /**
   * Names variable columns after their labels instead of their names (default false); a null or
   * blank label falls back to the name. See {@link FormSchema} for the collision rules.
   */
  public FlattenRecords withUseLabels(boolean useLabels) {
    return new FlattenRecords(useLabels);
  }

  @Override
  public Result expand(PCollection<RecordPage> pages) {
    PCollectionTuple out =
        pages.apply(
            "FlattenPages",
            ParDo.of(new FlattenRecordsFn(useLabels))
                .withOutputTags(ROWS, TupleTagList.of(FAILURES).and(UNKNOWN_TYPES)));
    PCollection<RowBatch> rows = out.get(ROWS).setCoder(RowBatchCoder.of());
    PCollection<FailedRecord> failures =
        out.get(FAILURES).setCoder(SerializableCoder.of(FailedRecord.class));
    out.get(UNKNOWN_TYPES)
        .setCoder(ListCoder.of(StringUtf8Coder.of()))
        .apply("DistinctUnknownTypes", Distinct.create())
        .apply("CountUnknownTypes", ParDo.of(new CountUnknownTypesFn()));
    return new Result(pages.getPipeline(), rows, failures);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("useLabels", useLabels).withLabel("Labels as column names"));
  }

  /** The rows and the records that could not be flattened. */
  public static final class Result implements POutput {
    private final Pipeline pipeline;
    private final PCollection<RowBatch> rows;
    private final PCollection<FailedRecord> failures;

    private Result(
        Pipeline pipeline, PCollection<RowBatch> rows, PCollection<FailedRecord> failures) {
      this.pipeline = pipeline;
      this.rows = rows;
      this.failures = failures;
    }

    /** One batch of typed rows per non-empty page. */
    public PCollection<RowBatch> rows() {
      return rows;
    }

    /** Records that could not be flattened at all, with their JSON as payload. */
    public PCollection<FailedRecord> failures() {
      return failures;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      Map<TupleTag<?>, PValue> map = new HashMap<>();
      map.put(ROWS, rows);
      map.put(FAILURES, failures);
      return map;
    }

    @Override
    public void finishSpecifyingOutput(
        String transformName, PInput input, PTransform<?, ?> transform) {}
  }

  /** Flattens each page with its form's cached schema. */
  static final class FlattenRecordsFn extends DoFn<RecordPage, RowBatch> {
    private static final long serialVersionUID = 1L;

    /** Beyond this many distinct forms per worker the cache starts over, to bound memory. */
    private static final int MAX_CACHED_FORMS = 10_000;

    private final boolean useLabels;
    private transient Map<FormContext, CachedForm> forms;

    FlattenRecordsFn(boolean useLabels) {
      this.useLabels = useLabels;
    }

    @Setup
    public void setup() {
      forms = new HashMap<>();
    }

    @ProcessElement
    public void process(@Element RecordPage page, MultiOutputReceiver out) {
      CachedForm form = forms.get(page.form());
      if (form == null) {
        form = buildForm(page.form(), out);
      }
      JsonItems records = page.items();
      int size = records.size();
      // Rows are encoded as they are flattened, while their values are still in the CPU's cache.
      RowBatch.Builder rows = RowBatch.builder(form.flattener.schema(), size);
      long unparseable = 0;
      long failed = 0;
      for (int i = 0; i < size; i++) {
        int start = records.start(i);
        try {
          // Straight from the API's bytes into the row: no tree per record.
          unparseable +=
              form.flattener.flattenInto(records.body(), start, records.end(i) - start, rows);
        } catch (UnprocessableRecordException e) {
          failed++;
          TableSchema table = form.flattener.schema();
          out.get(FAILURES)
              .output(
                  new FailedRecord(
                      table.studyKey(),
                      table.tableKey(),
                      FailedRecord.Reason.UNPROCESSABLE_RECORD,
                      page.location() + " record " + (i + 1) + " of " + size,
                      "Cannot flatten a record of form "
                          + table.studyKey()
                          + "/"
                          + table.tableKey()
                          + ": "
                          + e.getMessage(),
                      records.text(i)));
        }
      }
      // An empty API page still travels as an empty batch: it is how a form with no records
      // reaches the sinks, which then create its (empty) table and replace an old partition
      // instead of keeping rows that no longer exist upstream.
      if (rows.size() > 0 || size == 0) {
        out.get(ROWS).output(rows.build());
        form.rowsFlattened.inc(rows.size());
      }
      if (unparseable > 0) {
        form.valuesUnparseable.inc(unparseable);
      }
      if (failed > 0) {
        form.recordsFailed.inc(failed);
      }
    }

    private CachedForm buildForm(FormContext context, MultiOutputReceiver out) {
      if (forms.size() >= MAX_CACHED_FORMS) {
        forms.clear();
      }
      FormSchema schema = FormSchema.of(context, useLabels);
      CachedForm form = new CachedForm(schema);
      forms.put(context, form);
      // Reported every time a worker builds the schema; de-duplicated downstream.
      TableSchema table = schema.table();
      for (Column c : table.columns()) {
        if (c.kind() == Column.Kind.VARIABLE && !VariableTypes.isKnown(c.variableType())) {
          out.get(UNKNOWN_TYPES)
              .output(
                  List.of(
                      table.studyKey(),
                      table.tableKey(),
                      c.name(),
                      String.valueOf(c.variableType())));
        }
      }
      return form;
    }
  }

  private static final class CachedForm {
    final RecordFlattener flattener;
    final Counter rowsFlattened;
    final Counter valuesUnparseable;
    final Counter recordsFailed;

    CachedForm(FormSchema schema) {
      this.flattener = new RecordFlattener(schema.table());
      String study = schema.table().studyKey();
      String form = schema.table().tableKey();
      this.rowsFlattened = ExportMetrics.counter(Metric.ROWS_FLATTENED, study, form);
      this.valuesUnparseable = ExportMetrics.counter(Metric.VALUES_UNPARSEABLE, study, form);
      this.recordsFailed = ExportMetrics.counter(Metric.RECORDS_FAILED, study, form);
    }
  }

  /** Counts and logs each (study, form, column, variableType) with an unknown type once. */
  static final class CountUnknownTypesFn extends DoFn<List<String>, Void> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(FlattenRecords.class);

    @ProcessElement
    public void process(@Element List<String> variable) {
      String study = variable.get(0);
      String form = variable.get(1);
      ExportMetrics.counter(Metric.VARIABLES_UNKNOWN_TYPE, study, form).inc();
      LOG.warn(
          "Variable column {} of form {}/{} has unknown variableType '{}'; exported as text",
          variable.get(2),
          study,
          form,
          variable.get(3));
    }
  }
}
