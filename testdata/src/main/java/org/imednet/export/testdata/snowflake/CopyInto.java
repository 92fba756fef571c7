package org.imednet.export.testdata.snowflake;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code COPY INTO <table> FROM @stage[/path]} for Parquet files, run by DuckDB's {@code
 * read_parquet}, with Snowflake's per-table load history (file path + checksum). An external
 * stage's objects are downloaded for the statement and deleted after it; their history is keyed on
 * the object's URL and ETag, as Snowflake keys it.
 */
final class CopyInto {
  private static final String NOTHING = "Copy executed with 0 files processed.";

  private final Backend backend;

  CopyInto(Backend backend) {
    this.backend = backend;
  }

  /** A staged file chosen for loading, with its checksum and outcome. */
  private static final class Load {
    final Stages.StagedFile file;
    final String name;
    final String historyKey;
    final String md5;
    // The bytes DuckDB reads: the staged file itself, or a download of an external stage's object.
    Path local;
    long parsed;
    long loaded;
    String error;

    Load(Stages.StagedFile file, String name, String md5) {
      this.file = file;
      this.name = name;
      this.historyKey = file.historyKey();
      this.md5 = md5;
    }
  }

  Result run(Session s, SqlText text, SnowflakeError injected) throws SQLException, SnowflakeError {
    List<SqlText.Token> t = text.tokens();
    if (!text.word(1).equals("INTO")) {
      throw SnowflakeError.syntax("expected COPY INTO <table>");
    }
    List<String> name = Backend.qualifiedName(t, 2);
    int after = 2 + name.size() * 2 - 1;
    if (after < t.size() && t.get(after).isSymbol("(")) {
      throw SnowflakeError.unsupported("a column list in COPY INTO; use MATCH_BY_COLUMN_NAME");
    }
    if (after >= t.size() || !t.get(after).isWord("FROM")) {
      throw SnowflakeError.syntax("expected FROM after COPY INTO " + String.join(".", name));
    }
    if (name.size() == 3 && !backend.databaseExists(name.get(0))) {
      throw SnowflakeError.notFound("Table", String.join(".", name));
    }
    String db = name.size() == 3 ? name.get(0) : s.database;
    String schema = name.size() >= 2 ? name.get(name.size() - 2) : s.schema;
    String table = name.get(name.size() - 1);
    List<String> tableColumns =
        db == null || schema == null ? List.of() : backend.tableColumns(db, schema, table);
    if (tableColumns.isEmpty()) {
      throw SnowflakeError.notFound("Table", db + "." + schema + "." + table);
    }

    List<String> words = RawWords.split(text.sql());
    int from = -1;
    for (int i = 0; i < words.size(); i++) {
      if (words.get(i).equalsIgnoreCase("FROM")) {
        from = i;
        break;
      }
    }
    if (from < 0 || from + 1 >= words.size()) {
      throw SnowflakeError.syntax("COPY INTO needs FROM @<stage>[/path]");
    }
    String source = RawWords.unquote(words.get(from + 1));
    if (source.startsWith("(")) {
      throw SnowflakeError.unsupported("COPY with a transformation query");
    }
    Map<String, Object> options =
        options(SqlText.parse(String.join(" ", words.subList(from + 2, words.size()))).tokens());
    Object format = options.get("FILE_FORMAT");
    String type = format instanceof Map ? String.valueOf(((Map<?, ?>) format).get("TYPE")) : "CSV";
    if (format instanceof Map && ((Map<?, ?>) format).containsKey("FORMAT_NAME")) {
      throw SnowflakeError.unsupported("FILE_FORMAT = (FORMAT_NAME = ...)");
    }
    if (!type.equalsIgnoreCase("PARQUET")) {
      throw SnowflakeError.unsupported("COPY file format " + type + " (only TYPE = PARQUET)");
    }
    String match = String.valueOf(options.getOrDefault("MATCH_BY_COLUMN_NAME", "NONE"));
    boolean force = "TRUE".equalsIgnoreCase(String.valueOf(options.get("FORCE")));
    boolean purge = "TRUE".equalsIgnoreCase(String.valueOf(options.get("PURGE")));
    String onError = String.valueOf(options.getOrDefault("ON_ERROR", "ABORT_STATEMENT"));
    boolean skipFailedFiles = !onError.equalsIgnoreCase("ABORT_STATEMENT");
    if (!List.of("ABORT_STATEMENT", "SKIP_FILE", "CONTINUE")
        .contains(onError.toUpperCase(Locale.ROOT))) {
      throw SnowflakeError.unsupported("ON_ERROR = " + onError);
    }

    Stages.Location location = backend.stages.resolve(source, s);
    List<Stages.StagedFile> files = backend.stages.files(location);
    Object only = options.get("FILES");
    Object patternOption = options.get("PATTERN");
    Pattern pattern = patternOption == null ? null : Pattern.compile(patternOption.toString());
    String qualified = db + "." + schema + "." + table;
    Map<String, String> history = backend.history(qualified);
    List<Load> loads = new ArrayList<>();
    for (Stages.StagedFile file : files) {
      if (only instanceof List && !((List<?>) only).contains(relativeTo(location, file))) {
        continue;
      }
      if (pattern != null && !pattern.matcher(file.relative).matches()) {
        continue;
      }
      Load load = new Load(file, location.name(file.relative), file.checksum());
      if (!force && load.md5.equals(history.get(load.historyKey))) {
        continue;
      }
      loads.add(load);
    }
    if (loads.isEmpty()) {
      return Result.status(Result.COPY, NOTHING);
    }

    String target = SqlText.quote(db) + "." + SqlText.quote(schema) + "." + SqlText.quote(table);
    List<Load> pending = new ArrayList<>(loads);
    try {
      for (Load load : loads) {
        load.local = backend.stages.localCopy(location, load.file);
      }
      while (true) {
        Load[] current = new Load[1];
        try {
          backend.write(
              s,
              db,
              true,
              () -> {
                for (Load load : pending) {
                  current[0] = load;
                  insert(s, target, tableColumns, match, load);
                }
                current[0] = null;
                if (injected != null) {
                  throw injected;
                }
              });
          break;
        } catch (SQLException | SnowflakeError e) {
          SnowflakeError error =
              e instanceof SnowflakeError
                  ? (SnowflakeError) e
                  : SnowflakeError.fromDuckDb((SQLException) e);
          if (!skipFailedFiles || current[0] == null || s.inTransaction) {
            throw error;
          }
          current[0].error = error.getMessage();
          current[0].loaded = 0;
          pending.remove(current[0]);
          pending.forEach(l -> l.loaded = 0);
        }
      }
    } finally {
      for (Load load : loads) {
        backend.stages.release(load.file, load.local);
      }
    }

    Runnable record =
        () -> {
          for (Load load : pending) {
            history.put(load.historyKey, load.md5);
          }
        };
    if (s.inTransaction) {
      s.onCommit.add(record);
    } else {
      record.run();
      if (purge) {
        for (Load load : pending) {
          backend.stages.delete(location, load.file);
        }
      }
    }
    return result(loads);
  }

  private static String relativeTo(Stages.Location location, Stages.StagedFile file) {
    String prefix =
        location.path.isEmpty() || location.path.endsWith("/")
            ? location.path
            : location.path + "/";
    return file.relative.startsWith(prefix)
        ? file.relative.substring(prefix.length())
        : file.relative;
  }

  private void insert(Session s, String target, List<String> tableColumns, String match, Load load)
      throws SQLException, SnowflakeError {
    String parquet = "read_parquet(" + SqlText.literal(load.local.toString()) + ")";
    try (Statement st = s.duck.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + parquet)) {
        rs.next();
        load.parsed = rs.getLong(1);
      }
      String sql;
      if (match.equalsIgnoreCase("NONE")) {
        if (tableColumns.size() != 1) {
          throw new SnowflakeError(
              "002019",
              "0A000",
              "SQL compilation error:\nPARQUET file format can produce one and only one column of"
                  + " type variant, object, or array. Load data into separate columns using the"
                  + " MATCH_BY_COLUMN_NAME copy option or copy with transformation.");
        }
        sql = "INSERT INTO " + target + " SELECT to_json(p) FROM " + parquet + " AS p";
      } else {
        boolean caseSensitive = match.equalsIgnoreCase("CASE_SENSITIVE");
        List<String> fileColumns = new ArrayList<>();
        try (ResultSet rs = st.executeQuery("DESCRIBE SELECT * FROM " + parquet)) {
          while (rs.next()) {
            fileColumns.add(rs.getString(1));
          }
        }
        List<String> into = new ArrayList<>();
        List<String> select = new ArrayList<>();
        for (String column : tableColumns) {
          for (String fileColumn : fileColumns) {
            if (caseSensitive ? fileColumn.equals(column) : fileColumn.equalsIgnoreCase(column)) {
              into.add(SqlText.quote(column));
              select.add(SqlText.quote(fileColumn));
              break;
            }
          }
        }
        if (into.isEmpty()) {
          // No column matches: Snowflake loads rows of NULLs.
          into.add(SqlText.quote(tableColumns.get(0)));
          select.add("NULL");
        }
        sql =
            "INSERT INTO "
                + target
                + " ("
                + String.join(", ", into)
                + ") SELECT "
                + String.join(", ", select)
                + " FROM "
                + parquet;
      }
      load.loaded = st.executeUpdate(sql);
    }
  }

  private static Result result(List<Load> loads) {
    Result r = new Result(Result.COPY);
    r.columns.add(Result.Column.text("file"));
    r.columns.add(Result.Column.text("status"));
    r.columns.add(Result.Column.fixed("rows_parsed"));
    r.columns.add(Result.Column.fixed("rows_loaded"));
    r.columns.add(Result.Column.fixed("error_limit"));
    r.columns.add(Result.Column.fixed("errors_seen"));
    r.columns.add(Result.Column.text("first_error"));
    r.columns.add(Result.Column.fixed("first_error_line"));
    r.columns.add(Result.Column.fixed("first_error_character"));
    r.columns.add(Result.Column.text("first_error_column_name"));
    for (Load load : loads) {
      List<String> row = new ArrayList<>();
      row.add(load.name);
      row.add(load.error == null ? "LOADED" : "LOAD_FAILED");
      row.add(Long.toString(load.parsed));
      row.add(Long.toString(load.error == null ? load.loaded : 0));
      row.add("1");
      row.add(load.error == null ? "0" : "1");
      row.add(load.error);
      row.add(null);
      row.add(null);
      row.add(null);
      r.rows.add(row);
    }
    return r;
  }

  /** {@code KEY = value} copy options; a parenthesised value is a nested map or a list. */
  static Map<String, Object> options(List<SqlText.Token> t) {
    int[] pos = {0};
    return optionMap(t, pos);
  }

  private static Map<String, Object> optionMap(List<SqlText.Token> t, int[] pos) {
    Map<String, Object> out = new LinkedHashMap<>();
    while (pos[0] < t.size() && !t.get(pos[0]).isSymbol(")")) {
      SqlText.Token key = t.get(pos[0]);
      if (key.isIdentifier() && pos[0] + 1 < t.size() && t.get(pos[0] + 1).isSymbol("=")) {
        pos[0] += 2;
        out.put(key.value, value(t, pos));
      } else {
        pos[0]++;
      }
    }
    return out;
  }

  private static Object value(List<SqlText.Token> t, int[] pos) {
    if (pos[0] >= t.size()) {
      return "";
    }
    SqlText.Token v = t.get(pos[0]);
    if (!v.isSymbol("(")) {
      pos[0]++;
      return v.kind == SqlText.Kind.STRING || v.kind == SqlText.Kind.WORD ? v.value : v.text;
    }
    pos[0]++;
    boolean nested =
        pos[0] + 1 < t.size() && t.get(pos[0]).isIdentifier() && t.get(pos[0] + 1).isSymbol("=");
    Object result;
    if (nested) {
      result = optionMap(t, pos);
    } else {
      List<String> list = new ArrayList<>();
      while (pos[0] < t.size() && !t.get(pos[0]).isSymbol(")")) {
        SqlText.Token item = t.get(pos[0]++);
        if (!item.isSymbol(",")) {
          list.add(
              item.kind == SqlText.Kind.STRING || item.kind == SqlText.Kind.WORD
                  ? item.value
                  : item.text);
        }
      }
      result = list;
    }
    pos[0]++;
    return result;
  }
}
