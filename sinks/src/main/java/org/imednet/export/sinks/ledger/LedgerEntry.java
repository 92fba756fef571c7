package org.imednet.export.sinks.ledger;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Map;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * A study's latest row in a target's export ledger: which run last committed it, how, and the
 * high-water mark the next incremental run starts from.
 *
 * @param highWaterMark the latest {@code date_modified} the target holds for the study, or null if
 *     it holds no record
 * @param invalidated the target no longer holds what the ledger recorded (a plain export replaced a
 *     table the study shared), so the next incremental run reads the study whole
 */
public record LedgerEntry(
    String studyKey,
    String runId,
    String mode,
    @Nullable LocalDateTime windowFrom,
    @Nullable LocalDateTime highWaterMark,
    LocalDateTime startedAt,
    LocalDateTime committedAt,
    boolean invalidated,
    Map<String, LocalDateTime> tableMarks) {

  public LedgerEntry {
    Objects.requireNonNull(studyKey, "studyKey");
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(committedAt, "committedAt");
    tableMarks = Map.copyOf(tableMarks);
  }

  /**
   * Where the next incremental run reads from: the earlier of the high-water mark and the start of
   * the run that set it, less {@code lookBack}; null if the study must be read whole.
   *
   * <p>The earlier of the two, because records are read by recordId, not by time: a record changed
   * while the last run was reading, behind its keyset position, has a {@code dateModified} after
   * the run started but possibly before the latest {@code dateModified} that run saw. The look-back
   * also covers changes the API commits with a {@code dateModified} a little in the past, and clock
   * skew between this machine and the API.
   */
  public @Nullable LocalDateTime nextFrom(Duration lookBack) {
    if (invalidated) {
      return null;
    }
    return earlier(highWaterMark).minus(lookBack);
  }

  /**
   * Where the next incremental run reads windowed metadata table {@code table} from, as {@link
   * #nextFrom(Duration)} with the table's own mark; the records' bound when the table has none.
   */
  public @Nullable LocalDateTime nextFrom(String table, Duration lookBack) {
    LocalDateTime mark = tableMarks.get(table);
    if (invalidated || mark == null) {
      return nextFrom(lookBack);
    }
    return earlier(mark).minus(lookBack);
  }

  private LocalDateTime earlier(@Nullable LocalDateTime mark) {
    return mark == null || startedAt.isBefore(mark) ? startedAt : mark;
  }

  /**
   * A study's high-water mark after a run that saw {@code now} (null: no row with a date): a study
   * read from a window keeps the later of it and its previous mark; a study read whole has only
   * what it saw.
   */
  public static @Nullable LocalDateTime markAfter(
      @Nullable LedgerEntry before, boolean windowed, @Nullable LocalDateTime now) {
    LocalDateTime previous = windowed && before != null ? before.highWaterMark() : null;
    if (previous == null) {
      return now;
    }
    return now == null || previous.isAfter(now) ? previous : now;
  }

  /** Puts {@code entry} into {@code latest} unless a row of its study committed later is there. */
  public static void keepLatest(Map<String, LedgerEntry> latest, LedgerEntry entry) {
    latest.merge(
        entry.studyKey(),
        entry,
        (seen, e) -> e.committedAt().isAfter(seen.committedAt()) ? e : seen);
  }
}
