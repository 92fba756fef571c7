package org.imednet.export.read;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.annotation.Nullable;
import org.imednet.export.api.ImednetApiException;
import org.imednet.export.model.FormContext;
import org.imednet.export.model.FormInfo;
import org.imednet.export.model.VariableInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a study's forms and variables, as the API lists them, into the {@link FormContext}s to
 * read, applying {@code --forms} (form key or numeric form id) and {@code --vars} (exact variable
 * name) on our side whatever the server does with such filters.
 *
 * <p>Rules: disabled forms are read like any other. Deleted and disabled variables are kept (older
 * records may still carry their values; {@link VariableInfo} carries both flags so later stages can
 * decide). With a variable selection, each form keeps the selected variables it has and its
 * metadata columns; a form that has none of them is not read. A selector that matches nothing in
 * the study is a {@link SelectionException} when {@code strict} (one study named by the user), else
 * logged once per study (a form or variable need not exist in every study read; {@link
 * StudySelection#check} fails a selector that matches in none of them before a pipeline runs).
 */
final class FormSelection implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(FormSelection.class);

  private final Set<String> forms;
  private final Set<String> variables;
  private final boolean strict;

  FormSelection(Set<String> forms, Set<String> variables, boolean strict) {
    this.forms = Set.copyOf(forms);
    this.variables = Set.copyOf(variables);
    this.strict = strict;
  }

  /** The forms to read in one study, and the selectors that matched nothing there. */
  static final class Choice {
    final List<FormContext> forms;

    /** Form selectors (keys or ids) no form of the study has, sorted. */
    final Set<String> unmatchedForms;

    /** Variable names no chosen form of the study has, sorted. */
    final Set<String> unmatchedVariables;

    /** The study's forms as {@code KEY (id), …}, for messages. */
    final String formsListed;

    /** The forms chosen by {@code --forms} (before the variable selection), for messages. */
    final String formsChosen;

    /** Variables whose form the study does not list; they are not read. */
    final int orphanVariables;

    Choice(
        List<FormContext> forms,
        Set<String> unmatchedForms,
        Set<String> unmatchedVariables,
        String formsListed,
        String formsChosen,
        int orphanVariables) {
      this.forms = forms;
      this.unmatchedForms = unmatchedForms;
      this.unmatchedVariables = unmatchedVariables;
      this.formsListed = formsListed;
      this.formsChosen = formsChosen;
      this.orphanVariables = orphanVariables;
    }
  }

  List<FormContext> select(String studyKey, List<FormInfo> studyForms, List<VariableInfo> vars)
      throws ImednetApiException {
    Choice choice = choose(studyForms, vars);
    if (choice.orphanVariables > 0) {
      LOG.warn(
          "Study '{}': {} variables belong to no listed form and are not exported",
          studyKey,
          choice.orphanVariables);
    }
    if (!choice.unmatchedForms.isEmpty()) {
      unmatched(formMessage(studyKey, choice));
    }
    if (!choice.unmatchedVariables.isEmpty()) {
      unmatched(variableMessage(studyKey, choice));
    }
    return choice.forms;
  }

  static String formMessage(String studyKey, Choice choice) {
    return "Study '"
        + studyKey
        + "' has no form matching "
        + choice.unmatchedForms
        + " (forms: "
        + choice.formsListed
        + ")";
  }

  static String variableMessage(String studyKey, Choice choice) {
    return "Study '"
        + studyKey
        + "' has no variable matching "
        + choice.unmatchedVariables
        + " in the selected forms ("
        + choice.formsChosen
        + ")";
  }

  /** Applies the selection to one study's forms and variables; never throws for a selector. */
  Choice choose(List<FormInfo> studyForms, List<VariableInfo> vars) {
    List<FormInfo> chosen = new ArrayList<>();
    Set<String> unmatchedForms = new TreeSet<>(forms);
    for (FormInfo f : studyForms) {
      boolean byKey = forms.contains(f.formKey());
      boolean byId = forms.contains(Long.toString(f.formId()));
      if (forms.isEmpty() || byKey || byId) {
        chosen.add(f);
        unmatchedForms.remove(f.formKey());
        unmatchedForms.remove(Long.toString(f.formId()));
      }
    }

    Map<Long, List<VariableInfo>> byForm = new LinkedHashMap<>();
    Set<Long> studyFormIds = new HashSet<>();
    for (FormInfo f : studyForms) {
      studyFormIds.add(f.formId());
    }
    int orphans = 0;
    for (VariableInfo v : vars) {
      if (!studyFormIds.contains(v.formId())) {
        orphans++;
        continue;
      }
      byForm.computeIfAbsent(v.formId(), k -> new ArrayList<>()).add(v);
    }
    List<FormContext> result = new ArrayList<>();
    Set<String> unmatchedVars = new TreeSet<>(variables);
    for (FormInfo f : chosen) {
      List<VariableInfo> formVars = new ArrayList<>(byForm.getOrDefault(f.formId(), List.of()));
      formVars.sort(
          Comparator.comparingInt(VariableInfo::sequence)
              .thenComparingLong(VariableInfo::variableId));
      if (!variables.isEmpty()) {
        formVars.removeIf(v -> !variables.contains(v.variableName()));
        if (formVars.isEmpty()) {
          continue;
        }
        formVars.forEach(v -> unmatchedVars.remove(v.variableName()));
      }
      result.add(new FormContext(f, formVars));
    }
    result.sort(Comparator.comparingLong(c -> c.form().formId()));
    return new Choice(
        result,
        unmatchedForms,
        unmatchedVars,
        studyForms.stream()
            .map(f -> f.formKey() + " (" + f.formId() + ")")
            .collect(Collectors.joining(", ")),
        chosen.stream().map(FormInfo::formKey).collect(Collectors.joining(", ")),
        orphans);
  }

  private void unmatched(String message) throws SelectionException {
    if (strict) {
      throw new SelectionException(message, 0);
    }
    LOG.warn("{}; reading the rest", message);
  }

  /** A form as listed by {@code /forms}; a form without a key cannot be named and is an error. */
  static FormInfo parseForm(String studyKey, JsonNode n) throws ImednetApiException {
    long formId = requiredLong(studyKey, "form", n, "formId");
    JsonNode key = n.get("formKey");
    if (key == null || !key.isTextual() || key.asText().isBlank()) {
      throw new ImednetApiException(
          "Study '"
              + studyKey
              + "': form with formId "
              + formId
              + " has no formKey, so its table cannot be named: "
              + abbreviate(n),
          0,
          null);
    }
    return new FormInfo(
        studyKey, formId, key.asText(), text(n, "formName"), n.path("disabled").asBoolean(false));
  }

  /** A variable as listed by {@code /variables}; one without a name cannot be read from records. */
  static VariableInfo parseVariable(String studyKey, JsonNode n) throws ImednetApiException {
    long variableId = requiredLong(studyKey, "variable", n, "variableId");
    long formId = requiredLong(studyKey, "variable", n, "formId");
    JsonNode name = n.get("variableName");
    if (name == null || !name.isTextual() || name.asText().isEmpty()) {
      throw new ImednetApiException(
          "Study '"
              + studyKey
              + "': variable "
              + variableId
              + " of formId "
              + formId
              + " has no variableName: "
              + abbreviate(n),
          0,
          null);
    }
    return new VariableInfo(
        variableId,
        name.asText(),
        text(n, "variableType"),
        text(n, "label"),
        n.path("sequence").asInt(0),
        formId,
        n.path("disabled").asBoolean(false),
        n.path("deleted").asBoolean(false));
  }

  private static long requiredLong(String studyKey, String what, JsonNode n, String field)
      throws ImednetApiException {
    JsonNode v = n.get(field);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new ImednetApiException(
          "Study '" + studyKey + "': a " + what + " has no integer " + field + ": " + abbreviate(n),
          0,
          null);
    }
    return v.longValue();
  }

  private static @Nullable String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static String abbreviate(JsonNode n) {
    String s = n.toString();
    return s.length() <= 200 ? s : s.substring(0, 200) + "…";
  }
}
