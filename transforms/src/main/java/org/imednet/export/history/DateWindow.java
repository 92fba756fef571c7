package org.imednet.export.history;

import java.io.Serializable;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeParseException;
import java.util.Objects;

/**
 * A window of whole UTC days, {@code start} to {@code end} inclusive, as users give it ({@code
 * --start-date 2026-01-01 --end-date 2026-01-31}). As a half-open instant range it is {@code [start
 * 00:00:00, end + 1 day 00:00:00)}, so a timestamp on the last day, up to its last second, falls
 * inside and windows of consecutive days neither overlap nor leave gaps.
 */
public final class DateWindow implements Serializable {
  private static final long serialVersionUID = 1L;

  private final LocalDate start;
  private final LocalDate end;

  private DateWindow(LocalDate start, LocalDate end) {
    this.start = Objects.requireNonNull(start, "start");
    this.end = Objects.requireNonNull(end, "end");
    if (end.isBefore(start)) {
      throw new IllegalArgumentException(
          "the end date " + end + " is before the start date " + start);
    }
  }

  /** The days {@code start..end}, both included. */
  public static DateWindow of(LocalDate start, LocalDate end) {
    return new DateWindow(start, end);
  }

  /**
   * Parses two ISO dates ({@code YYYY-MM-DD}); a bad date is an {@link IllegalArgumentException}
   * naming the option and the value.
   */
  public static DateWindow parse(String start, String end) {
    return new DateWindow(date("--start-date", start), date("--end-date", end));
  }

  private static LocalDate date(String option, String value) {
    try {
      return LocalDate.parse(Objects.requireNonNull(value, option).strip());
    } catch (DateTimeParseException e) {
      // No cause: the CLI prints the innermost message, and this one names the option.
      throw new IllegalArgumentException(
          option + " must be a date YYYY-MM-DD, was '" + value + "'");
    }
  }

  public LocalDate start() {
    return start;
  }

  /** The last day, included. */
  public LocalDate end() {
    return end;
  }

  /** The first instant inside, as UTC wall-clock time. */
  public LocalDateTime from() {
    return start.atStartOfDay();
  }

  /** The first instant after the window, as UTC wall-clock time. */
  public LocalDateTime until() {
    return end.plusDays(1).atStartOfDay();
  }

  /**
   * The API filter terms selecting {@code field} inside the window, e.g. {@code
   * dateModified>=2026-01-01T00:00:00Z;dateModified<2026-02-01T00:00:00Z}.
   */
  public String apiFilter(String field) {
    return field + ">=" + start + "T00:00:00Z;" + field + "<" + end.plusDays(1) + "T00:00:00Z";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DateWindow
        && start.equals(((DateWindow) o).start)
        && end.equals(((DateWindow) o).end);
  }

  @Override
  public int hashCode() {
    return Objects.hash(start, end);
  }

  @Override
  public String toString() {
    return start + ".." + end;
  }
}
