package org.imednet.export.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.imednet.export.flatten.JsonValueWriter;
import org.imednet.export.model.JsonItems;
import org.imednet.export.model.RecordJson;
import org.imednet.export.read.ReadStudyMetadataTables.Table;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.TableSchema;
import org.imednet.export.testdata.SampleStudies;
import org.junit.jupiter.api.Test;

/**
 * A metadata row added from an item's bytes ({@link Table#addRow}) is exactly the row its tree
 * gives ({@link Table#row}): same values, same {@code _extra}, whichever way the item goes.
 */
class ReadStudyMetadataTablesBytesTest {

  /** Every item of every resource of every bundled sample study. */
  @Test
  void everySampleItem() throws Exception {
    int compared = 0;
    int direct = 0;
    for (String study : SampleStudies.keys()) {
      for (Table table : ReadStudyMetadataTables.ALL) {
        Path file = SampleStudies.root().resolve(study).resolve(table.resource() + ".json");
        if (Files.exists(file)) {
          JsonItems items = RecordJson.scanArray(Files.readAllBytes(file));
          direct += assertSameRows(study, table, items);
          compared += items.size();
        }
      }
    }
    assertTrue(compared > 300, "items compared: " + compared);
    assertTrue(direct > compared / 2, direct + " of " + compared + " items from their bytes");
  }

  private static final String[] VALUES = {
    "\"\"",
    "\" \"",
    "\"12\"",
    "\" 12 \"",
    "\"12.0\"",
    "\"1e3\"",
    "\"abc\"",
    "\"caf\u00e9 ✓\"",
    "\"a\\\"b\"",
    "\"\\u0031\"",
    "\"true\"",
    "\"Yes\"",
    "\"0\"",
    "\"2025-05-20\"",
    "\"2025-02-30\"",
    "\"2025-05-20 14:03:11\"",
    "\"2025-05-20T14:03:11+02:00\"",
    "\"2025-05\"",
    "12",
    "-0",
    "0",
    "1",
    "1.5",
    "1e3",
    "12345678901234567890",
    "true",
    "false",
    "null",
    "[]",
    "[1, \"a\"]",
    "{\"a\": [null]}"
  };

  /**
   * Random items of each table: its own fields and studyKey with any value, in any order, some
   * missing or repeated, now and then a field the table does not know.
   */
  @Test
  void randomItems() throws Exception {
    Random random = new Random(5);
    for (Table table : ReadStudyMetadataTables.ALL) {
      TableSchema schema = table.schema("S");
      List<String> fields = new ArrayList<>();
      fields.add("studyKey");
      // Column names are snake_case; items carry the API's camelCase names, which the table
      // maps back from its row() lookups: take them from a sample of the tree path.
      for (int c = 1; c < schema.size() - 1; c++) {
        fields.add(camelCase(schema.columns().get(c).name()));
      }
      StringBuilder page = new StringBuilder("[");
      for (int n = 0; n < 400; n++) {
        List<String> members = new ArrayList<>();
        for (int f = 0; f < fields.size(); f++) {
          String[] pool =
              random.nextInt(40) == 0
                  ? VALUES
                  : valid(f == 0 ? ColumnType.STRING : schema.columns().get(f).type());
          for (int k = random.nextInt(5) == 0 ? 0 : 1 + random.nextInt(30) / 29; k > 0; k--) {
            members.add("\"" + fields.get(f) + "\": " + pool[random.nextInt(pool.length)]);
          }
        }
        if (random.nextInt(10) == 0) {
          members.add("\"someNewField\": " + VALUES[random.nextInt(VALUES.length)]);
        }
        Collections.shuffle(members, random);
        page.append(n == 0 ? "" : ",\n").append("{").append(String.join(", ", members)).append("}");
      }
      page.append(", 7, \"x\", [1]]");
      JsonItems items = RecordJson.scanArray(page.toString().getBytes(StandardCharsets.UTF_8));
      int direct = assertSameRows("S", table, items);
      // Items with an unknown field (1 in 10), an unparseable value or that are no object take
      // the tree way; most others come from their bytes.
      assertTrue(direct > items.size() / 4, table.tableKey() + ": " + direct + " from bytes");
    }
  }

  /** Values that are valid for a type, or null. */
  private static String[] valid(ColumnType type) {
    switch (type) {
      case LONG:
        return new String[] {"12", "\"12\"", "0", "-5", "\" 7 \"", "null", "\"\"", "\"12.0\""};
      case BOOLEAN:
        return new String[] {"true", "false", "\"Yes\"", "\"0\"", "1", "null"};
      case TIMESTAMP:
        return new String[] {
          "\"2025-05-20 14:03:11\"", "\"2025-05-20T14:03:11+02:00\"", "null", "\"\""
        };
      case DATE:
        return new String[] {"\"2025-05-20\"", "null", "\"\"", "\" 2024-02-29\""};
      default:
        return VALUES;
    }
  }

  private static String camelCase(String snake) {
    StringBuilder s = new StringBuilder();
    boolean upper = false;
    for (char c : snake.toCharArray()) {
      if (c == '_') {
        upper = true;
      } else {
        s.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return s.toString();
  }

  /** Returns how many items came from their bytes. */
  private static int assertSameRows(String study, Table table, JsonItems items) {
    TableSchema schema = table.schema(study);
    JsonValueWriter values = new JsonValueWriter();
    RowBatch.Builder fromBytes = RowBatch.builder(schema, items.size());
    List<Object[]> fromTrees = new ArrayList<>();
    int direct = 0;
    for (int i = 0; i < items.size(); i++) {
      if (table.addRow(study, items, i, values, fromBytes)) {
        direct++;
      }
      fromTrees.add(table.row(study, items.tree(i)));
      assertEquals(fromTrees.size(), fromBytes.size(), items.text(i));
    }
    assertEquals(RowBatch.of(schema, fromTrees), fromBytes.build(), table.tableKey());
    return direct;
  }
}
