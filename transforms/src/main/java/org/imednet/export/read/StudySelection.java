package org.imednet.export.read;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.imednet.export.api.ImednetApi;
import org.imednet.export.api.ImednetResources;
import org.imednet.export.model.FormInfo;
import org.imednet.export.model.VariableInfo;

/**
 * Checks a selection against the API before a pipeline runs, so that a mistyped study key, form or
 * variable is one {@link SelectionException} rather than a failed job.
 *
 * <pre>{@code
 * try (ImednetApi api = HttpImednetClient.create(config)) {
 *   StudySelection.check(api, List.of("CARDIO01", "ONCO-22"), Set.of(), Set.of("SYSBP", "AGE"), false);
 * }
 * }</pre>
 *
 * <p>Rules, the same {@link FormSelection} applies while reading: every named study must be visible
 * to the API key; each {@code --forms} selector (key or id) and each {@code --vars} name must match
 * in at least one of the studies. A study where a selector matches nothing is read with the forms
 * that do match (with {@code --vars}: the forms having at least one of the names, each with the
 * names it has and every metadata column), and only its metadata tables when none do.
 *
 * <p>Cost: one forms list per named study; with a selection, also the variables list of every study
 * (sequential requests, through the client's retries and rate limit).
 */
public final class StudySelection {
  private StudySelection() {}

  /**
   * @param studiesFromApi the keys were listed by the API itself ({@code --all-studies}): they are
   *     not looked up again unless a selection needs their forms
   */
  public static void check(
      ImednetApi api,
      List<String> studies,
      Set<String> forms,
      Set<String> variables,
      boolean studiesFromApi)
      throws IOException {
    boolean selecting = !forms.isEmpty() || !variables.isEmpty();
    if (studiesFromApi && !selecting) {
      return;
    }
    FormSelection selection = new FormSelection(forms, variables, false);
    Set<String> formsUnmatched = new TreeSet<>(forms);
    Set<String> variablesUnmatched = new TreeSet<>(variables);
    FormSelection.Choice only = null;
    for (String study : studies) {
      List<FormInfo> studyForms = new ArrayList<>();
      for (JsonNode n : ApiLists.forms(api, study)) {
        studyForms.add(FormSelection.parseForm(study, n));
      }
      if (!selecting) {
        continue;
      }
      List<VariableInfo> studyVariables = new ArrayList<>();
      for (JsonNode n : ApiLists.all(api, study, ImednetResources.VARIABLES)) {
        studyVariables.add(FormSelection.parseVariable(study, n));
      }
      FormSelection.Choice choice = selection.choose(studyForms, studyVariables);
      formsUnmatched.retainAll(choice.unmatchedForms);
      variablesUnmatched.retainAll(choice.unmatchedVariables);
      only = choice;
    }
    if (studies.size() == 1 && only != null) {
      if (!only.unmatchedForms.isEmpty()) {
        throw new SelectionException(FormSelection.formMessage(studies.get(0), only), 0);
      }
      if (!only.unmatchedVariables.isEmpty()) {
        throw new SelectionException(FormSelection.variableMessage(studies.get(0), only), 0);
      }
      return;
    }
    if (!formsUnmatched.isEmpty()) {
      throw new SelectionException(
          "None of the studies " + names(studies) + " has a form matching " + formsUnmatched, 0);
    }
    if (!variablesUnmatched.isEmpty()) {
      throw new SelectionException(
          "None of the studies "
              + names(studies)
              + " has a variable matching "
              + variablesUnmatched
              + " in its selected forms",
          0);
    }
  }

  /** Up to ten study keys, for a message. */
  private static String names(List<String> studies) {
    int n = Math.min(10, studies.size());
    return "("
        + String.join(", ", studies.subList(0, n))
        + (studies.size() > n ? ", … " + studies.size() + " in all" : "")
        + ")";
  }
}
