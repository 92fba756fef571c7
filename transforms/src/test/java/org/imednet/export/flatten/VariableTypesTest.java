package org.imednet.export.flatten;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.imednet.export.rows.ColumnType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class VariableTypesTest {

  @ParameterizedTest
  @CsvSource({
    "integer, LONG",
    "INT, LONG",
    "Number, DOUBLE",
    "float, DOUBLE",
    "Decimal, DOUBLE",
    "numeric, DOUBLE",
    "double, DOUBLE",
    "Boolean, BOOLEAN",
    "bool, BOOLEAN",
    "Yes/No, BOOLEAN",
    "date, DATE",
    "DateTime, TIMESTAMP",
    "Date/Time Precision, TIMESTAMP",
    "timestamp, TIMESTAMP",
    "Text, STRING",
    "string, STRING",
    "TextArea, STRING",
    "memo, STRING",
    "RADIO, STRING",
    "dropdown, STRING",
    "Coded, STRING",
    "Checkbox, STRING",
    "Signature, STRING",
    "File, STRING",
    "upload, STRING",
    "time, STRING",
  })
  void knownTypes(String variableType, ColumnType expected) {
    assertEquals(expected, VariableTypes.columnType(variableType));
    assertTrue(VariableTypes.isKnown(variableType));
  }

  @ParameterizedTest
  @ValueSource(strings = {"  Integer\t", " yes/no "})
  void trimsBeforeComparing(String variableType) {
    assertTrue(VariableTypes.isKnown(variableType));
  }

  @ParameterizedTest
  @ValueSource(strings = {"Lookup", "", "  ", "date time", "integers"})
  void unknownTypesAreStrings(String variableType) {
    assertEquals(ColumnType.STRING, VariableTypes.columnType(variableType));
    assertFalse(VariableTypes.isKnown(variableType));
  }

  @org.junit.jupiter.api.Test
  void nullTypeIsUnknownString() {
    assertEquals(ColumnType.STRING, VariableTypes.columnType(null));
    assertFalse(VariableTypes.isKnown(null));
  }
}
