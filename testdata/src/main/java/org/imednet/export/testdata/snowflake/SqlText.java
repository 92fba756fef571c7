package org.imednet.export.testdata.snowflake;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A Snowflake SQL text cut into tokens, with the rewrite into DuckDB SQL.
 *
 * <p>Unquoted words are upper-cased, which is how Snowflake stores unquoted identifiers; DuckDB
 * matches identifiers case-insensitively and keeps the case they were created with, so tables and
 * columns created through the emulator carry Snowflake's upper-case names. Quoted identifiers and
 * string literals are kept exactly.
 */
final class SqlText {

  enum Kind {
    WORD,
    QUOTED,
    STRING,
    NUMBER,
    PARAM,
    SYMBOL,
    SPACE
  }

  /** One token: {@code value} is the upper-cased word, the unescaped identifier or string. */
  static final class Token {
    final Kind kind;
    final String text;
    final String value;

    Token(Kind kind, String text, String value) {
      this.kind = kind;
      this.text = text;
      this.value = value;
    }

    boolean isWord(String upperWord) {
      return kind == Kind.WORD && value.equals(upperWord);
    }

    boolean isSymbol(String symbol) {
      return kind == Kind.SYMBOL && text.equals(symbol);
    }

    boolean isIdentifier() {
      return kind == Kind.WORD || kind == Kind.QUOTED;
    }

    @Override
    public String toString() {
      return text;
    }
  }

  private static final Map<String, String> TYPES =
      Map.ofEntries(
          Map.entry("NUMBER", "DECIMAL"),
          Map.entry("NUMERIC", "DECIMAL"),
          Map.entry("DECIMAL", "DECIMAL"),
          Map.entry("INT", "DECIMAL(38,0)"),
          Map.entry("INTEGER", "DECIMAL(38,0)"),
          Map.entry("BIGINT", "DECIMAL(38,0)"),
          Map.entry("SMALLINT", "DECIMAL(38,0)"),
          Map.entry("TINYINT", "DECIMAL(38,0)"),
          Map.entry("BYTEINT", "DECIMAL(38,0)"),
          Map.entry("FLOAT", "DOUBLE"),
          Map.entry("FLOAT4", "DOUBLE"),
          Map.entry("FLOAT8", "DOUBLE"),
          Map.entry("REAL", "DOUBLE"),
          Map.entry("DOUBLE", "DOUBLE"),
          Map.entry("STRING", "VARCHAR"),
          Map.entry("TEXT", "VARCHAR"),
          Map.entry("TIMESTAMP", "TIMESTAMP"),
          Map.entry("TIMESTAMP_NTZ", "TIMESTAMP"),
          Map.entry("DATETIME", "TIMESTAMP"),
          Map.entry("TIMESTAMP_LTZ", "TIMESTAMPTZ"),
          Map.entry("TIMESTAMP_TZ", "TIMESTAMPTZ"),
          Map.entry("TIME", "TIME"),
          Map.entry("VARIANT", "JSON"),
          Map.entry("OBJECT", "JSON"),
          Map.entry("ARRAY", "JSON"),
          Map.entry("BINARY", "BLOB"),
          Map.entry("VARBINARY", "BLOB"));

  /** Types whose Snowflake length or precision argument DuckDB does not take. */
  private static final Set<String> DROP_ARGUMENTS =
      Set.of(
          "TIMESTAMP",
          "TIMESTAMP_NTZ",
          "DATETIME",
          "TIMESTAMP_LTZ",
          "TIMESTAMP_TZ",
          "TIME",
          "BINARY",
          "VARBINARY",
          "FLOAT",
          "FLOAT4",
          "FLOAT8");

  private static final Set<String> NILADIC =
      Set.of("CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "LOCALTIMESTAMP");

  private final String sql;
  private final List<Token> all;
  private final List<Token> significant;

  private SqlText(String sql, List<Token> all) {
    this.sql = sql;
    this.all = all;
    List<Token> sig = new ArrayList<>();
    for (Token t : all) {
      if (t.kind != Kind.SPACE) {
        sig.add(t);
      }
    }
    this.significant = sig;
  }

  static SqlText parse(String sql) {
    return new SqlText(sql, tokenize(sql));
  }

  String sql() {
    return sql;
  }

  /** The tokens without white space and comments. */
  List<Token> tokens() {
    return significant;
  }

  /** The first word, upper case, or "" when the text does not start with a word. */
  String firstWord() {
    return significant.isEmpty() || significant.get(0).kind != Kind.WORD
        ? ""
        : significant.get(0).value;
  }

  String word(int index) {
    return index < significant.size() && significant.get(index).kind == Kind.WORD
        ? significant.get(index).value
        : "";
  }

  boolean containsWord(String upperWord) {
    for (Token t : significant) {
      if (t.isWord(upperWord)) {
        return true;
      }
    }
    return false;
  }

  int bindCount() {
    int positional = 0;
    int numbered = 0;
    for (Token t : significant) {
      if (t.kind == Kind.PARAM) {
        if (t.text.equals("?")) {
          positional++;
        } else {
          numbered = Math.max(numbered, Integer.parseInt(t.text.substring(1)));
        }
      }
    }
    return Math.max(positional, numbered);
  }

  /** The same statement in DuckDB's dialect. */
  String toDuckDb() {
    return toDuckDb(null);
  }

  /**
   * The same statement in DuckDB's dialect; {@code currentDatabase} is the catalog an unqualified
   * {@code INFORMATION_SCHEMA} refers to.
   */
  String toDuckDb(String currentDatabase) {
    String first = firstWord();
    boolean ddl = first.equals("CREATE") || first.equals("ALTER");
    StringBuilder out = new StringBuilder(sql.length() + 16);
    Deque<String> openers = new ArrayDeque<>();
    Token prev = null;
    Token prevPrev = null;
    int sigIndex = -1;
    for (int i = 0; i < all.size(); i++) {
      Token t = all.get(i);
      if (t.kind == Kind.SPACE) {
        out.append(t.text);
        continue;
      }
      sigIndex++;
      int consumed = informationSchema(sigIndex, currentDatabase, out);
      if (consumed > 0) {
        i = skipThrough(i, consumed - 1);
        sigIndex += consumed - 1;
        prevPrev = prev;
        prev = significant.get(sigIndex);
        continue;
      }
      switch (t.kind) {
        case STRING:
          out.append(literal(t.value));
          break;
        case PARAM:
          out.append(t.text.equals("?") ? "?" : "$" + t.text.substring(1));
          break;
        case SYMBOL:
          if (t.text.equals("(")) {
            openers.push(prev != null && prev.kind == Kind.WORD ? prev.value : "");
          } else if (t.text.equals(")") && !openers.isEmpty()) {
            openers.pop();
          }
          out.append(t.text);
          break;
        case WORD:
          String word = t.value;
          Token next = sigAt(sigIndex + 1);
          Token next2 = sigAt(sigIndex + 2);
          if (NILADIC.contains(word)
              && next != null
              && next.isSymbol("(")
              && next2 != null
              && next2.isSymbol(")")) {
            out.append(word);
            i = skipThrough(i, 2);
            sigIndex += 2;
            break;
          }
          if (TYPES.containsKey(word) && isTypePosition(ddl, prev, prevPrev, openers.peek())) {
            String mapped = TYPES.get(word);
            boolean hasArgs = next != null && next.isSymbol("(");
            if (mapped.equals("DECIMAL") && !hasArgs) {
              mapped = "DECIMAL(38,0)";
            }
            if (word.equals("DOUBLE") && next != null && next.isWord("PRECISION")) {
              i = skipThrough(i, 1);
              sigIndex++;
              hasArgs = false;
            }
            out.append(mapped);
            if (hasArgs && DROP_ARGUMENTS.contains(word)) {
              int close = closingParen(sigIndex + 1);
              i = skipThrough(i, close - sigIndex);
              sigIndex = close;
            }
            break;
          }
          if (needsQuotes(word, ddl, prev, next)) {
            out.append(quote(word));
            break;
          }
          out.append(word);
          break;
        default:
          out.append(t.text);
      }
      prevPrev = prev;
      prev = significant.get(sigIndex);
    }
    return out.toString();
  }

  private static final Set<String> NOT_AN_ALIAS =
      Set.of(
          "WHERE",
          "GROUP",
          "ORDER",
          "LIMIT",
          "JOIN",
          "INNER",
          "LEFT",
          "RIGHT",
          "FULL",
          "CROSS",
          "ON",
          "UNION",
          "EXCEPT",
          "INTERSECT",
          "MINUS",
          "QUALIFY",
          "HAVING",
          "NATURAL",
          "USING",
          "WINDOW",
          "OFFSET",
          "FETCH");

  private static final String NUMERIC_TYPE =
      "(data_type LIKE 'DECIMAL%' OR data_type IN ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT',"
          + " 'HUGEINT'))";

  /** Snowflake's INFORMATION_SCHEMA views over DuckDB's catalog functions, Snowflake type names. */
  private static final Map<String, String> VIEWS =
      Map.of(
          "COLUMNS",
          "SELECT database_name AS TABLE_CATALOG, schema_name AS TABLE_SCHEMA,"
              + " table_name AS TABLE_NAME, column_name AS COLUMN_NAME,"
              + " column_index AS ORDINAL_POSITION, column_default AS COLUMN_DEFAULT,"
              + " CASE WHEN is_nullable THEN 'YES' ELSE 'NO' END AS IS_NULLABLE,"
              + " CASE WHEN "
              + NUMERIC_TYPE
              + " THEN 'NUMBER'"
              + " WHEN data_type IN ('DOUBLE', 'FLOAT') THEN 'FLOAT'"
              + " WHEN data_type = 'VARCHAR' THEN 'TEXT'"
              + " WHEN data_type = 'TIMESTAMP WITH TIME ZONE' THEN 'TIMESTAMP_LTZ'"
              + " WHEN data_type LIKE 'TIMESTAMP%' THEN 'TIMESTAMP_NTZ'"
              + " WHEN data_type = 'JSON' THEN 'VARIANT'"
              + " WHEN data_type = 'BLOB' THEN 'BINARY'"
              + " ELSE data_type END AS DATA_TYPE,"
              + " CASE WHEN data_type = 'VARCHAR' THEN 16777216 END AS CHARACTER_MAXIMUM_LENGTH,"
              + " CASE WHEN data_type LIKE 'DECIMAL%' THEN numeric_precision"
              + " WHEN "
              + NUMERIC_TYPE
              + " THEN 38 END AS NUMERIC_PRECISION,"
              + " CASE WHEN data_type LIKE 'DECIMAL%' THEN numeric_scale"
              + " WHEN "
              + NUMERIC_TYPE
              + " THEN 0 END AS NUMERIC_SCALE"
              + " FROM duckdb_columns() WHERE NOT internal AND database_name = ",
          "TABLES",
          "SELECT database_name AS TABLE_CATALOG, schema_name AS TABLE_SCHEMA,"
              + " table_name AS TABLE_NAME, 'BASE TABLE' AS TABLE_TYPE,"
              + " estimated_size AS ROW_COUNT FROM duckdb_tables() WHERE NOT internal"
              + " UNION ALL SELECT database_name, schema_name, view_name, 'VIEW', NULL"
              + " FROM duckdb_views() WHERE NOT internal) WHERE TABLE_CATALOG = ",
          "SCHEMATA",
          "SELECT database_name AS CATALOG_NAME, schema_name AS SCHEMA_NAME"
              + " FROM duckdb_schemas() WHERE NOT internal AND schema_name <> 'main'"
              + " AND database_name = ");

  /**
   * Rewrites {@code [db.]INFORMATION_SCHEMA.COLUMNS|TABLES|SCHEMATA} starting at significant token
   * {@code k} into a subquery; returns the number of tokens consumed, 0 when there is none here.
   */
  private int informationSchema(int k, String currentDatabase, StringBuilder out) {
    Token a = sigAt(k);
    Token b = sigAt(k + 1);
    Token c = sigAt(k + 2);
    String catalog;
    int viewAt;
    if (a.isIdentifier()
        && b != null
        && b.isSymbol(".")
        && c != null
        && c.isWord("INFORMATION_SCHEMA")
        && sigAt(k + 3) != null
        && sigAt(k + 3).isSymbol(".")
        && sigAt(k + 4) != null
        && sigAt(k + 4).isIdentifier()) {
      catalog = a.value;
      viewAt = k + 4;
    } else if (a.isWord("INFORMATION_SCHEMA")
        && (k == 0 || !sigAt(k - 1).isSymbol("."))
        && b != null
        && b.isSymbol(".")
        && c != null
        && c.isIdentifier()) {
      catalog = currentDatabase;
      viewAt = k + 2;
    } else {
      return 0;
    }
    String view = sigAt(viewAt).value;
    String body = VIEWS.get(view);
    if (body == null) {
      // Other views: DuckDB's own information_schema, over all databases.
      out.append("INFORMATION_SCHEMA.").append(sigAt(viewAt).text);
      return viewAt - k + 1;
    }
    String filter = catalog == null ? "NULL" : literal(catalog);
    out.append(view.equals("TABLES") ? "(SELECT * FROM (" : "(").append(body).append(filter);
    out.append(")");
    Token after = sigAt(viewAt + 1);
    boolean aliased =
        after != null
            && (after.isWord("AS")
                || after.kind == Kind.QUOTED
                || (after.kind == Kind.WORD && !NOT_AN_ALIAS.contains(after.value)));
    if (!aliased) {
      out.append(" AS ").append(view);
    }
    return viewAt - k + 1;
  }

  /** Words DuckDB's grammar keeps for itself that Snowflake SQL uses as plain identifiers. */
  private static final Set<String> DUCKDB_ONLY_KEYWORDS =
      Set.of(
          "AT",
          "ANTI",
          "ASOF",
          "SEMI",
          "POSITIONAL",
          "COLLATION",
          "COLUMNS",
          "CONCURRENTLY",
          "FREEZE",
          "GENERATED",
          "GLOB",
          "MAP",
          "OVERLAPS",
          "STRUCT",
          "UNPACK",
          "VERBOSE",
          "LAMBDA",
          "PIVOT_LONGER",
          "PIVOT_WIDER",
          "PLACING",
          "VARIADIC",
          "SYMMETRIC",
          "ASYMMETRIC",
          "SUMMARIZE",
          "ANALYSE",
          "ANALYZE",
          "DEFERRABLE",
          "INITIALLY");

  /** Keywords in both dialects that are still fine Snowflake column names in some positions. */
  private static final Set<String> CLAUSE_KEYWORDS =
      Set.of(
          "ASC",
          "DESC",
          "END",
          "DO",
          "OFFSET",
          "LIMIT",
          "FETCH",
          "ONLY",
          "SHOW",
          "DESCRIBE",
          "LEADING",
          "TRAILING",
          "BOTH",
          "COLLATE",
          "PIVOT",
          "UNPIVOT",
          "WINDOW",
          "RETURNING");

  private static boolean needsQuotes(String word, boolean ddl, Token prev, Token next) {
    boolean qualified =
        (prev != null && prev.isSymbol(".")) || (next != null && next.isSymbol("."));
    if (DUCKDB_ONLY_KEYWORDS.contains(word)) {
      return qualified
          || next == null
          || !(next.isSymbol("(") || next.isWord("JOIN") || (prev == null));
    }
    if (CLAUSE_KEYWORDS.contains(word)) {
      boolean columnDefinition =
          ddl
              && prev != null
              && (prev.isSymbol("(")
                  || prev.isSymbol(",")
                  || prev.isWord("COLUMN")
                  || prev.isWord("EXISTS"))
              && next != null
              && next.kind == Kind.WORD;
      return qualified || columnDefinition;
    }
    return false;
  }

  private static boolean isTypePosition(
      boolean ddl, Token prev, Token prevPrev, String parenOpener) {
    if (prev == null) {
      return false;
    }
    if (prev.isSymbol("::")) {
      return true;
    }
    if (prev.isWord("AS") && ("CAST".equals(parenOpener) || "TRY_CAST".equals(parenOpener))) {
      return true;
    }
    if (!ddl) {
      return false;
    }
    if (prev.isWord("TYPE")) {
      return true;
    }
    if (!prev.isIdentifier() || prevPrev == null) {
      return false;
    }
    return prevPrev.isSymbol("(")
        || prevPrev.isSymbol(",")
        || prevPrev.isWord("COLUMN")
        || prevPrev.isWord("ADD")
        || prevPrev.isWord("EXISTS");
  }

  private Token sigAt(int index) {
    return index < significant.size() ? significant.get(index) : null;
  }

  /** Index (among significant tokens) of the ')' that closes the '(' at {@code open}. */
  private int closingParen(int open) {
    int depth = 0;
    for (int j = open; j < significant.size(); j++) {
      if (significant.get(j).isSymbol("(")) {
        depth++;
      } else if (significant.get(j).isSymbol(")") && --depth == 0) {
        return j;
      }
    }
    return significant.size() - 1;
  }

  /** Advances over {@code count} more significant tokens after all-token index {@code i}. */
  private int skipThrough(int i, int count) {
    int j = i;
    int seen = 0;
    while (seen < count && j + 1 < all.size()) {
      j++;
      if (all.get(j).kind != Kind.SPACE) {
        seen++;
      }
    }
    return j;
  }

  static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }

  static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  /** Snowflake's rule for an identifier given outside SQL (a login parameter, say). */
  static String normalizeIdentifier(String raw) {
    if (raw == null || raw.isBlank()) {
      return null;
    }
    String s = raw.trim();
    if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
      return s.substring(1, s.length() - 1).replace("\"\"", "\"");
    }
    return s.toUpperCase(Locale.ROOT);
  }

  private static List<Token> tokenize(String sql) {
    List<Token> out = new ArrayList<>();
    int n = sql.length();
    int i = 0;
    while (i < n) {
      char c = sql.charAt(i);
      int start = i;
      if (Character.isWhitespace(c)) {
        while (i < n && Character.isWhitespace(sql.charAt(i))) {
          i++;
        }
        out.add(new Token(Kind.SPACE, sql.substring(start, i), null));
      } else if ((c == '-' && sql.startsWith("--", i)) || (c == '/' && sql.startsWith("//", i))) {
        while (i < n && sql.charAt(i) != '\n') {
          i++;
        }
        out.add(new Token(Kind.SPACE, sql.substring(start, i), null));
      } else if (c == '/' && sql.startsWith("/*", i)) {
        int end = sql.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
        out.add(new Token(Kind.SPACE, sql.substring(start, i), null));
      } else if (c == '\'') {
        StringBuilder value = new StringBuilder();
        i++;
        while (i < n) {
          char d = sql.charAt(i);
          if (d == '\'' && i + 1 < n && sql.charAt(i + 1) == '\'') {
            value.append('\'');
            i += 2;
          } else if (d == '\'') {
            i++;
            break;
          } else if (d == '\\' && i + 1 < n) {
            value.append(unescape(sql.charAt(i + 1)));
            i += 2;
          } else {
            value.append(d);
            i++;
          }
        }
        out.add(new Token(Kind.STRING, sql.substring(start, i), value.toString()));
      } else if (c == '$' && sql.startsWith("$$", i)) {
        int end = sql.indexOf("$$", i + 2);
        i = end < 0 ? n : end + 2;
        String value = sql.substring(start + 2, end < 0 ? n : end);
        out.add(new Token(Kind.STRING, sql.substring(start, i), value));
      } else if (c == '"') {
        StringBuilder value = new StringBuilder();
        i++;
        while (i < n) {
          char d = sql.charAt(i);
          if (d == '"' && i + 1 < n && sql.charAt(i + 1) == '"') {
            value.append('"');
            i += 2;
          } else if (d == '"') {
            i++;
            break;
          } else {
            value.append(d);
            i++;
          }
        }
        out.add(new Token(Kind.QUOTED, sql.substring(start, i), value.toString()));
      } else if (Character.isLetter(c) || c == '_') {
        while (i < n
            && (Character.isLetterOrDigit(sql.charAt(i))
                || sql.charAt(i) == '_'
                || sql.charAt(i) == '$')) {
          i++;
        }
        String text = sql.substring(start, i);
        out.add(new Token(Kind.WORD, text, text.toUpperCase(Locale.ROOT)));
      } else if (Character.isDigit(c)) {
        while (i < n && (Character.isDigit(sql.charAt(i)) || sql.charAt(i) == '.')) {
          i++;
        }
        if (i < n && (sql.charAt(i) == 'e' || sql.charAt(i) == 'E')) {
          int j = i + 1;
          if (j < n && (sql.charAt(j) == '+' || sql.charAt(j) == '-')) {
            j++;
          }
          if (j < n && Character.isDigit(sql.charAt(j))) {
            i = j;
            while (i < n && Character.isDigit(sql.charAt(i))) {
              i++;
            }
          }
        }
        String text = sql.substring(start, i);
        out.add(new Token(Kind.NUMBER, text, text));
      } else if (c == '?') {
        i++;
        out.add(new Token(Kind.PARAM, "?", "?"));
      } else if (c == ':' && i + 1 < n && sql.charAt(i + 1) == ':') {
        i += 2;
        out.add(new Token(Kind.SYMBOL, "::", "::"));
      } else if (c == ':' && i + 1 < n && Character.isDigit(sql.charAt(i + 1))) {
        i++;
        while (i < n && Character.isDigit(sql.charAt(i))) {
          i++;
        }
        String text = sql.substring(start, i);
        out.add(new Token(Kind.PARAM, text, text));
      } else {
        i++;
        out.add(new Token(Kind.SYMBOL, String.valueOf(c), String.valueOf(c)));
      }
    }
    return out;
  }

  private static char unescape(char c) {
    switch (c) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case '0':
        return '\0';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      default:
        return c;
    }
  }
}
