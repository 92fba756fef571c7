package org.imednet.export.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.imednet.export.api.ImednetApiException;
import org.imednet.export.model.FormContext;
import org.imednet.export.model.FormInfo;
import org.imednet.export.model.VariableInfo;
import org.junit.jupiter.api.Test;

class FormSelectionTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final FormInfo DM = new FormInfo("S", 3100, "DM", "Demographics", false);
  private static final FormInfo VS = new FormInfo("S", 3101, "VS", "Vital Signs", true);
  private static final FormInfo AE = new FormInfo("S", 3102, "AE LOG", null, false);

  private static VariableInfo var(long id, String name, int seq, long formId, boolean deleted) {
    return new VariableInfo(id, name, "text", null, seq, formId, false, deleted);
  }

  private static final List<VariableInfo> VARS =
      List.of(
          var(3, "SYSBP", 2, 3101, false),
          var(1, "VSDAT", 1, 3101, false),
          var(2, "OLD", 2, 3101, true),
          var(9, "SEX", 1, 3100, false),
          var(99, "ORPHAN", 1, 9999, false));

  private static String describe(List<FormContext> forms) {
    return forms.stream()
        .map(
            c ->
                c.form().formKey()
                    + c.variables().stream()
                        .map(VariableInfo::variableName)
                        .collect(Collectors.toList()))
        .collect(Collectors.joining(" "));
  }

  @Test
  void everythingByDefaultOrderedBySequenceThenIdWithDeletedAndDisabledKept() throws Exception {
    FormSelection all = new FormSelection(Set.of(), Set.of(), true);
    assertEquals(
        "DM[SEX] VS[VSDAT, OLD, SYSBP] AE LOG[]",
        describe(all.select("S", List.of(AE, VS, DM), VARS)));
  }

  @Test
  void formsByKeyOrId() throws Exception {
    FormSelection s = new FormSelection(Set.of("AE LOG", "3101"), Set.of(), true);
    assertEquals(
        "VS[VSDAT, OLD, SYSBP] AE LOG[]", describe(s.select("S", List.of(DM, VS, AE), VARS)));
  }

  @Test
  void variablesByExactNameDropFormsWithoutThem() throws Exception {
    FormSelection s = new FormSelection(Set.of(), Set.of("SYSBP"), true);
    assertEquals("VS[SYSBP]", describe(s.select("S", List.of(DM, VS, AE), VARS)));
  }

  @Test
  void unmatchedSelectorsFailWhenStrictAndAreSkippedOtherwise() throws Exception {
    FormSelection strict = new FormSelection(Set.of("VSS", "DM"), Set.of(), true);
    ImednetApiException e =
        assertThrows(SelectionException.class, () -> strict.select("S", List.of(DM, VS), VARS));
    assertEquals(
        "Study 'S' has no form matching [VSS] (forms: DM (3100), VS (3101))", e.getMessage());
    FormSelection strictVars = new FormSelection(Set.of("DM"), Set.of("SYSBP"), true);
    e = assertThrows(SelectionException.class, () -> strictVars.select("S", List.of(DM, VS), VARS));
    assertEquals(
        "Study 'S' has no variable matching [SYSBP] in the selected forms (DM)", e.getMessage());
    FormSelection lenient = new FormSelection(Set.of("VSS", "DM"), Set.of(), false);
    assertEquals("DM[SEX]", describe(lenient.select("S", List.of(DM, VS), VARS)));
  }

  @Test
  void formWithoutKeyIsAnError() throws Exception {
    ImednetApiException e =
        assertThrows(
            ImednetApiException.class,
            () -> FormSelection.parseForm("S", JSON.readTree("{\"formId\":7,\"formKey\":\" \"}")));
    assertEquals(
        "Study 'S': form with formId 7 has no formKey, so its table cannot be named:"
            + " {\"formId\":7,\"formKey\":\" \"}",
        e.getMessage());
    assertThrows(
        ImednetApiException.class,
        () -> FormSelection.parseForm("S", JSON.readTree("{\"formKey\":\"X\"}")));
  }

  @Test
  void parsesFormsAndVariables() throws Exception {
    assertEquals(
        new FormInfo("S", 3101, "VS", "Vital Signs", true),
        FormSelection.parseForm(
            "S",
            JSON.readTree(
                "{\"formId\":3101,\"formKey\":\"VS\",\"formName\":\"Vital Signs\",\"disabled\":true}")));
    assertEquals(
        new VariableInfo(90211, "VSPOS", "RADIO", "Position", 3, 3101, false, true),
        FormSelection.parseVariable(
            "S",
            JSON.readTree(
                "{\"variableId\":90211,\"variableType\":\"RADIO\",\"variableName\":\"VSPOS\","
                    + "\"sequence\":3,\"disabled\":false,\"formId\":3101,\"deleted\":true,"
                    + "\"label\":\"Position\"}")));
  }
}
