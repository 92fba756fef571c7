package org.imednet.export.pipeline;

import java.io.PrintStream;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.annotation.Nullable;
import org.imednet.export.metrics.ExportMetrics.Metric;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.ledger.Shard;

/**
 * A resumable backfill: studies × {@code dateModified} windows (shards), each window one export run
 * of the studies that still need it, merged into the target and recorded in the target's ledger as
 * finished shards. The same backfill after a kill, a failure or a change of mind reads the ledger
 * and runs only the shards it does not show; a shard is never fetched twice once committed.
 *
 * <p>Windows run in time order, all their studies in one pipeline, one window at a time by default
 * ({@code --windows-ahead N} overlaps them), in one JVM, so the request budget ({@code
 * --requests-per-second}, per JVM) is shared by the whole backfill. When a window's run fails, each
 * of its studies is run alone to find the failing ones; a study that fails alone is reported and
 * left out of the windows not started yet (with windows overlapping, the window already running
 * beside it may still commit it: the ledger then shows a gap, which the next run of the backfill
 * fills), the others go on.
 */
public final class Backfill {
  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  /** Where a backfill writes: what it has finished, and the export of one window. */
  public interface Target {
    /** The shards the target's ledger records as committed. */
    Set<Shard> finishedShards() throws Exception;

    /** Exports {@code studies} as {@code run} says (one window); returns its summary. */
    RunSummary export(List<String> studies, LedgerRun run) throws Exception;

    /**
     * The most windows that may run at once: unbounded, but 1 where two runs of one JVM would share
     * state (Snowflake's stage holds batch files named by their content, so two windows with an
     * identical metadata batch would remove each other's file).
     */
    default int maxWindowsAhead() {
      return Integer.MAX_VALUE;
    }
  }

  /** What a backfill did. */
  public static final class Outcome {
    private final List<Shard> committed = new ArrayList<>();
    private final List<Shard> alreadyDone = new ArrayList<>();
    private final Map<String, Throwable> failed = new LinkedHashMap<>();
    private long records;

    /** Shards committed by this run, in order. */
    public List<Shard> committed() {
      return Collections.unmodifiableList(committed);
    }

    /** Shards the ledger already showed, skipped. */
    public List<Shard> alreadyDone() {
      return Collections.unmodifiableList(alreadyDone);
    }

    /** Studies that failed, with the failure of their first failing window. */
    public Map<String, Throwable> failed() {
      return Collections.unmodifiableMap(failed);
    }

    /** Records fetched by this run. */
    public long records() {
      return records;
    }
  }

  private Backfill() {}

  /**
   * The shards of {@code studies} for the UTC days {@code from..to} (both included) in windows of
   * {@code window}: windows in time order, each with every study in the given order; the last
   * window ends at the end of {@code to}.
   */
  public static List<Shard> plan(
      List<String> studies, LocalDate from, LocalDate to, Duration window) {
    Objects.requireNonNull(window, "window");
    if (to.isBefore(from)) {
      throw new IllegalArgumentException("--to " + to + " is before --from " + from);
    }
    if (window.isNegative() || window.isZero() || window.compareTo(Duration.ofMinutes(1)) < 0) {
      throw new IllegalArgumentException("--window must be at least 1m, was " + window);
    }
    LocalDateTime end = to.plusDays(1).atStartOfDay();
    List<Shard> shards = new ArrayList<>();
    for (LocalDateTime a = from.atStartOfDay(); a.isBefore(end); a = a.plus(window)) {
      LocalDateTime b = a.plus(window).isBefore(end) ? a.plus(window) : end;
      for (String study : studies) {
        shards.add(new Shard(study, a, b));
      }
    }
    return shards;
  }

  /** Runs the shards of {@code plan} that {@code target} has not finished; prints one line each. */
  public static Outcome run(List<Shard> plan, Target target, PrintStream out) throws Exception {
    return run(plan, target, out, WINDOWS_AHEAD);
  }

  /**
   * Windows in flight at once by default: one. A window's run starts (pipeline start-up, metadata
   * lists, range planning) and ends (the commit) with seconds of few requests; more windows in
   * flight keep the request budget in use then, but a run killed loses the partial work of every
   * window in flight, and a study failing in one window may already be running in the next (see
   * docs/benchmarks.md for both, measured). Commits into one target are serialized by the sinks,
   * each window's in one transaction as always.
   */
  public static final int WINDOWS_AHEAD = 1;

  /** A window of the plan: submitted, or with nothing to do. */
  private static final class Pending {
    final String label;
    final LocalDateTime from;
    final LocalDateTime until;
    final List<String> todo;
    final @Nullable Future<Long> records;

    Pending(
        String label,
        LocalDateTime from,
        LocalDateTime until,
        List<String> todo,
        @Nullable Future<Long> records) {
      this.label = label;
      this.from = from;
      this.until = until;
      this.todo = todo;
      this.records = records;
    }
  }

  /** As {@link #run(List, Target, PrintStream)}, with up to {@code ahead} windows in flight. */
  public static Outcome run(List<Shard> plan, Target target, PrintStream out, int ahead)
      throws Exception {
    if (ahead < 1) {
      throw new IllegalArgumentException("windows ahead must be at least 1, was " + ahead);
    }
    ahead = Math.min(ahead, target.maxWindowsAhead());
    Set<Shard> finished = target.finishedShards();
    Outcome outcome = new Outcome();
    Map<List<LocalDateTime>, List<Shard>> windows = new LinkedHashMap<>();
    for (Shard s : plan) {
      windows.computeIfAbsent(List.of(s.from(), s.until()), k -> new ArrayList<>()).add(s);
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            ahead,
            r -> {
              Thread t = new Thread(r, "imednet-backfill-window");
              t.setDaemon(true);
              return t;
            });
    try {
      Iterator<Map.Entry<List<LocalDateTime>, List<Shard>>> next = windows.entrySet().iterator();
      Deque<Pending> pending = new ArrayDeque<>();
      while (next.hasNext() || !pending.isEmpty()) {
        while (pending.size() < ahead && next.hasNext()) {
          Map.Entry<List<LocalDateTime>, List<Shard>> w = next.next();
          LocalDateTime from = w.getKey().get(0);
          LocalDateTime until = w.getKey().get(1);
          List<String> todo = new ArrayList<>();
          for (Shard s : w.getValue()) {
            if (outcome.failed.containsKey(s.studyKey())) {
              continue;
            }
            if (finished.contains(s)) {
              outcome.alreadyDone.add(s);
            } else {
              todo.add(s.studyKey());
            }
          }
          Future<Long> records =
              todo.isEmpty() ? null : pool.submit(() -> runWindow(target, todo, from, until));
          pending.add(
              new Pending(
                  DAY.format(from) + " .. " + DAY.format(until), from, until, todo, records));
        }
        finish(pending.poll(), target, outcome, out);
      }
    } finally {
      pool.shutdownNow();
    }
    return outcome;
  }

  /** Waits for a window in plan order, prints its line(s), and isolates failing studies. */
  private static void finish(Pending p, Target target, Outcome outcome, PrintStream out)
      throws InterruptedException {
    if (p.records == null) {
      out.println(p.label + ": nothing to do");
      return;
    }
    try {
      long n = p.records.get();
      outcome.records += n;
      p.todo.forEach(st -> outcome.committed.add(new Shard(st, p.from, p.until)));
      out.println(p.label + ": " + String.join(" ", p.todo) + ": " + n + " records");
      return;
    } catch (ExecutionException e) {
      if (p.todo.size() == 1) {
        outcome.failed.putIfAbsent(p.todo.get(0), e.getCause());
        out.println(p.label + ": " + p.todo.get(0) + ": FAILED");
        return;
      }
    }
    // Find the failing studies: each alone.
    for (String study : p.todo) {
      try {
        long n = runWindow(target, List.of(study), p.from, p.until);
        outcome.records += n;
        outcome.committed.add(new Shard(study, p.from, p.until));
        out.println(p.label + ": " + study + ": " + n + " records");
      } catch (Exception alone) {
        outcome.failed.putIfAbsent(study, alone);
        out.println(p.label + ": " + study + ": FAILED");
      }
    }
  }

  private static long runWindow(
      Target target, List<String> studies, LocalDateTime from, LocalDateTime until)
      throws Exception {
    LedgerRun run =
        LedgerRun.backfill(
            LedgerRun.newRunId(), LocalDateTime.now(ZoneOffset.UTC), studies, from, until);
    return target.export(studies, run).total(Metric.RECORDS_FETCHED);
  }
}
