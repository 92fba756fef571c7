package org.imednet.export.model;

import java.io.Serializable;
import java.util.Objects;
import javax.annotation.Nullable;

/** One form of a study, as listed by {@code GET /studies/{studyKey}/forms}. */
public final class FormInfo implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String studyKey;
  private final long formId;
  private final String formKey;
  private final @Nullable String formName;
  private final boolean disabled;

  public FormInfo(
      String studyKey, long formId, String formKey, @Nullable String formName, boolean disabled) {
    this.studyKey = Objects.requireNonNull(studyKey, "studyKey");
    this.formId = formId;
    this.formKey = Objects.requireNonNull(formKey, "formKey");
    this.formName = formName;
    this.disabled = disabled;
  }

  public String studyKey() {
    return studyKey;
  }

  public long formId() {
    return formId;
  }

  public String formKey() {
    return formKey;
  }

  public @Nullable String formName() {
    return formName;
  }

  public boolean disabled() {
    return disabled;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof FormInfo)) {
      return false;
    }
    FormInfo f = (FormInfo) o;
    return studyKey.equals(f.studyKey)
        && formId == f.formId
        && formKey.equals(f.formKey)
        && Objects.equals(formName, f.formName)
        && disabled == f.disabled;
  }

  @Override
  public int hashCode() {
    return Objects.hash(studyKey, formId, formKey, formName, disabled);
  }

  @Override
  public String toString() {
    return studyKey + "/" + formKey + " (formId " + formId + ")";
  }
}
