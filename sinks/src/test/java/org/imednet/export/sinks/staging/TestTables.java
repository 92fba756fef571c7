package org.imednet.export.sinks.staging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.TableSchema;

/** Hand-built tables and read-back helpers shared by the sink tests. */
public final class TestTables {
  private TestTables() {}

  public static Pipeline pipeline() {
    return Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
  }

  /** A form table: study_key, form_key, record_id, then typed variables with awkward names. */
  public static TableSchema form(String study, String form) {
    return TableSchema.form(
        study,
        form,
        7L,
        List.of(
            Column.metadata("study_key", ColumnType.STRING),
            Column.metadata("form_key", ColumnType.STRING),
            Column.metadata("record_id", ColumnType.LONG),
            Column.variable("Blood pressure (mmHg)", ColumnType.DOUBLE, "BP", "number", null),
            Column.variable("体重", ColumnType.LONG, "WT", "integer", null),
            Column.variable("visit_date", ColumnType.DATE, "VD", "date", null),
            Column.variable("seen_at", ColumnType.TIMESTAMP, "SA", "datetime", null),
            Column.variable("ok", ColumnType.BOOLEAN, "OK", "boolean", null),
            Column.variable("note", ColumnType.STRING, "NOTE", "text", null)));
  }

  /** {@code n} rows with record ids {@code firstId..firstId+n-1}; the first row has nulls. */
  public static RowBatch formBatch(String study, String form, long firstId, int n) {
    TableSchema schema = form(study, form);
    List<Object[]> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long id = firstId + i;
      rows.add(
          i == 0
              ? new Object[] {study, form, id, null, null, null, null, null, null}
              : new Object[] {
                study,
                form,
                id,
                id + 0.5,
                id * 10,
                LocalDate.of(2024, 1, 1).plusDays(id),
                LocalDateTime.of(2024, 2, 3, 4, 5, 6, 789_000_000).plusSeconds(id),
                id % 2 == 0,
                "n" + id
              });
    }
    return RowBatch.of(schema, rows);
  }

  /** A metadata table (e.g. {@code columns}) with {@code n} rows. */
  public static RowBatch metadataBatch(String study, String table, int n) {
    TableSchema schema =
        TableSchema.metadata(
            study,
            table,
            List.of(
                Column.metadata("study_key", ColumnType.STRING),
                Column.metadata("name", ColumnType.STRING),
                Column.metadata("position", ColumnType.LONG)));
    List<Object[]> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(new Object[] {study, table + "_" + i, (long) i});
    }
    return RowBatch.of(schema, rows);
  }

  /** Every regular file under {@code root}, as sorted relative paths with '/'. */
  public static List<String> tree(Path root) {
    if (!Files.exists(root)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(Files::isRegularFile)
          .map(p -> root.relativize(p).toString().replace('\\', '/'))
          .sorted()
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every file under {@code root} with its bytes, to compare trees byte for byte. */
  public static Map<String, List<Byte>> snapshot(Path root) {
    Map<String, List<Byte>> out = new TreeMap<>();
    for (String file : tree(root)) {
      try {
        byte[] bytes = Files.readAllBytes(root.resolve(file));
        List<Byte> list = new ArrayList<>(bytes.length);
        for (byte b : bytes) {
          list.add(b);
        }
        out.put(file, list);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  /** Runs a query on an in-memory (or given) DuckDB and returns rows as '|'-joined strings. */
  public static List<String> query(String url, String sql) {
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      List<String> out = new ArrayList<>();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          if (i > 1) {
            sb.append('|');
          }
          sb.append(rs.getString(i));
        }
        out.add(sb.toString());
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
  }

  public static List<String> query(String sql) {
    return query("jdbc:duckdb:", sql);
  }

  /** Passes batches through, failing deterministically on the batch of the given table key. */
  public static final class FailOnTable
      extends org.apache.beam.sdk.transforms.SimpleFunction<RowBatch, RowBatch> {
    private final String tableKey;

    public FailOnTable(String tableKey) {
      this.tableKey = tableKey;
    }

    @Override
    public RowBatch apply(RowBatch b) {
      if (b.schema().tableKey().equals(tableKey)) {
        throw new IllegalStateException("injected failure at " + tableKey);
      }
      return b;
    }
  }

  public static String sqlString(Object path) {
    return "'" + path.toString().replace("'", "''") + "'";
  }
}
