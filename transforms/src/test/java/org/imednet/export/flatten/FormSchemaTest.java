package org.imednet.export.flatten;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.imednet.export.model.FormContext;
import org.imednet.export.model.FormInfo;
import org.imednet.export.model.VariableInfo;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.TableSchema;
import org.junit.jupiter.api.Test;

class FormSchemaTest {
  static final List<String> METADATA_NAMES =
      List.of(
          "study_key",
          "form_key",
          "form_id",
          "record_id",
          "record_oid",
          "record_type",
          "record_status",
          "subject_id",
          "subject_key",
          "subject_oid",
          "site_id",
          "interval_id",
          "visit_id",
          "parent_record_id",
          "deleted",
          "date_created",
          "date_modified");

  static VariableInfo var(long id, String name, String type, String label) {
    return new VariableInfo(id, name, type, label, (int) id, 3101, false, false);
  }

  static FormContext form(VariableInfo... variables) {
    return new FormContext(
        new FormInfo("CARDIO01", 3101, "VS", "Vital Signs", false), Arrays.asList(variables));
  }

  private static List<String> variableColumnNames(FormSchema schema) {
    List<String> names = new ArrayList<>();
    for (Column c : schema.table().columns()) {
      if (c.kind() == Column.Kind.VARIABLE) {
        names.add(c.name());
      }
    }
    return names;
  }

  @Test
  void layoutIsMetadataThenVariablesThenSystemColumns() {
    FormSchema schema =
        FormSchema.of(
            form(
                var(1, "VSDAT", "Date", "Visit date"),
                var(2, "SYSBP", "Integer", "Systolic"),
                var(3, "VSPOS", "RADIO", "Position")),
            false);
    TableSchema t = schema.table();
    assertEquals(TableSchema.Kind.FORM, t.kind());
    assertEquals("CARDIO01", t.studyKey());
    assertEquals("VS", t.tableKey());
    assertEquals(3101L, t.formId());
    List<Column> expected = new ArrayList<>();
    expected.add(Column.metadata("study_key", ColumnType.STRING));
    expected.add(Column.metadata("form_key", ColumnType.STRING));
    expected.add(Column.metadata("form_id", ColumnType.LONG));
    expected.add(Column.metadata("record_id", ColumnType.LONG));
    expected.add(Column.metadata("record_oid", ColumnType.STRING));
    expected.add(Column.metadata("record_type", ColumnType.STRING));
    expected.add(Column.metadata("record_status", ColumnType.STRING));
    expected.add(Column.metadata("subject_id", ColumnType.LONG));
    expected.add(Column.metadata("subject_key", ColumnType.STRING));
    expected.add(Column.metadata("subject_oid", ColumnType.STRING));
    expected.add(Column.metadata("site_id", ColumnType.LONG));
    expected.add(Column.metadata("interval_id", ColumnType.LONG));
    expected.add(Column.metadata("visit_id", ColumnType.LONG));
    expected.add(Column.metadata("parent_record_id", ColumnType.LONG));
    expected.add(Column.metadata("deleted", ColumnType.BOOLEAN));
    expected.add(Column.metadata("date_created", ColumnType.TIMESTAMP));
    expected.add(Column.metadata("date_modified", ColumnType.TIMESTAMP));
    expected.add(Column.variable("VSDAT", ColumnType.DATE, "VSDAT", "Date", "Visit date"));
    expected.add(Column.variable("SYSBP", ColumnType.LONG, "SYSBP", "Integer", "Systolic"));
    expected.add(Column.variable("VSPOS", ColumnType.STRING, "VSPOS", "RADIO", "Position"));
    expected.add(Column.system("_parse_errors", ColumnType.STRING));
    expected.add(Column.system("_record_data", ColumnType.STRING));
    assertEquals(expected, t.columns());
    assertEquals(List.of(), schema.unknownTypeVariables());
  }

  @Test
  void caseOnlyCollisionsGetSuffixesInVariableOrder() {
    FormSchema schema =
        FormSchema.of(
            form(
                var(1, "AGE", "integer", null),
                var(2, "age", "integer", null),
                var(3, "Age", "text", null)),
            false);
    assertEquals(List.of("AGE", "age_2", "Age_3"), variableColumnNames(schema));
    List<Column> columns = schema.table().columns();
    assertEquals("age", columns.get(18).sourceVariable());
    assertEquals("Age", columns.get(19).sourceVariable());
  }

  @Test
  void metadataAndSystemNamesAreReserved() {
    FormSchema schema =
        FormSchema.of(
            form(
                var(1, "record_id", "integer", null),
                var(2, "Deleted", "boolean", null),
                var(3, "_RECORD_DATA", "text", null),
                var(4, "_parse_errors", "text", null)),
            false);
    assertEquals(
        List.of("record_id_2", "Deleted_2", "_RECORD_DATA_2", "_parse_errors_2"),
        variableColumnNames(schema));
    assertEquals(
        METADATA_NAMES, schema.table().columns().stream().limit(17).map(Column::name).toList());
  }

  @Test
  void suffixedNamesDoNotCollideEither() {
    FormSchema schema =
        FormSchema.of(
            form(
                var(1, "X", "text", null),
                var(2, "X", "text", null),
                var(3, "X_2", "text", null),
                var(4, "x", "text", null)),
            false);
    assertEquals(List.of("X", "X_2", "X_2_2", "x_3"), variableColumnNames(schema));
  }

  @Test
  void duplicateVariableNamesOnOneFormKeepBothColumns() {
    FormSchema schema =
        FormSchema.of(
            form(var(1, "AETERM", "text", "Term"), var(2, "AETERM", "text", "Term")), false);
    List<Column> columns = schema.table().columns();
    assertEquals(
        Column.variable("AETERM", ColumnType.STRING, "AETERM", "text", "Term"), columns.get(17));
    assertEquals(
        Column.variable("AETERM_2", ColumnType.STRING, "AETERM", "text", "Term"), columns.get(18));
  }

  @Test
  void labelsWithCollisionsNullsAndBlanks() {
    FormContext form =
        form(
            var(1, "SYSBP", "integer", "Blood pressure"),
            var(2, "DIABP", "integer", "blood pressure"),
            var(3, "PULSE", "integer", null),
            var(4, "TEMP", "number", "   "),
            var(5, "WEIGHT", "number", "  Weight (kg) "),
            var(6, "HEIGHT", "number", "Subject Key"),
            var(7, "BMI", "number", "subject_key"),
            var(8, "NOTE", "text", "PULSE"));
    assertEquals(
        List.of(
            "Blood pressure",
            "blood pressure_2",
            "PULSE",
            "TEMP",
            "Weight (kg)",
            "Subject Key",
            "subject_key_2",
            "PULSE_2"),
        variableColumnNames(FormSchema.of(form, true)));
    assertEquals(
        List.of("SYSBP", "DIABP", "PULSE", "TEMP", "WEIGHT", "HEIGHT", "BMI", "NOTE"),
        variableColumnNames(FormSchema.of(form, false)));
    Column weight = FormSchema.of(form, true).table().columns().get(21);
    assertEquals(
        Column.variable("Weight (kg)", ColumnType.DOUBLE, "WEIGHT", "number", "  Weight (kg) "),
        weight);
  }

  @Test
  void unknownTypesAreStringsAndReported() {
    VariableInfo lookup = var(1, "SITEREF", "Lookup", null);
    VariableInfo untyped = var(2, "MISC", null, null);
    FormSchema schema = FormSchema.of(form(lookup, var(3, "OK", "text", null), untyped), false);
    assertEquals(List.of(lookup, untyped), schema.unknownTypeVariables());
    assertEquals(ColumnType.STRING, schema.table().columns().get(17).type());
    assertEquals(ColumnType.STRING, schema.table().columns().get(19).type());
  }

  @Test
  void columnsTableMapsEveryColumn() {
    FormSchema schema =
        FormSchema.of(
            form(var(1, "SYSBP", "Integer", "Systolic"), var(2, "sysbp", "Lookup", null)), true);
    TableSchema columnsTable = FormSchema.columnsTable("CARDIO01");
    assertEquals(TableSchema.Kind.METADATA, columnsTable.kind());
    assertEquals("columns", columnsTable.tableKey());
    assertEquals(
        List.of(
            "study_key",
            "form_key",
            "column_name",
            "source_variable",
            "label",
            "variable_type",
            "column_type",
            "position"),
        columnsTable.columns().stream().map(Column::name).toList());
    List<Object[]> rows = schema.columnsRows();
    assertEquals(21, rows.size());
    assertArrayEquals(
        new Object[] {"CARDIO01", "VS", "study_key", null, null, null, "STRING", 1L}, rows.get(0));
    assertArrayEquals(
        new Object[] {"CARDIO01", "VS", "date_modified", null, null, null, "TIMESTAMP", 17L},
        rows.get(16));
    assertArrayEquals(
        new Object[] {"CARDIO01", "VS", "Systolic", "SYSBP", "Systolic", "Integer", "LONG", 18L},
        rows.get(17));
    assertArrayEquals(
        new Object[] {"CARDIO01", "VS", "sysbp", "sysbp", null, "Lookup", "STRING", 19L},
        rows.get(18));
    assertArrayEquals(
        new Object[] {"CARDIO01", "VS", "_parse_errors", null, null, null, "STRING", 20L},
        rows.get(19));
    assertArrayEquals(
        new Object[] {"CARDIO01", "VS", "_record_data", null, null, null, "STRING", 21L},
        rows.get(20));
  }
}
