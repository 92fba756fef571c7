package org.imednet.export.read;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import javax.annotation.Nullable;
import org.imednet.export.flatten.JsonValueWriter;
import org.imednet.export.flatten.RecordBytes;
import org.imednet.export.flatten.ValueParser;
import org.imednet.export.model.JsonItems;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.TableSchema;

/**
 * The study metadata tables and how an API item becomes one of their rows. Column names are the
 * API's field names in snake_case, typed from {@code mednet.yaml}: integers LONG, booleans BOOLEAN,
 * {@code YYYY-MM-DD HH:MM:SS} fields TIMESTAMP, visit window dates DATE, arrays ({@code keywords},
 * the {@code forms} of an interval) their JSON text. The first column is {@code study_key}, the
 * last {@code _extra}.
 *
 * <p>Nothing of an item is dropped: {@code _extra} is a JSON object holding, with their original
 * field names and JSON values, the fields the table has no column for and the fields whose value
 * did not parse as their column's type (that column is then null); it is null when there is nothing
 * extra. {@code study_key} comes from the item's {@code studyKey}, or the study being read when the
 * item has none.
 */
public final class ReadStudyMetadataTables {

  /** The column holding an item's fields that have no typed column, as a JSON object. */
  public static final String EXTRA = "_extra";

  private static final String STUDY_KEY_FIELD = "studyKey";

  /** One metadata table: the resource it is read from and its typed columns. */
  /**
   * The tables an incremental export reads as a window, with the API field that dates their items
   * and the column that identifies a row within a study: subjects and visits by {@code
   * dateModified}, record revisions (which never change) by {@code dateCreated}. The other tables
   * (forms, variables, sites, intervals, columns) are small and read whole every run.
   */
  private static final Map<String, String[]> WINDOWED =
      Map.of(
          "subjects", new String[] {"dateModified", "subject_id"},
          "visits", new String[] {"dateModified", "visit_id"},
          "record_revisions", new String[] {"dateCreated", "record_revision_id"});

  /** The API field dating {@code tableKey}'s items in a window, or null if it is read whole. */
  public static @Nullable String windowField(String tableKey) {
    String[] w = WINDOWED.get(tableKey);
    return w == null ? null : w[0];
  }

  /**
   * The column of {@link #windowField} ({@code date_modified} or {@code date_created}), or null.
   */
  public static @Nullable String windowColumn(String tableKey) {
    String field = windowField(tableKey);
    return field == null ? null : snakeCase(field);
  }

  /** The windowed tables' keys. */
  public static java.util.Set<String> windowedTables() {
    return new java.util.TreeSet<>(WINDOWED.keySet());
  }

  /** The column identifying a row of windowed table {@code tableKey} within a study, or null. */
  public static @Nullable String windowKey(String tableKey) {
    String[] w = WINDOWED.get(tableKey);
    return w == null ? null : w[1];
  }

  public static final class Table {
    private final String tableKey;
    private final String resource;
    private final String[] fields;
    private final ColumnType[] types;
    private final String[] columnNames;
    private final Map<String, Integer> fieldIndex = new HashMap<>();
    private final RecordBytes.Names names;

    private Table(String tableKey, String resource, Object... fieldsAndTypes) {
      this.tableKey = tableKey;
      this.resource = resource;
      int n = fieldsAndTypes.length / 2;
      fields = new String[n];
      types = new ColumnType[n];
      columnNames = new String[n];
      for (int i = 0; i < n; i++) {
        fields[i] = (String) fieldsAndTypes[2 * i];
        types[i] = (ColumnType) fieldsAndTypes[2 * i + 1];
        columnNames[i] = snakeCase(fields[i]);
        fieldIndex.put(fields[i], i);
      }
      // For addRow: each field's column, studyKey's first.
      Map<String, int[]> columnOfField = new HashMap<>();
      columnOfField.put(STUDY_KEY_FIELD, new int[] {0});
      for (int i = 0; i < n; i++) {
        columnOfField.put(fields[i], new int[] {i + 1});
      }
      names = new RecordBytes.Names(columnOfField);
    }

    /** The table key, e.g. {@code record_revisions}. */
    public String tableKey() {
      return tableKey;
    }

    /** The API resource, e.g. {@code recordRevisions}. */
    public String resource() {
      return resource;
    }

    /** The table's schema for one study. */
    public TableSchema schema(String studyKey) {
      List<Column> columns = new ArrayList<>(fields.length + 2);
      columns.add(Column.metadata("study_key", ColumnType.STRING));
      for (int i = 0; i < fields.length; i++) {
        columns.add(Column.metadata(columnNames[i], types[i]));
      }
      columns.add(Column.system(EXTRA, ColumnType.STRING));
      return TableSchema.metadata(studyKey, tableKey, columns);
    }

    /**
     * Adds the row of item {@code i} of {@code items} to {@code rows}, exactly as {@code
     * rows.add(row(studyKey, items.tree(i)))} would. An item of known fields whose values all parse
     * goes from its bytes into the row ({@link RecordBytes#readFlat}, {@link JsonValueWriter}); any
     * other goes the tree way, so that {@code _extra} keeps the original values.
     *
     * @return whether the row came straight from the bytes
     * @throws java.io.UncheckedIOException as {@link JsonItems#tree}
     */
    public boolean addRow(
        String studyKey, JsonItems items, int i, JsonValueWriter values, RowBatch.Builder rows) {
      byte[] json = items.body();
      int start = items.start(i);
      RecordBytes item =
          RecordBytes.readFlat(json, start, items.end(i) - start, fields.length + 1, names);
      if (item != null && addRowFromBytes(studyKey, json, item, values, rows)) {
        return true;
      }
      rows.add(row(studyKey, items.tree(i)));
      return false;
    }

    /** Writes the row of an item read by {@link RecordBytes}; false if a value does not parse. */
    private boolean addRowFromBytes(
        String studyKey,
        byte[] json,
        RecordBytes item,
        JsonValueWriter values,
        RowBatch.Builder rows) {
      rows.startRow();
      // Column 0 is study_key, from the item's studyKey: the study read when the item has none.
      int start = item.start(0);
      if (start == 0
          || values.write(json, start, item.end(0), ColumnType.STRING, rows)
              == JsonValueWriter.NULL) {
        rows.putValue(studyKey);
      }
      for (int i = 0; i < fields.length; i++) {
        start = item.start(i + 1);
        int written =
            start == 0
                ? JsonValueWriter.NULL
                : values.write(json, start, item.end(i + 1), types[i], rows);
        if (written == JsonValueWriter.UNPARSEABLE) {
          rows.abandonRow();
          return false;
        }
        if (written == JsonValueWriter.NULL) {
          rows.putNull();
        }
      }
      rows.putNull(); // _extra: nothing extra
      rows.endRow();
      return true;
    }

    /** The row of one API item, aligned with {@link #schema}. */
    public Object[] row(String studyKey, JsonNode item) {
      Object[] row = new Object[fields.length + 2];
      ObjectNode extra = null;
      if (!item.isObject()) {
        // Not expected from the API; kept whole rather than dropped.
        extra = JsonNodeFactory.instance.objectNode();
        extra.set("_item", item);
        row[0] = studyKey;
        row[row.length - 1] = extra.toString();
        return row;
      }
      Object study = ValueParser.parse(item.get(STUDY_KEY_FIELD), ColumnType.STRING);
      row[0] = study == null ? studyKey : study;
      for (int i = 0; i < fields.length; i++) {
        JsonNode node = item.get(fields[i]);
        Object value = ValueParser.parse(node, types[i]);
        if (value == ValueParser.UNPARSEABLE) {
          if (extra == null) {
            extra = JsonNodeFactory.instance.objectNode();
          }
          extra.set(fields[i], node);
          value = null;
        }
        row[i + 1] = value;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = item.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (!fieldIndex.containsKey(field.getKey()) && !field.getKey().equals(STUDY_KEY_FIELD)) {
          if (extra == null) {
            extra = JsonNodeFactory.instance.objectNode();
          }
          extra.set(field.getKey(), field.getValue());
        }
      }
      row[row.length - 1] = extra == null ? null : extra.toString();
      return row;
    }
  }

  private static final ColumnType S = ColumnType.STRING;
  private static final ColumnType L = ColumnType.LONG;
  private static final ColumnType B = ColumnType.BOOLEAN;
  private static final ColumnType D = ColumnType.DATE;
  private static final ColumnType T = ColumnType.TIMESTAMP;

  public static final Table FORMS =
      new Table(
          "forms",
          "forms",
          "formId",
          L,
          "formKey",
          S,
          "formName",
          S,
          "formType",
          S,
          "revision",
          L,
          "embeddedLog",
          B,
          "enforceOwnership",
          B,
          "userAgreement",
          B,
          "subjectRecordReport",
          B,
          "unscheduledVisit",
          B,
          "otherForms",
          B,
          "eproForm",
          B,
          "allowCopy",
          B,
          "disabled",
          B,
          "dateCreated",
          T,
          "dateModified",
          T);

  public static final Table VARIABLES =
      new Table(
          "variables",
          "variables",
          "variableId",
          L,
          "variableType",
          S,
          "variableName",
          S,
          "sequence",
          L,
          "revision",
          L,
          "disabled",
          B,
          "dateCreated",
          T,
          "dateModified",
          T,
          "formId",
          L,
          "variableOid",
          S,
          "deleted",
          B,
          "formKey",
          S,
          "formName",
          S,
          "label",
          S,
          "blinded",
          B);

  public static final Table SITES =
      new Table(
          "sites",
          "sites",
          "siteId",
          L,
          "siteName",
          S,
          "siteEnrollmentStatus",
          S,
          "dateCreated",
          T,
          "dateModified",
          T);

  public static final Table SUBJECTS =
      new Table(
          "subjects",
          "subjects",
          "subjectId",
          L,
          "subjectOid",
          S,
          "subjectKey",
          S,
          "subjectStatus",
          S,
          "siteId",
          L,
          "siteName",
          S,
          "deleted",
          B,
          "enrollmentStartDate",
          T,
          "dateCreated",
          T,
          "dateModified",
          T,
          "keywords",
          S);

  public static final Table INTERVALS =
      new Table(
          "intervals",
          "intervals",
          "intervalId",
          L,
          "intervalName",
          S,
          "intervalDescription",
          S,
          "intervalSequence",
          L,
          "intervalGroupId",
          L,
          "intervalGroupName",
          S,
          "timeline",
          S,
          "definedUsingInterval",
          S,
          "windowCalculationForm",
          S,
          "windowCalculationDate",
          S,
          "actualDateForm",
          S,
          "actualDate",
          S,
          "dueDateWillBeIn",
          L,
          "negativeSlack",
          L,
          "positiveSlack",
          L,
          "eproGracePeriod",
          L,
          "forms",
          S,
          "disabled",
          B,
          "dateCreated",
          T,
          "dateModified",
          T);

  public static final Table VISITS =
      new Table(
          "visits",
          "visits",
          "visitId",
          L,
          "intervalId",
          L,
          "intervalName",
          S,
          "subjectId",
          L,
          "subjectKey",
          S,
          "startDate",
          D,
          "endDate",
          D,
          "dueDate",
          D,
          "visitDate",
          D,
          "visitDateForm",
          S,
          "visitDateQuestion",
          S,
          "deleted",
          B,
          "dateCreated",
          T,
          "dateModified",
          T);

  public static final Table RECORD_REVISIONS =
      new Table(
          "record_revisions",
          "recordRevisions",
          "recordRevisionId",
          L,
          "recordId",
          L,
          "recordOid",
          S,
          "recordRevision",
          L,
          "dataRevision",
          L,
          "recordStatus",
          S,
          "subjectId",
          L,
          "subjectOid",
          S,
          "subjectKey",
          S,
          "siteId",
          L,
          "formKey",
          S,
          "intervalId",
          L,
          "role",
          S,
          "user",
          S,
          "reasonForChange",
          S,
          "deleted",
          B,
          "dateCreated",
          T);

  /** Every table read from its own resource, in the order they are read. */
  public static final List<Table> ALL =
      Collections.unmodifiableList(
          List.of(FORMS, VARIABLES, SITES, SUBJECTS, INTERVALS, VISITS, RECORD_REVISIONS));

  private ReadStudyMetadataTables() {}

  /** {@code recordRevisionId → record_revision_id}. */
  static String snakeCase(String camel) {
    StringBuilder b = new StringBuilder(camel.length() + 4);
    for (int i = 0; i < camel.length(); i++) {
      char c = camel.charAt(i);
      if (Character.isUpperCase(c)) {
        if (i > 0) {
          b.append('_');
        }
        b.append(Character.toLowerCase(c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
