package org.imednet.export.rows;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * The schema of one output table of one study: a form's records ({@link Kind#FORM}, table key = the
 * form key) or a study metadata resource ({@link Kind#METADATA}, table key = the resource name such
 * as {@code variables}).
 *
 * <p>Column names are unique case-insensitively. Form tables always start with the record metadata
 * columns {@code study_key, form_key, form_id, record_id, …}; see {@code FormSchema} in the
 * flattening package for how they are derived.
 */
public final class TableSchema implements Serializable {
  private static final long serialVersionUID = 1L;

  /** What a table holds. */
  public enum Kind {
    FORM,
    METADATA
  }

  private final String studyKey;
  private final String tableKey;
  private final Kind kind;
  private final @Nullable Long formId;
  private final List<Column> columns;
  private transient @Nullable Map<String, Integer> indexByName;

  private TableSchema(
      String studyKey, String tableKey, Kind kind, @Nullable Long formId, List<Column> columns) {
    this.studyKey = Objects.requireNonNull(studyKey, "studyKey");
    this.tableKey = Objects.requireNonNull(tableKey, "tableKey");
    this.kind = Objects.requireNonNull(kind, "kind");
    this.formId = formId;
    this.columns = Collections.unmodifiableList(new ArrayList<>(columns));
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < this.columns.size(); i++) {
      String lower = this.columns.get(i).name().toLowerCase(java.util.Locale.ROOT);
      if (seen.put(lower, i) != null) {
        throw new IllegalArgumentException(
            "Duplicate column name (case-insensitive) '"
                + this.columns.get(i).name()
                + "' in table "
                + studyKey
                + "/"
                + tableKey);
      }
    }
  }

  public static TableSchema form(
      String studyKey, String formKey, @Nullable Long formId, List<Column> columns) {
    return new TableSchema(studyKey, formKey, Kind.FORM, formId, columns);
  }

  public static TableSchema metadata(String studyKey, String resource, List<Column> columns) {
    return new TableSchema(studyKey, resource, Kind.METADATA, null, columns);
  }

  /** Rebuilds a schema from its parts; used by coders. */
  public static TableSchema of(
      String studyKey, String tableKey, Kind kind, @Nullable Long formId, List<Column> columns) {
    return new TableSchema(studyKey, tableKey, kind, formId, columns);
  }

  public String studyKey() {
    return studyKey;
  }

  /** The form key for a form table, the resource name for a metadata table. */
  public String tableKey() {
    return tableKey;
  }

  public Kind kind() {
    return kind;
  }

  public @Nullable Long formId() {
    return formId;
  }

  public List<Column> columns() {
    return columns;
  }

  public int size() {
    return columns.size();
  }

  /** The position of the column with exactly this name, or -1. */
  public int indexOf(String name) {
    Map<String, Integer> index = indexByName;
    if (index == null) {
      index = new HashMap<>();
      for (int i = 0; i < columns.size(); i++) {
        index.put(columns.get(i).name(), i);
      }
      indexByName = index;
    }
    Integer i = index.get(name);
    return i == null ? -1 : i;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof TableSchema)) {
      return false;
    }
    TableSchema t = (TableSchema) o;
    return studyKey.equals(t.studyKey)
        && tableKey.equals(t.tableKey)
        && kind == t.kind
        && Objects.equals(formId, t.formId)
        && columns.equals(t.columns);
  }

  @Override
  public int hashCode() {
    return Objects.hash(studyKey, tableKey, kind, formId, columns);
  }

  @Override
  public String toString() {
    return kind + " " + studyKey + "/" + tableKey + " " + columns;
  }
}
