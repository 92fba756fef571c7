package org.imednet.export.rows;

import java.io.Serializable;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * One output column: its final (de-duplicated) name, its type, and where its values come from.
 *
 * <p>For a variable column {@code sourceVariable} is the key in the record's {@code recordData} and
 * {@code variableType} the raw {@code variableType} from the variables metadata; both are null for
 * metadata and system columns.
 */
public final class Column implements Serializable {
  private static final long serialVersionUID = 1L;

  /** What a column holds. */
  public enum Kind {
    /** A record field such as {@code record_id} or a metadata resource field. */
    METADATA,
    /** A variable value from {@code recordData}. */
    VARIABLE,
    /** Added by the exporter, such as {@code _parse_errors}. */
    SYSTEM
  }

  private final String name;
  private final ColumnType type;
  private final Kind kind;
  private final @Nullable String sourceVariable;
  private final @Nullable String variableType;
  private final @Nullable String label;

  private Column(
      String name,
      ColumnType type,
      Kind kind,
      @Nullable String sourceVariable,
      @Nullable String variableType,
      @Nullable String label) {
    this.name = Objects.requireNonNull(name, "name");
    this.type = Objects.requireNonNull(type, "type");
    this.kind = Objects.requireNonNull(kind, "kind");
    this.sourceVariable = sourceVariable;
    this.variableType = variableType;
    this.label = label;
  }

  public static Column metadata(String name, ColumnType type) {
    return new Column(name, type, Kind.METADATA, null, null, null);
  }

  public static Column system(String name, ColumnType type) {
    return new Column(name, type, Kind.SYSTEM, null, null, null);
  }

  public static Column variable(
      String name,
      ColumnType type,
      String sourceVariable,
      @Nullable String variableType,
      @Nullable String label) {
    return new Column(
        name,
        type,
        Kind.VARIABLE,
        Objects.requireNonNull(sourceVariable, "sourceVariable"),
        variableType,
        label);
  }

  /** Rebuilds a column from its parts; used by coders. */
  public static Column of(
      String name,
      ColumnType type,
      Kind kind,
      @Nullable String sourceVariable,
      @Nullable String variableType,
      @Nullable String label) {
    return new Column(name, type, kind, sourceVariable, variableType, label);
  }

  public String name() {
    return name;
  }

  public ColumnType type() {
    return type;
  }

  public Kind kind() {
    return kind;
  }

  public @Nullable String sourceVariable() {
    return sourceVariable;
  }

  public @Nullable String variableType() {
    return variableType;
  }

  public @Nullable String label() {
    return label;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Column)) {
      return false;
    }
    Column c = (Column) o;
    return name.equals(c.name)
        && type == c.type
        && kind == c.kind
        && Objects.equals(sourceVariable, c.sourceVariable)
        && Objects.equals(variableType, c.variableType)
        && Objects.equals(label, c.label);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, type, kind, sourceVariable, variableType, label);
  }

  @Override
  public String toString() {
    return name + " " + type + (sourceVariable == null ? "" : " <- " + sourceVariable);
  }
}
