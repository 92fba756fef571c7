package org.imednet.export.sinks.ledger;

import java.io.Serializable;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import javax.annotation.Nullable;

/**
 * What one export run records in its target's ledger, and how its sink applies the rows: the run
 * id, when the run started (UTC), and per study the {@code dateModified} lower bound it read from
 * (an incremental window) or none (every record of the study was read).
 *
 * <p>With {@link #merge()} the sink upserts: rows replace the rows of the same {@code (study_key,
 * record_id)}, and a study read whole replaces all of its rows. Without it the sink writes as a
 * plain export does and the ledger only records the run.
 */
public final class LedgerRun implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String runId;
  private final LocalDateTime startedAt;
  private final TreeMap<String, LocalDateTime> windows;
  private final boolean merge;
  private final @Nullable LocalDateTime until;
  private final java.util.TreeSet<String> studies;
  private final TreeMap<String, TreeMap<String, LocalDateTime>> tableWindows;

  private LedgerRun(
      String runId,
      LocalDateTime startedAt,
      Iterable<String> studies,
      Map<String, LocalDateTime> windows,
      Map<String, ? extends Map<String, LocalDateTime>> tableWindows,
      boolean merge,
      @Nullable LocalDateTime until) {
    this.tableWindows = new TreeMap<>();
    tableWindows.forEach((study, t) -> this.tableWindows.put(study, new TreeMap<>(t)));
    this.runId = Objects.requireNonNull(runId, "runId");
    this.studies = new java.util.TreeSet<>();
    studies.forEach(this.studies::add);
    this.studies.addAll(windows.keySet());
    this.startedAt = Objects.requireNonNull(startedAt, "startedAt");
    this.windows = new TreeMap<>(windows);
    this.merge = merge;
    this.until = until;
  }

  /** A fresh run id: the UTC start second and a random UUID, e.g. {@code 20261207T210000Z-…}. */
  public static String newRunId() {
    return DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .format(ZonedDateTime.now(ZoneOffset.UTC))
        + "-"
        + UUID.randomUUID();
  }

  /** A plain (full) export: every study read whole, tables written as without a ledger. */
  public static LedgerRun full(String runId, LocalDateTime startedAt, Iterable<String> studies) {
    return new LedgerRun(runId, startedAt, studies, Map.of(), Map.of(), false, null);
  }

  /**
   * An incremental export of {@code studies}: {@code windows} maps the studies read from a {@code
   * dateModified} lower bound to that bound; the others are read whole. The sink merges.
   */
  public static LedgerRun incremental(
      String runId,
      LocalDateTime startedAt,
      Iterable<String> studies,
      Map<String, LocalDateTime> windows) {
    return incremental(runId, startedAt, studies, windows, Map.of());
  }

  /**
   * As {@link #incremental(String, LocalDateTime, Iterable, Map)}, with lower bounds of their own
   * for windowed metadata tables ({@code tableWindows}: study to table key to bound); a windowed
   * study's table without one is read from the study's bound.
   */
  public static LedgerRun incremental(
      String runId,
      LocalDateTime startedAt,
      Iterable<String> studies,
      Map<String, LocalDateTime> windows,
      Map<String, ? extends Map<String, LocalDateTime>> tableWindows) {
    return new LedgerRun(runId, startedAt, studies, windows, tableWindows, true, null);
  }

  /**
   * One window of a backfill: every study of {@code studies} read for {@code dateModified} in
   * {@code [from, until)}, merged into the target and recorded as a finished shard.
   */
  public static LedgerRun backfill(
      String runId,
      LocalDateTime startedAt,
      Iterable<String> studies,
      LocalDateTime from,
      LocalDateTime until) {
    Map<String, LocalDateTime> windows = new TreeMap<>();
    studies.forEach(s -> windows.put(s, from));
    return new LedgerRun(
        runId, startedAt, studies, windows, Map.of(), true, Objects.requireNonNull(until, "until"));
  }

  /**
   * Every study of the run: each gets its ledger row, also when it had no row to write (an empty
   * window is a finished shard too).
   */
  public java.util.SortedSet<String> studies() {
    return Collections.unmodifiableSortedSet(studies);
  }

  /** The exclusive upper bound of every window of a backfill shard; null otherwise. */
  public @Nullable LocalDateTime until() {
    return until;
  }

  public String runId() {
    return runId;
  }

  /** When the run started, UTC wall-clock time. */
  public LocalDateTime startedAt() {
    return startedAt;
  }

  /** Whether the sink upserts (incremental) rather than replaces. */
  public boolean merge() {
    return merge;
  }

  /** The lower bound {@code study} was read from, or null if it was read whole. */
  public @Nullable LocalDateTime windowFrom(String study) {
    return windows.get(study);
  }

  /**
   * The lower bound windowed metadata table {@code table} of {@code study} is read from: its own,
   * else the study's ({@link #windowFrom}); null if the study is read whole.
   */
  public @Nullable LocalDateTime windowFrom(String study, String table) {
    LocalDateTime from = windows.get(study);
    if (from == null) {
      return null;
    }
    Map<String, LocalDateTime> own = tableWindows.get(study);
    return own != null && own.containsKey(table) ? own.get(table) : from;
  }

  /** Studies read from a lower bound, with it. */
  public Map<String, LocalDateTime> windows() {
    return Collections.unmodifiableMap(windows);
  }

  /**
   * {@code "backfill"} for a study of a backfill shard, {@code "incremental"} for a study read from
   * a lower bound, else {@code "full"}.
   */
  public String mode(String study) {
    if (!windows.containsKey(study)) {
      return "full";
    }
    return until != null ? "backfill" : "incremental";
  }

  @Override
  public String toString() {
    return "LedgerRun{"
        + runId
        + (merge ? ", incremental " + windows : ", full")
        + (until != null ? " until " + until : "")
        + "}";
  }
}
