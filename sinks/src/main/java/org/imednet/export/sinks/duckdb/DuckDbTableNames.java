package org.imednet.export.sinks.duckdb;

import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;

/**
 * Table names for {@link WriteDuckDbFile}, which DuckDB resolves case-insensitively.
 *
 * <p>Metadata tables are {@code imednet_<resource>} ({@code imednet_forms}, {@code
 * imednet_variables}, …, {@code imednet_columns}). In by-form mode a form's table is named by its
 * form key as is. Keys are taken in sorted (case-sensitive, UTF-16) order, and a key whose name is
 * already taken case-insensitively (by an earlier key or a metadata table of the run) gets {@code
 * _2}, {@code _3}, …: with forms {@code AE} and {@code ae}, {@code AE} is table {@code AE} and
 * {@code ae} is {@code ae_2}. An empty form key is table {@code form}. Names are derived from the
 * keys of one run, so the same key always gets the same name as long as the set of colliding keys
 * does not change between runs.
 */
final class DuckDbTableNames {
  static final String METADATA_PREFIX = "imednet_";

  private DuckDbTableNames() {}

  static String metadataTable(String resource) {
    return METADATA_PREFIX + resource;
  }

  /** Form key to table name for the given forms, avoiding the given (metadata) names. */
  static Map<String, String> formTables(SortedSet<String> formKeys, Set<String> reserved) {
    Set<String> taken = new HashSet<>();
    for (String r : reserved) {
      taken.add(r.toLowerCase(Locale.ROOT));
    }
    Map<String, String> names = new TreeMap<>();
    for (String key : formKeys) {
      String base = key.isEmpty() ? "form" : key;
      String name = base;
      for (int n = 2; taken.contains(name.toLowerCase(Locale.ROOT)); n++) {
        name = base + "_" + n;
      }
      taken.add(name.toLowerCase(Locale.ROOT));
      names.put(key, name);
    }
    return names;
  }

  /** A double-quoted SQL identifier. */
  static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  /** A single-quoted SQL string literal. */
  static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }
}
