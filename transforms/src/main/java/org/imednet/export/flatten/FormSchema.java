package org.imednet.export.flatten;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.annotation.Nullable;
import org.imednet.export.model.FormContext;
import org.imednet.export.model.VariableInfo;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.TableSchema;

/**
 * The table of one form: which columns it has, what they are called and where their values come
 * from. Built once per form from its {@link FormContext}.
 *
 * <pre>{@code
 * FormSchema schema = FormSchema.of(formContext, false);
 * RecordFlattener flattener = new RecordFlattener(schema.table());
 * }</pre>
 *
 * <p>Columns, in this order:
 *
 * <ol>
 *   <li>the 17 record metadata columns {@link #METADATA_COLUMNS} ({@code study_key, form_key,
 *       form_id, record_id, …, date_created, date_modified});
 *   <li>one column per variable, in the order of {@link FormContext#variables()}, typed by {@link
 *       VariableTypes};
 *   <li>the system columns {@code _parse_errors} and {@code _record_data}.
 * </ol>
 *
 * <p>Naming rules, which make every column name unique case-insensitively without losing a
 * variable:
 *
 * <ul>
 *   <li>A variable column is named after the variable name, or with {@code useLabels} after the
 *       label with leading and trailing whitespace removed; a null or blank label falls back to the
 *       variable name.
 *   <li>The metadata and system column names are reserved first. Variables are then named in
 *       variable order: a name that equals (ignoring case) any name already taken gets the suffix
 *       {@code _2}, or {@code _3}, … the first suffix whose result is not taken either.
 *   <li>So {@code AGE} then {@code age} give {@code AGE, age_2}; a variable called {@code
 *       record_id} becomes {@code record_id_2}; a variable {@code X_2} that comes after two {@code
 *       X} variables (named {@code X}, {@code X_2}) becomes {@code X_2_2}. Two variables with the
 *       same name on one form get two columns. The same inputs always give the same names.
 *   <li>Each variable column keeps its {@link Column#sourceVariable() variable name} (the exact,
 *       case-sensitive {@code recordData} key), raw {@code variableType} and label, so the mapping
 *       can be written out as the {@code columns} table ({@link #columnsTable}).
 * </ul>
 */
public final class FormSchema {

  /** The system column holding the values that did not parse, as a JSON object. */
  public static final String PARSE_ERRORS = "_parse_errors";

  /** The system column holding the record's original {@code recordData} JSON. */
  public static final String RECORD_DATA = "_record_data";

  /** The table key of the column-mapping metadata table. */
  public static final String COLUMNS_TABLE = "columns";

  private static final String[][] METADATA =
      new String[][] {
        {"study_key", "studyKey", "STRING"},
        {"form_key", "formKey", "STRING"},
        {"form_id", "formId", "LONG"},
        {"record_id", "recordId", "LONG"},
        {"record_oid", "recordOid", "STRING"},
        {"record_type", "recordType", "STRING"},
        {"record_status", "recordStatus", "STRING"},
        {"subject_id", "subjectId", "LONG"},
        {"subject_key", "subjectKey", "STRING"},
        {"subject_oid", "subjectOid", "STRING"},
        {"site_id", "siteId", "LONG"},
        {"interval_id", "intervalId", "LONG"},
        {"visit_id", "visitId", "LONG"},
        {"parent_record_id", "parentRecordId", "LONG"},
        {"deleted", "deleted", "BOOLEAN"},
        {"date_created", "dateCreated", "TIMESTAMP"},
        {"date_modified", "dateModified", "TIMESTAMP"},
      };

  /** The record metadata columns every form table starts with, in order. */
  public static final List<Column> METADATA_COLUMNS;

  /** The record field each metadata column is read from, aligned with {@link #METADATA_COLUMNS}. */
  public static final List<String> METADATA_FIELDS;

  /** The system columns every form table ends with, in order. */
  public static final List<Column> SYSTEM_COLUMNS =
      List.of(
          Column.system(PARSE_ERRORS, ColumnType.STRING),
          Column.system(RECORD_DATA, ColumnType.STRING));

  static {
    List<Column> columns = new ArrayList<>();
    List<String> fields = new ArrayList<>();
    for (String[] m : METADATA) {
      columns.add(Column.metadata(m[0], ColumnType.valueOf(m[2])));
      fields.add(m[1]);
    }
    METADATA_COLUMNS = Collections.unmodifiableList(columns);
    METADATA_FIELDS = Collections.unmodifiableList(fields);
  }

  private final FormContext form;
  private final TableSchema table;
  private final List<VariableInfo> unknownTypeVariables;

  private FormSchema(FormContext form, TableSchema table, List<VariableInfo> unknownTypeVariables) {
    this.form = form;
    this.table = table;
    this.unknownTypeVariables = unknownTypeVariables;
  }

  /** Builds the table of a form; see the class documentation for the naming rules. */
  public static FormSchema of(FormContext form, boolean useLabels) {
    Set<String> taken = new HashSet<>();
    List<Column> columns = new ArrayList<>(form.variables().size() + 19);
    for (Column c : METADATA_COLUMNS) {
      taken.add(lower(c.name()));
      columns.add(c);
    }
    for (Column c : SYSTEM_COLUMNS) {
      taken.add(lower(c.name()));
    }
    List<VariableInfo> unknown = new ArrayList<>();
    for (VariableInfo v : form.variables()) {
      String base = v.variableName();
      if (useLabels && v.label() != null && !v.label().isBlank()) {
        base = v.label().strip();
      }
      String name = base;
      for (int n = 2; !taken.add(lower(name)); n++) {
        name = base + "_" + n;
      }
      if (!VariableTypes.isKnown(v.variableType())) {
        unknown.add(v);
      }
      columns.add(
          Column.variable(
              name,
              VariableTypes.columnType(v.variableType()),
              v.variableName(),
              v.variableType(),
              v.label()));
    }
    columns.addAll(SYSTEM_COLUMNS);
    TableSchema table =
        TableSchema.form(form.studyKey(), form.form().formKey(), form.form().formId(), columns);
    return new FormSchema(form, table, Collections.unmodifiableList(unknown));
  }

  private static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }

  public FormContext form() {
    return form;
  }

  /** The form's table schema. */
  public TableSchema table() {
    return table;
  }

  /** The variables whose {@code variableType} is not in {@link VariableTypes}, in form order. */
  public List<VariableInfo> unknownTypeVariables() {
    return unknownTypeVariables;
  }

  /**
   * The schema of the {@code columns} metadata table, which maps each form-table column to its
   * source: {@code study_key, form_key, column_name, source_variable, label, variable_type,
   * column_type, position}.
   */
  public static TableSchema columnsTable(String studyKey) {
    return TableSchema.metadata(
        studyKey,
        COLUMNS_TABLE,
        List.of(
            Column.metadata("study_key", ColumnType.STRING),
            Column.metadata("form_key", ColumnType.STRING),
            Column.metadata("column_name", ColumnType.STRING),
            Column.metadata("source_variable", ColumnType.STRING),
            Column.metadata("label", ColumnType.STRING),
            Column.metadata("variable_type", ColumnType.STRING),
            Column.metadata("column_type", ColumnType.STRING),
            Column.metadata("position", ColumnType.LONG)));
  }

  /**
   * The rows of the {@code columns} table for this form: one per column of {@link #table()}
   * (metadata and system columns too, with null source variable), {@code position} counting from 1.
   */
  public List<Object[]> columnsRows() {
    List<Object[]> rows = new ArrayList<>(table.size());
    List<Column> columns = table.columns();
    for (int i = 0; i < columns.size(); i++) {
      Column c = columns.get(i);
      rows.add(
          new Object[] {
            table.studyKey(),
            table.tableKey(),
            c.name(),
            c.sourceVariable(),
            c.label(),
            c.variableType(),
            c.type().name(),
            (long) (i + 1)
          });
    }
    return rows;
  }

  /** The record field a metadata column of a form table is read from, or null. */
  public static @Nullable String recordField(String metadataColumn) {
    for (int i = 0; i < METADATA.length; i++) {
      if (METADATA[i][0].equals(metadataColumn)) {
        return METADATA[i][1];
      }
    }
    return null;
  }
}
