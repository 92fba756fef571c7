package org.imednet.export.testdata.snowflake;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Splits stage commands (PUT, LIST, REMOVE) on white space, keeping quoted parts whole: their file
 * paths and stage paths are case-sensitive and may hold characters SQL tokens would split.
 */
final class RawWords {
  private RawWords() {}

  static List<String> split(String sql) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    char quote = 0;
    for (int i = 0; i < sql.length(); i++) {
      char c = sql.charAt(i);
      if (quote != 0) {
        word.append(c);
        if (c == '\\' && quote == '\'' && i + 1 < sql.length()) {
          word.append(sql.charAt(++i));
        } else if (c == quote) {
          quote = 0;
        }
      } else if (Character.isWhitespace(c) || c == ';') {
        if (word.length() > 0) {
          words.add(word.toString());
          word.setLength(0);
        }
      } else {
        if (c == '\'' || c == '"') {
          quote = c;
        }
        word.append(c);
      }
    }
    if (word.length() > 0) {
      words.add(word.toString());
    }
    return words;
  }

  /** Removes one pair of surrounding single quotes and their escapes. */
  static String unquote(String word) {
    if (word.length() >= 2 && word.startsWith("'") && word.endsWith("'")) {
      String inner = word.substring(1, word.length() - 1);
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < inner.length(); i++) {
        char c = inner.charAt(i);
        if ((c == '\\' || c == '\'') && i + 1 < inner.length()) {
          out.append(inner.charAt(++i));
        } else {
          out.append(c);
        }
      }
      return out.toString();
    }
    return word;
  }

  /** {@code KEY = value} pairs (spaces around '=' allowed), keys upper case, values unquoted. */
  static Map<String, String> options(List<String> words) {
    String joined = String.join(" ", words);
    Map<String, String> out = new LinkedHashMap<>();
    List<String> tokens = split(joined.replace("=", " = "));
    for (int i = 0; i + 2 < tokens.size(); i++) {
      if (tokens.get(i + 1).equals("=")) {
        out.put(tokens.get(i).toUpperCase(Locale.ROOT), unquote(tokens.get(i + 2)));
        i += 2;
      }
    }
    return out;
  }
}
