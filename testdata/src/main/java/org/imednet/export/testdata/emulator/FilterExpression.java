package org.imednet.export.testdata.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * A parsed {@code filter} or {@code recordDataFilter} expression.
 *
 * <p>Grammar: {@code expression := group (',' group)*}, {@code group := term (';' term)*}, {@code
 * term := attribute operator value}. {@code ;} (AND) binds tighter than {@code ,} (OR), as in RSQL,
 * so {@code a==1;b==2,c==3} means {@code (a==1 AND b==2) OR c==3}. Operators: {@code == != < <= >
 * >=}, and in a {@code recordDataFilter} also {@code =~} and {@code ~=} (both "contains",
 * case-insensitive; mednet.yaml and the SDK docs write the first, the spec README the second). A
 * value is either raw (up to the next {@code ;} or {@code ,}) or double-quoted with {@code \"} and
 * {@code \\} escapes. The attribute is everything before the operator, so recordData keys with
 * spaces work.
 *
 * <p>Comparison of a value with an item's attribute: JSON numbers compare numerically, JSON
 * booleans with {@code true/false} (any case), strings that look like dates or timestamps on both
 * sides ({@code YYYY-MM-DD}, {@code YYYY-MM-DD HH:MM[:SS]}, ISO {@code …T…[Z|±hh:mm]}) compare as
 * UTC instants, strings that are numbers on both sides compare numerically, other strings compare
 * exactly (case-sensitive). A date or number value against a string that is not one (e.g. {@code
 * SYSBP>=140} against {@code "NOT DONE"} or {@code ""}) is incomparable, as is a missing or null
 * attribute: such items match only {@code !=}.
 */
public final class FilterExpression {

  /** Comparison operators. */
  public enum Op {
    EQ("=="),
    NE("!="),
    LE("<="),
    GE(">="),
    LT("<"),
    GT(">"),
    CONTAINS("=~"),
    CONTAINS_ALT("~=");

    private final String symbol;

    private static final Op[] ALL = values();

    Op(String symbol) {
      this.symbol = symbol;
    }

    public String symbol() {
      return symbol;
    }

    /** The first operator (in declaration order) whose symbol starts at {@code i}, or null. */
    static Op at(String text, int i) {
      for (Op op : ALL) {
        if (text.startsWith(op.symbol, i)) {
          return op;
        }
      }
      return null;
    }
  }

  /** One {@code attribute operator value} term, with the value pre-parsed for comparisons. */
  public static final class Term {
    private final String attribute;
    private final Op op;
    private final String value;
    private final BigDecimal number;
    private final Long epochMicros;
    private final Boolean bool;

    Term(String attribute, Op op, String value) {
      this.attribute = attribute;
      this.op = op;
      this.value = value;
      this.number = Values.parseNumber(value);
      this.epochMicros = Values.parseTimestampMicros(value);
      String lower = value.toLowerCase(Locale.ROOT);
      this.bool =
          lower.equals("true") ? Boolean.TRUE : lower.equals("false") ? Boolean.FALSE : null;
    }

    public String attribute() {
      return attribute;
    }

    public Op op() {
      return op;
    }

    public String value() {
      return value;
    }

    /** The value as a long, or null if it is not an integer. */
    public Long longValue() {
      if (number == null) {
        return null;
      }
      try {
        return number.longValueExact();
      } catch (ArithmeticException e) {
        return null;
      }
    }

    /**
     * Whether {@code actual} (an item's attribute, possibly null or missing) satisfies the term.
     */
    public boolean test(JsonNode actual) {
      if (actual == null || actual.isNull() || actual.isMissingNode()) {
        return op == Op.NE;
      }
      if (op == Op.CONTAINS || op == Op.CONTAINS_ALT) {
        return actual.asText().toLowerCase(Locale.ROOT).contains(value.toLowerCase(Locale.ROOT));
      }
      Integer c = compare(actual);
      if (c == null) {
        return op == Op.NE;
      }
      return holds(c);
    }

    /**
     * Whether {@link #testInstant} applies: the value is a date or timestamp and the operator a
     * comparison, so an attribute that is a date or timestamp string compares as a UTC instant.
     */
    public boolean isInstant() {
      return epochMicros != null && op != Op.CONTAINS && op != Op.CONTAINS_ALT;
    }

    /**
     * What {@link #test} answers for a string attribute that is a date or timestamp of {@code
     * actualMicros} (microseconds since the epoch, UTC), without the string: for a {@link
     * StudyData} that knows its items' timestamps as numbers. Only when {@link #isInstant()}.
     */
    public boolean testInstant(long actualMicros) {
      if (!isInstant()) {
        throw new IllegalStateException("not a date or timestamp comparison: " + this);
      }
      return holds(Long.compare(actualMicros, epochMicros));
    }

    /** What {@link #test} answers for a JSON boolean attribute {@code actual}. */
    public boolean testBoolean(boolean actual) {
      if (op == Op.CONTAINS || op == Op.CONTAINS_ALT) {
        return Boolean.toString(actual).contains(value.toLowerCase(Locale.ROOT));
      }
      if (bool == null) {
        return op == Op.NE;
      }
      return holds(Boolean.compare(actual, bool));
    }

    /** Whether the operator holds for an attribute that compares as {@code c} to the value. */
    private boolean holds(int c) {
      switch (op) {
        case EQ:
          return c == 0;
        case NE:
          return c != 0;
        case LT:
          return c < 0;
        case LE:
          return c <= 0;
        case GT:
          return c > 0;
        case GE:
          return c >= 0;
        default:
          throw new AssertionError(op);
      }
    }

    /** actual compared to the term's value; null when incomparable (e.g. boolean vs "abc"). */
    private Integer compare(JsonNode actual) {
      if (actual.isBoolean()) {
        if (bool == null) {
          return null;
        }
        return Boolean.compare(actual.booleanValue(), bool);
      }
      if (actual.isNumber()) {
        if (number == null) {
          return actual.asText().compareTo(value);
        }
        return actual.decimalValue().compareTo(number);
      }
      if (actual.isTextual()) {
        String text = actual.textValue();
        if (epochMicros != null) {
          Long t = Values.parseTimestampMicros(text);
          return t == null ? null : Long.compare(t, epochMicros);
        }
        if (number != null) {
          BigDecimal n = Values.parseNumber(text);
          return n == null ? null : n.compareTo(number);
        }
        return Integer.signum(text.compareTo(value));
      }
      return null;
    }

    @Override
    public String toString() {
      return attribute + op.symbol + value;
    }
  }

  private final List<List<Term>> groups;

  private FilterExpression(List<List<Term>> groups) {
    this.groups = groups;
  }

  /** The OR-ed groups, each a list of AND-ed terms. Empty for a blank expression (matches all). */
  public List<List<Term>> groups() {
    return groups;
  }

  public boolean isEmpty() {
    return groups.isEmpty();
  }

  /**
   * Parses {@code text}.
   *
   * @param allowContains whether {@code =~}/{@code ~=} are allowed (recordDataFilter only)
   * @throws IllegalArgumentException with a message naming the position of a syntax error
   */
  public static FilterExpression parse(String text, boolean allowContains) {
    if (text == null || text.isEmpty()) {
      return new FilterExpression(Collections.emptyList());
    }
    // One turn per term; the character scans are small methods of their own, so the JIT compiles
    // them rather than the whole parser (parsed twice per request, it never gets hot itself).
    List<List<Term>> groups = new ArrayList<>();
    List<Term> group = new ArrayList<>();
    int i = 0;
    int n = text.length();
    while (true) {
      int attrStart = i;
      i = scan(text, i, "=!<>~;,\"");
      String attribute = text.substring(attrStart, i).trim();
      if (attribute.isEmpty()) {
        throw new IllegalArgumentException(
            "missing attribute at position " + attrStart + " of filter '" + text + "'");
      }
      Op op = Op.at(text, i);
      if (op == null) {
        throw new IllegalArgumentException(
            "expected one of == != < <= > >= at position "
                + i
                + " of filter '"
                + text
                + "' after '"
                + attribute
                + "'");
      }
      if ((op == Op.CONTAINS || op == Op.CONTAINS_ALT) && !allowContains) {
        throw new IllegalArgumentException(
            "operator " + op.symbol + " is only allowed in recordDataFilter");
      }
      i += op.symbol.length();
      String value;
      if (i < n && text.charAt(i) == '"') {
        StringBuilder quoted = new StringBuilder();
        i = unquote(text, i + 1, quoted, attribute);
        if (i < n && text.charAt(i) != ';' && text.charAt(i) != ',') {
          throw new IllegalArgumentException(
              "expected ; or , at position " + i + " of filter '" + text + "'");
        }
        value = quoted.toString();
      } else {
        int valueStart = i;
        i = scan(text, i, ";,");
        value = text.substring(valueStart, i);
      }
      group.add(new Term(attribute, op, value));
      if (i >= n) {
        break;
      }
      char sep = text.charAt(i++);
      if (sep == ',') {
        groups.add(List.copyOf(group));
        group = new ArrayList<>();
      }
      if (i >= n) {
        throw new IllegalArgumentException("filter '" + text + "' ends with '" + sep + "'");
      }
    }
    groups.add(List.copyOf(group));
    return new FilterExpression(List.copyOf(groups));
  }

  /**
   * The index of the first character of {@code stops} in {@code text} from {@code i}, or its end.
   */
  private static int scan(String text, int i, String stops) {
    while (i < text.length() && stops.indexOf(text.charAt(i)) < 0) {
      i++;
    }
    return i;
  }

  /**
   * Appends the quoted value starting at {@code i} (after its opening quote) to {@code value},
   * resolving {@code \"} and {@code \\}; returns the index after the closing quote.
   */
  private static int unquote(String text, int i, StringBuilder value, String attribute) {
    int n = text.length();
    while (i < n) {
      char c = text.charAt(i++);
      if (c == '\\' && i < n) {
        value.append(text.charAt(i++));
      } else if (c == '"') {
        return i;
      } else {
        value.append(c);
      }
    }
    throw new IllegalArgumentException(
        "unterminated quoted value for '" + attribute + "' in filter '" + text + "'");
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    for (List<Term> g : groups) {
      if (b.length() > 0) {
        b.append(',');
      }
      for (int t = 0; t < g.size(); t++) {
        b.append(t == 0 ? "" : ";").append(g.get(t));
      }
    }
    return b.toString();
  }
}
