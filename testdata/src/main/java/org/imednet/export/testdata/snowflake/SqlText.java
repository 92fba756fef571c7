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
          if (next != null
              && next.isSymbol(".")
              && next2 != null
              && next2.isWord("INFORMATION_SCHEMA")) {
            // DuckDB has one information_schema over all attached databases.
            i = skipThrough(i, 1);
            sigIndex++;
            break;
          }
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
