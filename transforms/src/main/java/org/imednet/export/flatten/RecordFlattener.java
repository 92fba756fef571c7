package org.imednet.export.flatten;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import javax.annotation.Nullable;
import org.imednet.export.model.RecordJson;
import org.imednet.export.model.SourceJsonObjectNode;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.TableSchema;

/**
 * Turns one API record into one row of its form table ({@link FormSchema}).
 *
 * <pre>{@code
 * RecordFlattener flattener = new RecordFlattener(FormSchema.of(form, false).table());
 * RecordFlattener.Row row = flattener.flatten(recordJson); // throws UnprocessableRecordException
 * }</pre>
 *
 * <ul>
 *   <li>Metadata columns come from the record's fields ({@code recordId → record_id}, …). {@code
 *       study_key}, {@code form_key} and {@code form_id} fall back to the table's study key, form
 *       key and form id when the record does not carry them (absent, null or {@code ""}), because
 *       sinks partition by them.
 *   <li>Variable columns come from {@code recordData}, by the exact (case-sensitive) variable name;
 *       a variable absent from {@code recordData} is null.
 *   <li>Every value is parsed with {@link ValueParser}. A value that does not parse — a variable or
 *       a metadata field — is null in its column and its raw text is recorded in {@code
 *       _parse_errors} as a JSON object {@code {"<column>": "<raw text>", …}} in column order; with
 *       no such value {@code _parse_errors} is null.
 *   <li>{@code _record_data} is the record's {@code recordData} JSON text exactly as the API sent
 *       it (for pages read by {@link org.imednet.export.model.RecordJson}; compact JSON for a
 *       record built otherwise), so keys that are not variables of the form are never lost.
 * </ul>
 *
 * <p>Immutable and thread-safe: the per-column lookups are computed once in the constructor, and
 * flattening allocates only the row, its values and, when needed, the {@code _parse_errors} text.
 */
public final class RecordFlattener {
  private static final int SOURCE_METADATA = 0;
  private static final int SOURCE_VARIABLE = 1;
  private static final int SOURCE_PARSE_ERRORS = 2;
  private static final int SOURCE_RECORD_DATA = 3;
  private static final int SOURCE_NONE = 4;

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String RECORD_DATA = "recordData";
  private static final String RECORD_ID = "recordId";

  private final TableSchema schema;
  private final String[] columnNames;
  private final ColumnType[] types;
  private final int[] sources;
  private final String[] fields;
  private final int studyKeyIndex;
  private final int formKeyIndex;
  private final int formIdIndex;

  /** The columns each record field fills, and each {@code recordData} key. */
  private final Map<String, int[]> columnsOfField = new HashMap<>();

  private final Map<String, int[]> columnsOfVariable = new HashMap<>();

  // For flattenInto: the same lookups by UTF-8 bytes, and whether every _parse_errors column
  // comes after the columns whose values it reports (so a row can be written in one pass).
  private final RecordBytes.Names fieldNames;
  private final RecordBytes.Names variableNames;
  private final boolean onePass;

  /** The result of flattening one record. */
  public static final class Row {
    private final Object[] values;
    private final int unparseableValues;

    Row(Object[] values, int unparseableValues) {
      this.values = values;
      this.unparseableValues = unparseableValues;
    }

    /** The values, aligned with the schema's columns. */
    public Object[] values() {
      return values;
    }

    /** How many values did not parse (the number of entries in {@code _parse_errors}). */
    public int unparseableValues() {
      return unparseableValues;
    }
  }

  public RecordFlattener(TableSchema schema) {
    this.schema = schema;
    List<Column> columns = schema.columns();
    int n = columns.size();
    columnNames = new String[n];
    types = new ColumnType[n];
    sources = new int[n];
    fields = new String[n];
    for (int i = 0; i < n; i++) {
      Column c = columns.get(i);
      columnNames[i] = c.name();
      types[i] = c.type();
      switch (c.kind()) {
        case VARIABLE:
          sources[i] = SOURCE_VARIABLE;
          // Jackson interns field names, so an interned name finds its entry by identity instead
          // of comparing characters (the schema's names arrive deserialised, not interned).
          fields[i] = c.sourceVariable().intern();
          break;
        case METADATA:
          String field = FormSchema.recordField(c.name());
          sources[i] = field == null ? SOURCE_NONE : SOURCE_METADATA;
          fields[i] = field == null ? null : field.intern();
          break;
        case SYSTEM:
        default:
          if (c.name().equals(FormSchema.PARSE_ERRORS)) {
            sources[i] = SOURCE_PARSE_ERRORS;
          } else if (c.name().equals(FormSchema.RECORD_DATA)) {
            sources[i] = SOURCE_RECORD_DATA;
          } else {
            sources[i] = SOURCE_NONE;
          }
      }
    }
    for (int i = 0; i < n; i++) {
      if (sources[i] == SOURCE_METADATA) {
        columnsOfField.merge(fields[i], new int[] {i}, RecordFlattener::concat);
      } else if (sources[i] == SOURCE_VARIABLE) {
        columnsOfVariable.merge(fields[i], new int[] {i}, RecordFlattener::concat);
      }
    }
    fieldNames = new RecordBytes.Names(columnsOfField);
    variableNames = new RecordBytes.Names(columnsOfVariable);
    int lastValue = -1;
    int firstErrors = n;
    for (int i = 0; i < n; i++) {
      if (sources[i] == SOURCE_METADATA || sources[i] == SOURCE_VARIABLE) {
        lastValue = i;
      } else if (sources[i] == SOURCE_PARSE_ERRORS) {
        firstErrors = Math.min(firstErrors, i);
      }
    }
    onePass = lastValue < firstErrors;
    studyKeyIndex = metadataIndex("study_key");
    formKeyIndex = metadataIndex("form_key");
    formIdIndex = metadataIndex("form_id");
  }

  private static int[] concat(int[] a, int[] b) {
    int[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  private int metadataIndex(String name) {
    int i = schema.indexOf(name);
    return i >= 0 && sources[i] == SOURCE_METADATA ? i : -1;
  }

  public TableSchema schema() {
    return schema;
  }

  /**
   * Flattens one record.
   *
   * @throws UnprocessableRecordException if the record is not an object, has no integer {@code
   *     recordId}, or has no {@code recordData} object
   */
  public Row flatten(JsonNode record) throws UnprocessableRecordException {
    if (record == null || !record.isObject()) {
      throw new UnprocessableRecordException(
          "record is not a JSON object but " + (record == null ? "nothing" : record.getNodeType()));
    }
    JsonNode recordId = record.get("recordId");
    Object id = ValueParser.parse(recordId, ColumnType.LONG);
    if (id == null) {
      throw new UnprocessableRecordException("record has no recordId");
    }
    if (id == ValueParser.UNPARSEABLE) {
      throw new UnprocessableRecordException("recordId is not an integer");
    }
    JsonNode data = record.get("recordData");
    if (data == null || !data.isObject()) {
      throw new UnprocessableRecordException(
          "record "
              + id
              + " has no recordData object"
              + (data == null ? "" : " (recordData is " + data.getNodeType() + ")"));
    }
    // Each field's node, by column: one walk over the record's and recordData's entries (in the
    // order they were parsed, so in memory order) instead of a hash lookup per column, which
    // missed the cache on every freshly parsed record.
    JsonNode[] nodes = new JsonNode[types.length];
    placeEntries(record, columnsOfField, nodes);
    placeEntries(data, columnsOfVariable, nodes);
    return row(
        nodes,
        data instanceof SourceJsonObjectNode
            ? ((SourceJsonObjectNode) data).sourceJson()
            : data.toString());
  }

  /**
   * Flattens the record whose JSON object is the {@code length} bytes of {@code json} from {@code
   * offset}, exactly as {@link #flatten(JsonNode)} flattens its tree ({@link RecordJson#readTree}),
   * but parsing it straight into the row: only the values of the table's columns become nodes, and
   * the other keys of {@code recordData} are skipped. {@code _record_data} is the {@code
   * recordData} text as it appears in {@code json}. A record this does not read plainly (no integer
   * {@code recordId}, no single {@code recordData} object, a metadata field holding an object or
   * array) goes the tree way, so it fails or flattens exactly as a tree would.
   *
   * @throws UnprocessableRecordException as {@link #flatten(JsonNode)}, and if the bytes are not
   *     one JSON value
   */
  public Row flatten(byte[] json, int offset, int length) throws UnprocessableRecordException {
    JsonNode[] nodes = new JsonNode[types.length];
    String recordData = null;
    JsonNode recordId = null;
    try (JsonParser p = RecordJson.parser(json, offset, length)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return flattenTree(json, offset, length);
      }
      long delta = RecordJson.delta(p, offset);
      String name;
      while ((name = p.nextFieldName()) != null) {
        JsonToken t = p.nextToken();
        boolean container = t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY;
        if (RECORD_DATA.equals(name)) {
          if (recordData != null || t != JsonToken.START_OBJECT) {
            return flattenTree(json, offset, length);
          }
          int start = (int) (p.currentTokenLocation().getByteOffset() + delta);
          readVariables(p, nodes);
          int end = (int) (p.currentLocation().getByteOffset() + delta);
          recordData = new String(json, start, end - start, StandardCharsets.UTF_8);
          continue;
        }
        int[] columns = columnsOfField.get(name);
        if (RECORD_ID.equals(name)) {
          if (container) {
            return flattenTree(json, offset, length);
          }
          recordId = RecordJson.scalar(p, t);
          place(recordId, columns, nodes);
        } else if (columns == null) {
          p.skipChildren();
        } else if (container) {
          return flattenTree(json, offset, length);
        } else {
          place(RecordJson.scalar(p, t), columns, nodes);
        }
      }
      if (p.nextToken() != null) {
        return flattenTree(json, offset, length);
      }
    } catch (IOException e) {
      return flattenTree(json, offset, length);
    }
    Object id = ValueParser.parse(recordId, ColumnType.LONG);
    if (recordData == null || id == null || id == ValueParser.UNPARSEABLE) {
      return flattenTree(json, offset, length);
    }
    return row(nodes, recordData);
  }

  /**
   * Flattens the record whose JSON object is the {@code length} bytes of {@code json} from {@code
   * offset} into the next row of {@code rows}, as {@code rows.add(flatten(json, offset,
   * length).values())} would, and returns the number of values that did not parse. A record read
   * plainly ({@link RecordBytes}) goes from its bytes into the row without Jackson and without a
   * {@code String} or boxed value for its typed values: strings are copied as UTF-8, numbers, dates
   * and timestamps parsed from the bytes ({@link ValueParser#parse(byte[], int, int, ColumnType,
   * ValueParser.Parsed)}). A value that is not such plain text (a string with escapes, a decimal or
   * big JSON number, an object or array) is typed from its Jackson node as before. Anything else
   * takes the other paths.
   *
   * @throws UnprocessableRecordException as {@link #flatten(byte[], int, int)}; no row is then
   *     added
   */
  public int flattenInto(byte[] json, int offset, int length, RowBatch.Builder rows)
      throws UnprocessableRecordException {
    RecordBytes record = readPlainly(json, offset, length);
    if (record == null) {
      Row row = flatten(json, offset, length);
      rows.add(row.values());
      return row.unparseableValues();
    }
    int n = types.length;
    JsonValueWriter values = new JsonValueWriter();
    ObjectNode errors = null;
    rows.startRow();
    for (int c = 0; c < n; c++) {
      switch (sources[c]) {
        case SOURCE_METADATA:
        case SOURCE_VARIABLE:
          String raw = put(json, record, c, values, rows);
          if (raw != null) {
            if (errors == null) {
              errors = JsonNodeFactory.instance.objectNode();
            }
            errors.put(columnNames[c], raw);
          }
          break;
        case SOURCE_RECORD_DATA:
          rows.putString(json, record.recordDataStart(), record.recordDataLength());
          break;
        case SOURCE_PARSE_ERRORS:
          rows.putValue(errors == null ? null : errors.toString());
          break;
        default:
          rows.putNull();
      }
    }
    rows.endRow();
    return errors == null ? 0 : errors.size();
  }

  /** Whether {@link #flattenInto} reads this record from its bytes alone (for tests). */
  boolean readsFromBytes(byte[] json, int offset, int length) {
    return readPlainly(json, offset, length) != null;
  }

  /**
   * The record read by {@link RecordBytes}, or null where {@link #flattenInto} goes another way.
   */
  private @Nullable RecordBytes readPlainly(byte[] json, int offset, int length) {
    return onePass
        ? RecordBytes.read(json, offset, length, types.length, fieldNames, variableNames)
        : null;
  }

  /**
   * Writes column {@code c}'s value of a record read by {@link RecordBytes}; returns null, or the
   * raw text of a value that does not parse (its column is then null).
   */
  private @Nullable String put(
      byte[] b, RecordBytes record, int c, JsonValueWriter values, RowBatch.Builder rows) {
    int start = record.start(c);
    if (start == 0) {
      rows.putValue(fallback(c));
      return null;
    }
    switch (values.write(b, start, record.end(c), types[c], rows)) {
      case JsonValueWriter.NULL:
        rows.putValue(fallback(c));
        return null;
      case JsonValueWriter.UNPARSEABLE:
        rows.putNull();
        return values.raw();
      default:
        return null;
    }
  }

  /** The members of the recordData object whose START_OBJECT is the current token. */
  private void readVariables(JsonParser p, JsonNode[] nodes) throws IOException {
    String name;
    while ((name = p.nextFieldName()) != null) {
      JsonToken t = p.nextToken();
      int[] columns = columnsOfVariable.get(name);
      if (columns == null) {
        p.skipChildren();
      } else {
        // As RecordJson builds recordData's members: scalars by hand, containers by Jackson.
        place(
            t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY
                ? MAPPER.readTree(p)
                : RecordJson.scalar(p, t),
            columns,
            nodes);
      }
    }
  }

  private static void place(JsonNode value, @Nullable int[] columns, JsonNode[] nodes) {
    if (columns != null) {
      for (int c : columns) {
        nodes[c] = value;
      }
    }
  }

  private Row flattenTree(byte[] json, int offset, int length) throws UnprocessableRecordException {
    JsonNode record;
    try {
      record = RecordJson.readTree(json, offset, length);
    } catch (IOException e) {
      throw new UnprocessableRecordException(
          "record is not valid JSON (" + e.getClass().getSimpleName() + ")");
    }
    return flatten(record);
  }

  /** The row of a record whose columns' nodes are {@code nodes}. */
  private Row row(JsonNode[] nodes, String recordDataText) {
    int n = types.length;
    Object[] row = new Object[n];
    ObjectNode errors = null;
    int unparseable = 0;
    for (int i = 0; i < n; i++) {
      JsonNode node;
      switch (sources[i]) {
        case SOURCE_METADATA:
        case SOURCE_VARIABLE:
          node = nodes[i];
          break;
        case SOURCE_RECORD_DATA:
          row[i] = recordDataText;
          continue;
        default:
          continue;
      }
      Object value = ValueParser.parse(node, types[i]);
      if (value == ValueParser.UNPARSEABLE) {
        if (errors == null) {
          errors = JsonNodeFactory.instance.objectNode();
        }
        errors.put(columnNames[i], ValueParser.rawText(node));
        unparseable++;
        value = null;
      } else if (value == null) {
        value = fallback(i);
      }
      row[i] = value;
    }
    if (errors != null) {
      for (int i = 0; i < n; i++) {
        if (sources[i] == SOURCE_PARSE_ERRORS) {
          row[i] = errors.toString();
        }
      }
    }
    return new Row(row, unparseable);
  }

  private static void placeEntries(
      JsonNode object, Map<String, int[]> columnsOf, JsonNode[] nodes) {
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      int[] columns = columnsOf.get(e.getKey());
      if (columns != null) {
        for (int c : columns) {
          nodes[c] = e.getValue();
        }
      }
    }
  }

  /** The table's own key for a study/form key or form id the record does not carry. */
  private @Nullable Object fallback(int i) {
    if (i == studyKeyIndex) {
      return schema.studyKey();
    }
    if (i == formKeyIndex) {
      return schema.tableKey();
    }
    if (i == formIdIndex) {
      return schema.formId();
    }
    return null;
  }
}
