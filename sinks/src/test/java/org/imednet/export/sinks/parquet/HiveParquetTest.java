package org.imednet.export.sinks.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class HiveParquetTest {
  @Test
  void queryDoublesQuotesAndAvoidsDoubleSlash() {
    assertEquals(
        "SELECT * FROM read_parquet('/data/it''s/lake/**/*.parquet', hive_partitioning = true,"
            + " union_by_name = true)",
        HiveParquet.query(Path.of("/data/it's/lake/")));
    assertEquals(
        "SELECT * FROM read_parquet('lake/**/*.parquet', hive_partitioning = true,"
            + " union_by_name = true)",
        HiveParquet.query(Path.of("lake")));
  }

  @Test
  void foldersEscapeSeparatorsEqualsAndPercentOnly() {
    assertEquals("study_key=AE LOG", HiveParquet.studyFolder("AE LOG"));
    assertEquals("form_key=a%2Fb", HiveParquet.formFolder("a/b"));
    assertEquals("form_key=..%2Fx", HiveParquet.formFolder("../x"));
    assertEquals("form_key=a%3Db", HiveParquet.formFolder("a=b"));
    assertEquals("form_key=..", HiveParquet.formFolder(".."));
    assertEquals("form_key=", HiveParquet.formFolder(""));
    assertEquals("form_key=50%25 é", HiveParquet.formFolder("50% é"));
    assertEquals("form_key=a%5Cb%3A%0A", HiveParquet.formFolder("a\\b:\n"));
    assertEquals("%2E.", HiveParquet.tableFolder(".."));
    assertEquals("columns", HiveParquet.tableFolder("columns"));
  }

  @Test
  void unescapeInvertsEscape() {
    for (String key : new String[] {"a/b", "../x", "a=b", "50%", "é 体重", "%2F", "\u0001#"}) {
      assertEquals(key, HiveParquet.unescape(HiveParquet.escape(key)));
    }
  }

  @Test
  void overlongKeyIsRejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> HiveParquet.formFolder("x".repeat(250)));
    assertEquals(
        "Key '" + "x".repeat(250) + "' is too long for a folder name (255 bytes once escaped)",
        e.getMessage());
  }
}
