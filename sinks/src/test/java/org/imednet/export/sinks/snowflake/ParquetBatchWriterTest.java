package org.imednet.export.sinks.snowflake;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParquetBatchWriterTest {
  @TempDir Path tmp;

  @Test
  void writesTypedColumnsThatDuckDbReadsBack() throws Exception {
    Path file = tmp.resolve("dir with space").resolve("b.parquet");
    java.nio.file.Files.createDirectories(file.getParent());
    ParquetBatchWriter.write(
        file,
        Fixtures.formColumns("note"),
        List.of(
            Fixtures.row("S1", "DEMOG", 1, 30L, 70.5, 1, "héllo"),
            Fixtures.row("S1", "DEMOG", 2, null, null, 2, (String) null)));
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      List<String> types = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("DESCRIBE SELECT * FROM read_parquet('" + file + "')")) {
        while (rs.next()) {
          types.add(rs.getString(1) + " " + rs.getString(2));
        }
      }
      assertEquals(
          List.of(
              "study_key VARCHAR",
              "form_key VARCHAR",
              "record_id BIGINT",
              "deleted BOOLEAN",
              "date_modified TIMESTAMP",
              "AGE BIGINT",
              "weight kg DOUBLE",
              "dob DATE",
              "note VARCHAR"),
          types);
      List<String> rows = new ArrayList<>();
      try (ResultSet rs =
          st.executeQuery("SELECT * FROM read_parquet('" + file + "') ORDER BY record_id")) {
        while (rs.next()) {
          StringBuilder sb = new StringBuilder();
          for (int i = 1; i <= 9; i++) {
            sb.append(i > 1 ? "|" : "").append(rs.getString(i));
          }
          rows.add(sb.toString());
        }
      }
      assertEquals(
          List.of(
              "S1|DEMOG|1|false|2024-01-02 03:01:05.123456|30|70.5|1980-01-02|héllo",
              "S1|DEMOG|2|false|2024-01-02 03:02:05.123456|null|null|1980-01-03|null"),
          rows);
    }
  }
}
