package org.imednet.export.sinks.parquet;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Partition naming of the lake and the DuckDB query over it.
 *
 * <h2>Partition values</h2>
 *
 * A key becomes the value of a {@code study_key=…} or {@code form_key=…} folder with Hive's own
 * escaping (the one Hive and Spark use, {@code FileUtils.escapePathName}): the UTF-8 bytes of
 * control characters (U+0000–U+001F, U+007F) and of {@code " # % ' * / : = ? \ [ ] ^ {} are
 * written as {@code %XX} (upper-case hex); everything else, including spaces and any other Unicode,
 * is kept as is. So {@code a/b} is {@code study_key=a%2Fb}, {@code ../x} is {@code
 * study_key=..%2Fx}, {@code a=b} is {@code study_key=a%3Db}, {@code 50%} is {@code study_key=50%25}
 * and {@code AE LOG} and {@code é} stay readable. A key cannot leave the lake: it never contains a
 * separator once escaped, and a folder always starts with {@code study_key=} or {@code form_key=},
 * so {@code .} and {@code ..} are ordinary values. An empty key is the folder {@code study_key=}.
 * A key whose escaped folder name exceeds 255 UTF-8 bytes (the usual file-name limit) is rejected.
 *
 * <h2>What DuckDB (1.5.6) does with them, found by experiment</h2>
 *
 * <ul>
 *   <li>It URL-decodes partition values: {@code a%2Fb} reads as {@code a/b}, {@code a%3Db} as
 *       {@code a=b}, {@code %25} as {@code %}, {@code x%20y} as {@code x y}; a {@code %} not
 *       followed by two hex digits is kept. Unescaped {@code =} inside a value breaks discovery
 *       ("Hive partition mismatch … key study_key not found"), which is why it is escaped. Spaces
 *       and Unicode need no escaping. An empty value reads as {@code ''}.
 *   <li>When a file also has a column named like a partition key, the folder value wins, and the
 *       column's type is the file column's. Every lake file holds {@code study_key} and {@code
 *       form_key} as VARCHAR columns with the true keys (form tables start with them), so the keys
 *       read back exactly and stay VARCHAR: {@code 001} stays {@code '001'} and {@code 1} or {@code
 *       2024-01-01} are not auto-cast to BIGINT or DATE, without any {@code hive_types} clause.
 *       Readers that do not decode (or do not use hive partitioning) still get the true keys from
 *       the columns.
 *   <li>The {@code **} glob descends into folders starting with {@code .} or {@code _}, and a file
 *       there without the partition folders fails the query. Staging therefore lives outside the
 *       lake (a sibling {@code .<lake>.staging} folder), and so do the metadata tables.
 * </ul>
 */
public final class HiveParquet {
  private static final int MAX_SEGMENT_BYTES = 255;
  private static final String ESCAPED = "\"#%'*/:=?\\{[]^";

  private HiveParquet() {}

  /**
   * The DuckDB query over every Parquet file of a lake (or a metadata table folder), the Java twin
   * of the Python SDK's {@code hive_parquet_query}: single quotes in the path are doubled and a
   * trailing {@code /} does not produce {@code //}.
   */
  public static String query(Path dir) {
    String base = dir.toString();
    while (base.length() > 1 && base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    String glob = (base.equals("/") ? "" : base) + "/**/*.parquet";
    return "SELECT * FROM read_parquet('"
        + glob.replace("'", "''")
        + "', hive_partitioning = true, union_by_name = true)";
  }

  /** The folder name of a study's partition, such as {@code study_key=AE%2FX}. */
  public static String studyFolder(String studyKey) {
    return segment("study_key=" + escape(studyKey), studyKey);
  }

  /** The folder name of a form's partition inside its study folder. */
  public static String formFolder(String formKey) {
    return segment("form_key=" + escape(formKey), formKey);
  }

  /**
   * The folder name of a metadata table: escaped like a partition value, with a leading {@code .}
   * escaped too so that no table name is hidden, {@code .} or {@code ..}.
   */
  static String tableFolder(String table) {
    if (table.isEmpty()) {
      throw new IllegalArgumentException("A metadata table name must not be empty");
    }
    String escaped = escape(table);
    if (escaped.startsWith(".")) {
      escaped = "%2E" + escaped.substring(1);
    }
    return segment(escaped, table);
  }

  /** Hive's partition value escaping, described in the class documentation. */
  public static String escape(String value) {
    StringBuilder sb = new StringBuilder(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c == 0x7F || ESCAPED.indexOf(c) >= 0) {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)));
        sb.append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /** The inverse of {@link #escape}: decodes every {@code %XX} as a UTF-8 byte. */
  public static String unescape(String folderValue) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    byte[] raw = folderValue.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == '%' && i + 2 < raw.length && isHex(raw[i + 1]) && isHex(raw[i + 2])) {
        bytes.write(Character.digit(raw[i + 1], 16) * 16 + Character.digit(raw[i + 2], 16));
        i += 2;
      } else {
        bytes.write(raw[i]);
      }
    }
    return new String(bytes.toByteArray(), StandardCharsets.UTF_8);
  }

  private static boolean isHex(byte b) {
    return Character.digit(b, 16) >= 0;
  }

  private static String segment(String segment, String key) {
    if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
      throw new IllegalArgumentException(
          "Key '"
              + key
              + "' is too long for a folder name ("
              + MAX_SEGMENT_BYTES
              + " bytes once escaped)");
    }
    return segment;
  }
}
