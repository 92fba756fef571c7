package org.imednet.export.history;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.imednet.export.flatten.FormSchema;
import org.imednet.export.flatten.RecordFlattener;
import org.imednet.export.flatten.UnprocessableRecordException;
import org.imednet.export.flatten.ValueParser;
import org.imednet.export.flatten.VariableTypes;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.metrics.ExportMetrics.Metric;
import org.imednet.export.model.FormContext;
import org.imednet.export.model.RecordPage;
import org.imednet.export.model.VariableInfo;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.FailedRecord;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.RowBatchCoder;
import org.imednet.export.rows.TableSchema;

/**
 * Turns pages of records into the long form of their observed content: one row per {@code
 * recordData} key of each record, keyed by (study_key, record_id, date_modified, variable_name).
 *
 * <pre>{@code
 * PCollection<RecordPage> pages = p.apply(ReadStudyRecords.create()...
 *     .withRecordFilter(window.apiFilter("dateModified")));
 * PCollectionTuple values = pages.apply(RecordValues.create());
 * values.get(RecordValues.ROWS);      // RowBatches of table "record_values" (COLUMNS)
 * values.get(RecordValues.FAILURES);  // records that cannot be versioned, with their JSON
 * }</pre>
 *
 * <ul>
 *   <li>{@code value} is the API's value as text, never changed: a JSON string's content, the JSON
 *       text of anything else (a number as the API wrote it), null for JSON null.
 *   <li>The typed columns ({@code value_long, value_double, value_boolean, value_date,
 *       value_timestamp}) hold the value parsed by the variable's type ({@link VariableTypes},
 *       {@link ValueParser}, exactly as in the exports); the one matching the type is set, the
 *       others are null. A value that does not parse keeps its text in {@code value} and has {@code
 *       value_unparseable = true}. Text types, unknown types and keys that are not variables of the
 *       form (their {@code variable_type} is null) have only {@code value}.
 *   <li>The {@code dateCreated} and {@code dateModified} keys that the API repeats inside {@code
 *       recordData} are the record's own fields (columns {@code date_created, date_modified}), not
 *       variables, unless the form has a variable of that name.
 *   <li>Every record becomes its rows or one {@link FailedRecord}: a record that is not an object,
 *       lacks an integer {@code recordId}, a {@code recordData} object or a {@code dateModified}
 *       timestamp (which keys its version) fails with its JSON as payload. Nothing is dropped.
 *   <li>One batch per page (an empty page gives an empty batch), in the page's record order.
 * </ul>
 */
public final class RecordValues extends PTransform<PCollection<RecordPage>, PCollectionTuple> {
  private static final long serialVersionUID = 1L;

  /** The table key of the rows: the staged table {@code record_values}. */
  public static final String TABLE_KEY = "record_values";

  /** The columns of a {@code record_values} row, in order. */
  public static final List<Column> COLUMNS =
      Collections.unmodifiableList(
          List.of(
              Column.metadata("study_key", ColumnType.STRING),
              Column.metadata("form_key", ColumnType.STRING),
              Column.metadata("form_id", ColumnType.LONG),
              Column.metadata("record_id", ColumnType.LONG),
              Column.metadata("record_oid", ColumnType.STRING),
              Column.metadata("record_status", ColumnType.STRING),
              Column.metadata("subject_id", ColumnType.LONG),
              Column.metadata("subject_key", ColumnType.STRING),
              Column.metadata("site_id", ColumnType.LONG),
              Column.metadata("interval_id", ColumnType.LONG),
              Column.metadata("visit_id", ColumnType.LONG),
              Column.metadata("deleted", ColumnType.BOOLEAN),
              Column.metadata("date_created", ColumnType.TIMESTAMP),
              Column.metadata("date_modified", ColumnType.TIMESTAMP),
              Column.metadata("variable_name", ColumnType.STRING),
              Column.metadata("variable_type", ColumnType.STRING),
              Column.metadata("value", ColumnType.STRING),
              Column.metadata("value_long", ColumnType.LONG),
              Column.metadata("value_double", ColumnType.DOUBLE),
              Column.metadata("value_boolean", ColumnType.BOOLEAN),
              Column.metadata("value_date", ColumnType.DATE),
              Column.metadata("value_timestamp", ColumnType.TIMESTAMP),
              Column.metadata("value_unparseable", ColumnType.BOOLEAN)));

  /** The record fields copied into every row, aligned with the first 14 {@link #COLUMNS}. */
  private static final String[] RECORD_COLUMNS = {
    "study_key", "form_key", "form_id", "record_id", "record_oid", "record_status", "subject_id",
    "subject_key", "site_id", "interval_id", "visit_id", "deleted", "date_created", "date_modified"
  };

  private static final int VARIABLE_NAME = RECORD_COLUMNS.length;
  private static final int TYPED_FIRST = VARIABLE_NAME + 3;

  /** The output holding the rows. */
  public static final TupleTag<RowBatch> ROWS = new TupleTag<RowBatch>() {};

  /** The output holding what could not be kept as rows, with its original JSON. */
  public static final TupleTag<FailedRecord> FAILURES = new TupleTag<FailedRecord>() {};

  private RecordValues() {}

  public static RecordValues create() {
    return new RecordValues();
  }

  /** The schema of a study's {@code record_values} batches. */
  public static TableSchema schema(String studyKey) {
    return TableSchema.metadata(studyKey, TABLE_KEY, COLUMNS);
  }

  @Override
  public PCollectionTuple expand(PCollection<RecordPage> pages) {
    PCollectionTuple out =
        pages.apply(
            "RecordValues",
            ParDo.of(new RecordValuesFn()).withOutputTags(ROWS, TupleTagList.of(FAILURES)));
    out.get(ROWS).setCoder(RowBatchCoder.of());
    out.get(FAILURES).setCoder(SerializableCoder.of(FailedRecord.class));
    return out;
  }

  /**
   * The rows of one record, aligned with {@link #COLUMNS}; the record's typed fields come from
   * {@code flattener} (a form table without variables), the variables' types from {@code
   * variables}.
   */
  static List<Object[]> rows(
      JsonNode record, RecordFlattener flattener, Map<String, VariableInfo> variables)
      throws UnprocessableRecordException {
    Object[] fields = flattener.flatten(record).values();
    TableSchema table = flattener.schema();
    Object[] head = new Object[RECORD_COLUMNS.length];
    for (int c = 0; c < RECORD_COLUMNS.length; c++) {
      head[c] = fields[table.indexOf(RECORD_COLUMNS[c])];
    }
    if (head[RECORD_COLUMNS.length - 1] == null) {
      JsonNode dm = record.get("dateModified");
      throw new UnprocessableRecordException(
          "record "
              + head[3]
              + (dm == null || dm.isNull()
                  ? " has no dateModified"
                  : " has a dateModified that is not a timestamp (" + ValueParser.rawText(dm) + ")")
              + ", which keys its version");
    }
    List<Object[]> rows = new ArrayList<>();
    JsonNode data = record.get("recordData");
    for (Iterator<Map.Entry<String, JsonNode>> it = data.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String name = entry.getKey();
      VariableInfo variable = variables.get(name);
      if (variable == null && (name.equals("dateCreated") || name.equals("dateModified"))) {
        continue;
      }
      Object[] row = new Object[COLUMNS.size()];
      System.arraycopy(head, 0, row, 0, head.length);
      row[VARIABLE_NAME] = name;
      JsonNode node = entry.getValue();
      row[VARIABLE_NAME + 2] = node == null || node.isNull() ? null : ValueParser.rawText(node);
      row[COLUMNS.size() - 1] = Boolean.FALSE;
      if (variable != null) {
        row[VARIABLE_NAME + 1] = variable.variableType();
        ColumnType type = VariableTypes.columnType(variable.variableType());
        if (type != ColumnType.STRING) {
          Object typed = ValueParser.parse(node, type);
          if (typed == ValueParser.UNPARSEABLE) {
            row[COLUMNS.size() - 1] = Boolean.TRUE;
          } else if (typed != null) {
            row[TYPED_FIRST + typedColumn(type)] = typed;
          }
        }
      }
      rows.add(row);
    }
    return rows;
  }

  private static int typedColumn(ColumnType type) {
    switch (type) {
      case LONG:
        return 0;
      case DOUBLE:
        return 1;
      case BOOLEAN:
        return 2;
      case DATE:
        return 3;
      case TIMESTAMP:
        return 4;
      default:
        throw new IllegalArgumentException("no typed column for " + type);
    }
  }

  /** The per-form lookups, built once per form and worker. */
  static final class FormValues {
    final RecordFlattener flattener;
    final Map<String, VariableInfo> variables = new HashMap<>();
    final Counter records;
    final Counter failed;

    FormValues(FormContext form) {
      // A form table without variable columns: only the record's own fields are typed here.
      this.flattener =
          new RecordFlattener(
              FormSchema.of(new FormContext(form.form(), List.of()), false).table());
      for (VariableInfo v : form.variables()) {
        // Two variables of one name read the same recordData key: the first one's type counts.
        variables.putIfAbsent(v.variableName(), v);
      }
      this.records =
          ExportMetrics.counter(Metric.ROWS_FLATTENED, form.studyKey(), form.form().formKey());
      this.failed =
          ExportMetrics.counter(Metric.RECORDS_FAILED, form.studyKey(), form.form().formKey());
    }
  }

  static final class RecordValuesFn extends DoFn<RecordPage, RowBatch> {
    private static final long serialVersionUID = 1L;
    private static final int MAX_CACHED_FORMS = 10_000;
    private transient Map<FormContext, FormValues> forms;

    @Setup
    public void setup() {
      forms = new HashMap<>();
    }

    @ProcessElement
    public void process(@Element RecordPage page, MultiOutputReceiver out) {
      if (forms.size() >= MAX_CACHED_FORMS) {
        forms.clear();
      }
      FormValues form = forms.computeIfAbsent(page.form(), FormValues::new);
      String study = page.form().studyKey();
      String formKey = page.form().form().formKey();
      List<JsonNode> records = page.records();
      RowBatch.Builder rows = RowBatch.builder(schema(study), 16 * records.size());
      long ok = 0;
      List<FailedRecord> failures = new ArrayList<>();
      for (int i = 0; i < records.size(); i++) {
        List<Object[]> recordRows;
        try {
          recordRows = rows(records.get(i), form.flattener, form.variables);
        } catch (UnprocessableRecordException e) {
          failures.add(
              new FailedRecord(
                  study,
                  formKey,
                  FailedRecord.Reason.UNPROCESSABLE_RECORD,
                  page.location() + " record " + (i + 1) + " of " + records.size(),
                  "Cannot record the values of a record of form "
                      + study
                      + "/"
                      + formKey
                      + ": "
                      + e.getMessage(),
                  page.items().text(i)));
          continue;
        }
        // All of a record's rows, or (above) none of them.
        recordRows.forEach(rows::add);
        ok++;
      }
      out.get(ROWS).output(rows.build());
      form.records.inc(ok);
      if (!failures.isEmpty()) {
        form.failed.inc(failures.size());
        failures.forEach(f -> out.get(FAILURES).output(f));
      }
    }
  }
}
