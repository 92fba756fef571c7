package org.imednet.export.model;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * A form with the variables that become its columns, in API order ({@code sequence}, then {@code
 * variableId}). Variables not selected by {@code --vars} are already removed.
 */
public final class FormContext implements Serializable {
  private static final long serialVersionUID = 1L;

  private final FormInfo form;
  private final List<VariableInfo> variables;

  public FormContext(FormInfo form, List<VariableInfo> variables) {
    this.form = Objects.requireNonNull(form, "form");
    this.variables = Collections.unmodifiableList(new ArrayList<>(variables));
  }

  public FormInfo form() {
    return form;
  }

  public List<VariableInfo> variables() {
    return variables;
  }

  public String studyKey() {
    return form.studyKey();
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof FormContext)) {
      return false;
    }
    FormContext c = (FormContext) o;
    return form.equals(c.form) && variables.equals(c.variables);
  }

  @Override
  public int hashCode() {
    return Objects.hash(form, variables);
  }

  @Override
  public String toString() {
    return form + " " + variables;
  }
}
