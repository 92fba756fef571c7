package org.imednet.export.testdata.emulator;

import java.time.Duration;
import java.util.Objects;

/** One injected misbehaviour of the {@link ImednetEmulator}; see {@link FaultPlan}. */
public final class Fault {

  /** The kinds of fault. */
  public enum Kind {
    /** 429 with {@code Retry-After: <seconds>}. */
    TOO_MANY_REQUESTS_SECONDS,
    /** 429 with {@code Retry-After: <HTTP-date>} (emulator clock + delay). */
    TOO_MANY_REQUESTS_DATE,
    /** 429 without {@code Retry-After}. */
    TOO_MANY_REQUESTS_BARE,
    /** An error status (500, 503, …) with the error envelope. */
    STATUS,
    /** The connection is closed without any response. */
    CONNECTION_RESET,
    /** The response is held for a duration, then served normally. */
    HOLD,
    /** A 200 whose JSON body stops half-way (a complete HTTP response, malformed JSON). */
    TRUNCATED_BODY,
    /** A 200 whose {@code pagination} has no {@code totalPages}. */
    MISSING_TOTAL_PAGES,
    /** A 200 whose {@code pagination.totalPages} is -1. */
    NEGATIVE_TOTAL_PAGES,
    /** Runs a hook, then serves the request normally (other rules still apply). */
    RUN
  }

  private final Kind kind;
  private final int status;
  private final Duration duration;
  private final Runnable hook;

  private Fault(Kind kind, int status, Duration duration, Runnable hook) {
    this.kind = kind;
    this.status = status;
    this.duration = duration;
    this.hook = hook;
  }

  /** 429 with {@code Retry-After} in whole seconds. */
  public static Fault tooManyRequests(Duration retryAfter) {
    checkDuration(retryAfter);
    return new Fault(Kind.TOO_MANY_REQUESTS_SECONDS, 429, retryAfter, null);
  }

  /** 429 with {@code Retry-After} as an HTTP-date {@code retryAfter} after the emulator's clock. */
  public static Fault tooManyRequestsUntil(Duration retryAfter) {
    checkDuration(retryAfter);
    return new Fault(Kind.TOO_MANY_REQUESTS_DATE, 429, retryAfter, null);
  }

  /** 429 without {@code Retry-After}. */
  public static Fault tooManyRequestsWithoutRetryAfter() {
    return new Fault(Kind.TOO_MANY_REQUESTS_BARE, 429, Duration.ZERO, null);
  }

  /** An HTTP error status with the documented error envelope, e.g. 500 or 503. */
  public static Fault status(int status) {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("status must be 400..599, was " + status);
    }
    return new Fault(Kind.STATUS, status, Duration.ZERO, null);
  }

  public static Fault connectionReset() {
    return new Fault(Kind.CONNECTION_RESET, 0, Duration.ZERO, null);
  }

  /** Holds the response for {@code duration} (beyond a client timeout, say), then serves it. */
  public static Fault hold(Duration duration) {
    checkDuration(duration);
    return new Fault(Kind.HOLD, 0, duration, null);
  }

  public static Fault truncatedBody() {
    return new Fault(Kind.TRUNCATED_BODY, 200, Duration.ZERO, null);
  }

  public static Fault missingTotalPages() {
    return new Fault(Kind.MISSING_TOTAL_PAGES, 200, Duration.ZERO, null);
  }

  public static Fault negativeTotalPages() {
    return new Fault(Kind.NEGATIVE_TOTAL_PAGES, 200, Duration.ZERO, null);
  }

  /** Runs {@code hook} (e.g. adds records) before the request is served. */
  public static Fault run(Runnable hook) {
    return new Fault(Kind.RUN, 0, Duration.ZERO, Objects.requireNonNull(hook, "hook"));
  }

  private static void checkDuration(Duration d) {
    if (d == null || d.isNegative()) {
      throw new IllegalArgumentException("duration must be >= 0, was " + d);
    }
  }

  public Kind kind() {
    return kind;
  }

  public int status() {
    return status;
  }

  public Duration duration() {
    return duration;
  }

  Runnable hook() {
    return hook;
  }

  @Override
  public String toString() {
    return kind + (status > 0 ? " " + status : "") + (duration.isZero() ? "" : " " + duration);
  }
}
