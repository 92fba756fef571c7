package org.imednet.export.testdata.snowflake;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Deterministic fault injection for {@link SnowflakeEmulator}: each rule fires on the n-th matching
 * request (counted from 1, per rule, since the emulator started) and, with {@link #times(int)}, on
 * the k-1 matching requests after it.
 *
 * <pre>{@code
 * SnowflakeFaults faults = SnowflakeFaults.none()
 *     .failCopy(2)                                  // the 2nd COPY fails and rolls back
 *     .dropAfterExecute("(?i)^\\s*INSERT", 1)      // 1st INSERT commits, then the connection drops
 *     .httpStatus(503, 5).times(2);                 // 5th and 6th HTTP requests answer 503
 * }</pre>
 *
 * <p>Statement rules match their regular expression ({@code find}, case-insensitive) against the
 * SQL text of each query request, including the driver's retries of an earlier request, so a rule
 * with {@code times(k)} large enough is a permanent fault. Instances are immutable: every method
 * returns a new value, which can be reused across emulators.
 */
public final class SnowflakeFaults {

  enum Action {
    SQL_ERROR,
    DROP_BEFORE_EXECUTE,
    DROP_AFTER_EXECUTE,
    HTTP_STATUS
  }

  static final class Rule {
    final Pattern statement;
    final int nth;
    final int times;
    final Action action;
    final int httpStatus;

    Rule(Pattern statement, int nth, int times, Action action, int httpStatus) {
      this.statement = statement;
      this.nth = nth;
      this.times = times;
      this.action = action;
      this.httpStatus = httpStatus;
    }

    /** Whether the {@code count}-th match (from 1) of this rule fires. */
    boolean fires(int count) {
      return count >= nth && count < nth + times;
    }
  }

  private static final SnowflakeFaults NONE = new SnowflakeFaults(List.of());
  private static final String COPY = "^\\s*COPY\\s+INTO\\b";

  private final List<Rule> rules;

  private SnowflakeFaults(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  /** No faults: the default. */
  public static SnowflakeFaults none() {
    return NONE;
  }

  /**
   * The n-th {@code COPY INTO} fails with SQL error 100038 / 22000 after its rows were inserted and
   * before they commit, so the failure also shows that COPY rolls back (ON_ERROR =
   * ABORT_STATEMENT).
   */
  public SnowflakeFaults failCopy(int nth) {
    return failStatement(COPY, nth);
  }

  /**
   * The n-th statement matching {@code regex} fails with SQL error 100038 / 22000. A COPY fails
   * after its inserts and rolls back; any other statement fails before it runs.
   */
  public SnowflakeFaults failStatement(String regex, int nth) {
    return with(statementRule(regex, nth, Action.SQL_ERROR));
  }

  /** The connection of the n-th statement matching {@code regex} closes before it runs. */
  public SnowflakeFaults dropBeforeExecute(String regex, int nth) {
    return with(statementRule(regex, nth, Action.DROP_BEFORE_EXECUTE));
  }

  /**
   * The n-th statement matching {@code regex} runs and commits, then its connection closes with no
   * answer; the driver retries with the same requestId.
   */
  public SnowflakeFaults dropAfterExecute(String regex, int nth) {
    return with(statementRule(regex, nth, Action.DROP_AFTER_EXECUTE));
  }

  /** The n-th HTTP request of any kind (login included) is answered with {@code status}. */
  public SnowflakeFaults httpStatus(int status, int nthRequest) {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("status must be 400..599, was " + status);
    }
    checkNth(nthRequest);
    return with(new Rule(null, nthRequest, 1, Action.HTTP_STATUS, status));
  }

  /** The last rule added fires on {@code k} consecutive matches instead of one. */
  public SnowflakeFaults times(int k) {
    if (rules.isEmpty()) {
      throw new IllegalStateException("times() applies to the last rule; add a rule first");
    }
    if (k < 1) {
      throw new IllegalArgumentException("times must be >= 1, was " + k);
    }
    List<Rule> copy = new ArrayList<>(rules);
    Rule last = copy.remove(copy.size() - 1);
    copy.add(new Rule(last.statement, last.nth, k, last.action, last.httpStatus));
    return new SnowflakeFaults(copy);
  }

  List<Rule> rules() {
    return rules;
  }

  private SnowflakeFaults with(Rule rule) {
    List<Rule> copy = new ArrayList<>(rules);
    copy.add(rule);
    return new SnowflakeFaults(copy);
  }

  private static Rule statementRule(String regex, int nth, Action action) {
    checkNth(nth);
    Pattern p = Pattern.compile(regex, Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    return new Rule(p, nth, 1, action, 0);
  }

  private static void checkNth(int nth) {
    if (nth < 1) {
      throw new IllegalArgumentException("nth counts from 1, was " + nth);
    }
  }

  @Override
  public String toString() {
    return "SnowflakeFaults" + rules.size() + " rules";
  }
}
