package org.imednet.export.sinks.snowflake;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.RowBatchCoder;
import org.imednet.export.rows.TableSchema;

/**
 * The rows of one batch in canonical form: the batches' columns united, rows de-duplicated by key
 * and sorted, and the SHA-256 of that content. Equal data gives an equal hash whatever order the
 * rows arrived in, so the hash names the staged file and keys the manifest ledger.
 */
final class BatchContent {
  /** Besides {@code study_key}: what identifies a row of each table. */
  private static final Map<String, List<String>> METADATA_KEYS =
      Map.of(
          "forms", List.of("form_id"),
          "variables", List.of("variable_id"),
          "sites", List.of("site_id"),
          "subjects", List.of("subject_id"),
          "intervals", List.of("interval_id"),
          "visits", List.of("visit_id"),
          "record_revisions", List.of("record_revision_id"),
          // The column mapping: nullable columns (label, source_variable) would never match as
          // keys, so without its own key a re-export added every such row again.
          "columns", List.of("form_key", "column_name"));

  final String studyKey;
  final String tableKey;
  final String targetTable;
  final List<Column> columns;
  final List<String> keyColumns;
  final List<Object[]> rows;
  final Map<String, Long> rowsByTableKey;
  final String sha256;
  final TableSchema schema;

  private BatchContent(
      String studyKey,
      String tableKey,
      String targetTable,
      List<Column> columns,
      List<String> keyColumns,
      List<Object[]> rows,
      Map<String, Long> rowsByTableKey,
      String sha256,
      TableSchema schema) {
    this.studyKey = studyKey;
    this.tableKey = tableKey;
    this.targetTable = targetTable;
    this.columns = columns;
    this.keyColumns = keyColumns;
    this.rows = rows;
    this.rowsByTableKey = rowsByTableKey;
    this.sha256 = sha256;
    this.schema = schema;
  }

  /**
   * Unites batches bound for one target table. A column appearing with different types (possible
   * only when several forms share one table) becomes STRING, its values as text.
   */
  static BatchContent of(List<RowBatch> batches, String targetTable) {
    if (batches.isEmpty()) {
      throw new IllegalArgumentException("A batch needs at least one RowBatch");
    }
    TableSchema first = batches.get(0).schema();
    Map<String, Column> byLowerName = new LinkedHashMap<>();
    Map<String, Long> rowsByTableKey = new TreeMap<>();
    boolean sameSchema = true;
    for (RowBatch b : batches) {
      sameSchema &= b.schema().equals(first);
      rowsByTableKey.merge(b.schema().tableKey(), (long) b.size(), Long::sum);
      for (Column c : b.schema().columns()) {
        String lower = c.name().toLowerCase(Locale.ROOT);
        Column seen = byLowerName.get(lower);
        if (seen == null) {
          byLowerName.put(lower, c);
        } else if (seen.type() != c.type()) {
          byLowerName.put(
              lower,
              Column.of(seen.name(), ColumnType.STRING, seen.kind(), null, null, seen.label()));
        }
      }
    }
    List<Column> columns = new ArrayList<>(byLowerName.values());
    List<String> lowerNames = new ArrayList<>(byLowerName.keySet());
    List<Object[]> rows = new ArrayList<>();
    for (RowBatch b : batches) {
      List<Column> cols = b.schema().columns();
      int[] target = new int[cols.size()];
      for (int i = 0; i < cols.size(); i++) {
        target[i] = lowerNames.indexOf(cols.get(i).name().toLowerCase(Locale.ROOT));
      }
      for (Object[] row : b.rows()) {
        if (sameSchema) {
          rows.add(row);
          continue;
        }
        Object[] out = new Object[columns.size()];
        for (int i = 0; i < row.length; i++) {
          Object v = row[i];
          if (v != null && columns.get(target[i]).type() != cols.get(i).type()) {
            v = v.toString();
          }
          out[target[i]] = v;
        }
        rows.add(out);
      }
    }
    String study = first.studyKey();
    String tableKey = rowsByTableKey.size() == 1 ? first.tableKey() : "*";
    for (RowBatch b : batches) {
      if (!b.schema().studyKey().equals(study)) {
        study = "*";
      }
    }
    List<String> keys = keyColumns(first, columns);
    List<Object[]> canonical = dedupeAndSort(rows, columns, keys);
    TableSchema schema =
        TableSchema.of(study, tableKey, first.kind(), null, columns); // for the canonical encoding
    String sha = sha256(targetTable, RowBatch.of(schema, canonical));
    return new BatchContent(
        study, tableKey, targetTable, columns, keys, canonical, rowsByTableKey, sha, schema);
  }

  /**
   * The columns that identify a row, so a changed row replaces its previous version: {@code
   * study_key, record_id} for forms; {@code study_key} and the resource's id for metadata ({@code
   * form_key, column_name} for the column mapping); every column when neither is present (then rows
   * are only ever added, never replaced).
   */
  static List<String> keyColumns(TableSchema schema, List<Column> columns) {
    List<String> names = new ArrayList<>();
    for (Column c : columns) {
      names.add(c.name());
    }
    List<String> id =
        schema.kind() == TableSchema.Kind.FORM
            ? List.of("record_id")
            : METADATA_KEYS.get(schema.tableKey());
    if (id != null && names.contains("study_key") && names.containsAll(id)) {
      List<String> key = new ArrayList<>();
      key.add("study_key");
      key.addAll(id);
      return key;
    }
    return names;
  }

  /**
   * Sorts rows by key then by every column, and keeps one row per key: the one with the latest
   * {@code date_modified} when the table has it (a record seen twice while the study changed).
   */
  private static List<Object[]> dedupeAndSort(
      List<Object[]> rows, List<Column> columns, List<String> keys) {
    List<String> names = new ArrayList<>();
    for (Column c : columns) {
      names.add(c.name());
    }
    int[] keyIdx = keys.stream().mapToInt(names::indexOf).toArray();
    int modified = names.indexOf("date_modified");
    Comparator<Object[]> byKey = (a, b) -> compareAt(a, b, keyIdx);
    Comparator<Object[]> byAll =
        (a, b) -> {
          for (int i = 0; i < a.length; i++) {
            int c = compareValues(a[i], b[i]);
            if (c != 0) {
              return c;
            }
          }
          return 0;
        };
    List<Object[]> sorted = new ArrayList<>(rows);
    sorted.sort(byKey.thenComparing(byAll));
    List<Object[]> out = new ArrayList<>(sorted.size());
    for (Object[] row : sorted) {
      Object[] last = out.isEmpty() ? null : out.get(out.size() - 1);
      if (last != null && byKey.compare(last, row) == 0 && !hasNullAt(row, keyIdx)) {
        if (modified < 0 || compareValues(row[modified], last[modified]) >= 0) {
          out.set(out.size() - 1, row);
        }
        continue;
      }
      out.add(row);
    }
    return out;
  }

  private static boolean hasNullAt(Object[] row, int[] idx) {
    for (int i : idx) {
      if (row[i] == null) {
        return true;
      }
    }
    return false;
  }

  private static int compareAt(Object[] a, Object[] b, int[] idx) {
    for (int i : idx) {
      int c = compareValues(a[i], b[i]);
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int compareValues(Object a, Object b) {
    if (a == b) {
      return 0;
    }
    if (a == null) {
      return -1;
    }
    if (b == null) {
      return 1;
    }
    return ((Comparable) a).compareTo(b);
  }

  private static String sha256(String targetTable, RowBatch canonical) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(
          ("imednet-snowflake-batch/1\n" + targetTable + "\n").getBytes(StandardCharsets.UTF_8));
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      RowBatchCoder.of().encode(canonical, bytes);
      digest.update(bytes.toByteArray());
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The canonical rows as one batch of the united schema. */
  RowBatch asRowBatch() {
    return RowBatch.of(schema, rows);
  }

  int size() {
    return rows.size();
  }
}
