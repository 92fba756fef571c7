package org.imednet.export.model;

import java.io.Serializable;
import java.util.Objects;
import javax.annotation.Nullable;

/** One variable of a form, as listed by {@code GET /studies/{studyKey}/variables}. */
public final class VariableInfo implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long variableId;
  private final String variableName;
  private final @Nullable String variableType;
  private final @Nullable String label;
  private final int sequence;
  private final long formId;
  private final boolean disabled;
  private final boolean deleted;

  public VariableInfo(
      long variableId,
      String variableName,
      @Nullable String variableType,
      @Nullable String label,
      int sequence,
      long formId,
      boolean disabled,
      boolean deleted) {
    this.variableId = variableId;
    this.variableName = Objects.requireNonNull(variableName, "variableName");
    this.variableType = variableType;
    this.label = label;
    this.sequence = sequence;
    this.formId = formId;
    this.disabled = disabled;
    this.deleted = deleted;
  }

  public long variableId() {
    return variableId;
  }

  /** The key of this variable's value in a record's {@code recordData}. */
  public String variableName() {
    return variableName;
  }

  /** The raw {@code variableType}, in whatever case the API sent it. */
  public @Nullable String variableType() {
    return variableType;
  }

  public @Nullable String label() {
    return label;
  }

  public int sequence() {
    return sequence;
  }

  public long formId() {
    return formId;
  }

  public boolean disabled() {
    return disabled;
  }

  public boolean deleted() {
    return deleted;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof VariableInfo)) {
      return false;
    }
    VariableInfo v = (VariableInfo) o;
    return variableId == v.variableId
        && variableName.equals(v.variableName)
        && Objects.equals(variableType, v.variableType)
        && Objects.equals(label, v.label)
        && sequence == v.sequence
        && formId == v.formId
        && disabled == v.disabled
        && deleted == v.deleted;
  }

  @Override
  public int hashCode() {
    return Objects.hash(variableId, variableName, variableType, label, sequence, formId);
  }

  @Override
  public String toString() {
    return variableName + ":" + variableType;
  }
}
