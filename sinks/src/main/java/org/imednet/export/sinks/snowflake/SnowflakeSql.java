package org.imednet.export.sinks.snowflake;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.ColumnType;

/**
 * The SQL text the loader sends, built in one place so quoting is uniform and testable.
 *
 * <p>Every identifier is double-quoted with embedded quotes doubled. A name that is a valid
 * unquoted Snowflake identifier ({@code [A-Za-z_][A-Za-z0-9_$]*}) is upper-cased first, so {@code
 * imednet_db} means the same object quoted or not, as users expect; any other name keeps its exact
 * text. String literals (local file paths) are single-quoted with {@code \} and {@code '} escaped.
 */
final class SnowflakeSql {
  private static final Pattern UNQUOTED_IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*");
  private static final Pattern STAGE_PATH_SEGMENT = Pattern.compile("[A-Za-z0-9_.=-]+");

  private SnowflakeSql() {}

  /** A quoted identifier, upper-cased when it would be a valid unquoted one. */
  static String identifier(String name) {
    if (name.isEmpty()) {
      throw new IllegalArgumentException("An identifier cannot be empty");
    }
    String normalized = normalizedName(name);
    return "\"" + normalized.replace("\"", "\"\"") + "\"";
  }

  /** The name Snowflake stores for {@link #identifier}: upper case if valid unquoted. */
  static String normalizedName(String name) {
    return UNQUOTED_IDENTIFIER.matcher(name).matches() ? name.toUpperCase(Locale.ROOT) : name;
  }

  /** {@code "DB"."SCHEMA"."TABLE"}. */
  static String qualifiedTable(String database, String schema, String table) {
    return identifier(database) + "." + identifier(schema) + "." + identifier(table);
  }

  /** A single-quoted SQL string literal. */
  static String literal(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  /** The stage reference, {@code @"STAGE"}, or {@code @~} for the user stage. */
  static String stageRef(String stage) {
    return stage.equals("~") ? "@~" : "@" + identifier(stage);
  }

  /**
   * Checks a stage path segment (prefix part, table folder, file name). We generate them from safe
   * characters only, because COPY's FROM clause cannot quote a path.
   */
  static String checkStagePath(String path) {
    for (String segment : path.split("/", -1)) {
      if (!STAGE_PATH_SEGMENT.matcher(segment).matches()) {
        throw new IllegalArgumentException(
            "Stage path '"
                + path
                + "' has an empty segment or a character outside [A-Za-z0-9_.=-]");
      }
    }
    return path;
  }

  /** The Snowflake column type for a row value type. */
  static String typeOf(ColumnType type) {
    switch (type) {
      case STRING:
        return "VARCHAR";
      case LONG:
        return "NUMBER(38,0)";
      case DOUBLE:
        return "FLOAT";
      case BOOLEAN:
        return "BOOLEAN";
      case DATE:
        return "DATE";
      case TIMESTAMP:
        return "TIMESTAMP_NTZ";
    }
    throw new IllegalArgumentException("Unknown column type " + type);
  }

  /** {@code PUT 'file://<abs>' @"STAGE"/<dir>/ AUTO_COMPRESS = FALSE OVERWRITE = FALSE}. */
  static String put(String absoluteLocalFile, String stage, String stageDir) {
    return "PUT "
        + literal("file://" + absoluteLocalFile)
        + " "
        + stageRef(stage)
        + "/"
        + checkStagePath(stageDir)
        + "/ AUTO_COMPRESS = FALSE OVERWRITE = FALSE";
  }

  /** COPY of one staged Parquet file, columns matched by name. */
  static String copyInto(String qualifiedTable, String stage, String stageFile, boolean force) {
    return "COPY INTO "
        + qualifiedTable
        + " FROM "
        + stageRef(stage)
        + "/"
        + checkStagePath(stageFile)
        + " FILE_FORMAT = (TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE FORCE = "
        + (force ? "TRUE" : "FALSE");
  }

  /** {@code REMOVE @"STAGE"/<file>}. */
  static String remove(String stage, String stageFile) {
    return "REMOVE " + stageRef(stage) + "/" + checkStagePath(stageFile);
  }

  /** CREATE TABLE IF NOT EXISTS with one column per row column, typed by {@link #typeOf}. */
  static String createTableIfNotExists(String qualifiedTable, List<Column> columns) {
    return "CREATE TABLE IF NOT EXISTS " + qualifiedTable + " (" + columnDefinitions(columns) + ")";
  }

  /**
   * A per-batch staging table. TRANSIENT: no Fail-safe storage for data that lives seconds; the
   * loader drops it after the replace.
   */
  static String createStagingTable(String qualifiedTable, List<Column> columns) {
    return "CREATE OR REPLACE TRANSIENT TABLE "
        + qualifiedTable
        + " ("
        + columnDefinitions(columns)
        + ")";
  }

  static String addColumn(String qualifiedTable, Column column) {
    return "ALTER TABLE "
        + qualifiedTable
        + " ADD COLUMN IF NOT EXISTS "
        + identifier(column.name())
        + " "
        + typeOf(column.type());
  }

  static String dropTableIfExists(String qualifiedTable) {
    return "DROP TABLE IF EXISTS " + qualifiedTable;
  }

  /** An empty SELECT whose result metadata lists the table's columns (portable, no catalog). */
  static String describeColumns(String qualifiedTable) {
    return "SELECT * FROM " + qualifiedTable + " WHERE 1 = 0";
  }

  /**
   * Deletes the target rows that the staging table replaces, matched on every key column. NULL keys
   * never match, so rows without a key are only ever added.
   */
  static String deleteReplaced(String target, String staging, List<String> keyColumns) {
    String match =
        keyColumns.stream()
            .map(k -> "s." + identifier(k) + " = t." + identifier(k))
            .collect(Collectors.joining(" AND "));
    return "DELETE FROM "
        + target
        + " t WHERE EXISTS (SELECT 1 FROM "
        + staging
        + " s WHERE "
        + match
        + ")";
  }

  /** Copies every staging row into the target, by column name. */
  static String insertFromStaging(String target, String staging, List<Column> columns) {
    String names =
        columns.stream().map(c -> identifier(c.name())).collect(Collectors.joining(", "));
    return "INSERT INTO " + target + " (" + names + ") SELECT " + names + " FROM " + staging;
  }

  private static String columnDefinitions(List<Column> columns) {
    return columns.stream()
        .map(c -> identifier(c.name()) + " " + typeOf(c.type()))
        .collect(Collectors.joining(", "));
  }
}
