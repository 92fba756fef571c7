package org.imednet.export.sinks.snowflake;

import java.util.Locale;
import javax.annotation.Nullable;
import org.imednet.export.rows.TableSchema;

/**
 * Which Snowflake table a {@link TableSchema} loads into.
 *
 * <ul>
 *   <li>a form: {@code <STUDY>_<FORMKEY>}, e.g. study {@code MY-STUDY}, form {@code demog} → {@code
 *       MY_STUDY_DEMOG}; with a single table configured, that table for every form;
 *   <li>a study metadata resource: {@code <STUDY>_META_<RESOURCE>}, e.g. {@code
 *       MY_STUDY_META_VARIABLES}, also in single-table mode (their columns differ from records).
 * </ul>
 *
 * <p>Names are upper-cased with every character outside {@code A-Z0-9_} replaced by {@code _}, so
 * they can be typed unquoted in Snowflake; study keys are part of the name because forms of two
 * studies with the same key may have different variables.
 */
public final class TableNames {
  private TableNames() {}

  public static String of(TableSchema schema, @Nullable String singleTable) {
    String study = sanitize(schema.studyKey());
    if (schema.kind() == TableSchema.Kind.METADATA) {
      return study + "_META_" + sanitize(schema.tableKey());
    }
    return singleTable != null ? singleTable : study + "_" + sanitize(schema.tableKey());
  }

  /** Upper case, everything outside {@code A-Z0-9_} as {@code _}. */
  public static String sanitize(String name) {
    String upper = name.toUpperCase(Locale.ROOT);
    StringBuilder out = new StringBuilder(upper.length());
    for (int i = 0; i < upper.length(); i++) {
      char c = upper.charAt(i);
      out.append((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
    }
    return out.toString();
  }
}
