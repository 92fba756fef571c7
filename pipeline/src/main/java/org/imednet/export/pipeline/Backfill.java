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
import org.imednet.export.api.ApiConfig;
import org.imednet.export.metrics.ExportMetrics.Metric;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.ledger.Shard;

/**
 * A resumable backfill: studies × {@code dateModified} windows (shards), exported in runs of a few
 * studies of one window each, every run merged into the target and recorded in the target's ledger
 * as finished shards. The same backfill after a kill, a failure or a change of mind reads the
 * ledger and runs only the shards it does not show; a shard is never fetched twice once committed.
 *
 * <p>Runs go in plan order (windows in time order, studies in the given order), two in flight by
 * default, in one JVM, so the request budget ({@code --requests-per-second}, per JVM) is shared by
 * the whole backfill. The budget is not split between the runs in flight: each run's requests carry
 * its place in the plan ({@link ApiConfig#requestPriority()}), so the earliest run takes all it can
 * use and the next one only what it leaves (while it starts, plans and commits). A run killed loses
 * only the partial work of the runs in flight, which is why a window is cut into several runs when
 * the plan has few windows ({@link #studiesPerRun}).
 *
 * <p>When a run fails, each of its studies is run alone to find the failing ones; a study that
 * fails alone is reported and left out of the runs not started yet (a run already in flight beside
 * it may still commit it: the ledger then shows a gap, which the next run of the backfill fills),
 * the others go on.
 */
public final class Backfill {
  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  /** Where a backfill writes: what it has finished, and the export of one run. */
  public interface Target {
    /** The shards the target's ledger records as committed. */
    Set<Shard> finishedShards() throws Exception;

    /**
     * Exports {@code studies} as {@code run} says (one window), their requests at {@code priority}
     * ({@link ApiConfig#requestPriority()}); returns its summary.
     */
    RunSummary export(List<String> studies, LedgerRun run, int priority) throws Exception;

    /**
     * The most runs that may be in flight at once: unbounded, but 1 where two runs of one JVM would
     * share state (Snowflake's stage holds batch files named by their content, so two runs with an
     * identical metadata batch would remove each other's file).
     */
    default int maxRunsAhead() {
      return Integer.MAX_VALUE;
    }
  }

  /** How a backfill cuts and schedules its shards. */
  public static final class Schedule {
    private final int runsAhead;
    private final int studiesPerRun;

    private Schedule(int runsAhead, int studiesPerRun) {
      this.runsAhead = runsAhead;
      this.studiesPerRun = studiesPerRun;
    }

    /**
     * Up to {@code runsAhead} runs in flight, each of up to {@code studiesPerRun} studies of one
     * window; {@code studiesPerRun} 0 chooses it from the plan ({@link #studiesPerRun}).
     */
    public static Schedule of(int runsAhead, int studiesPerRun) {
      if (runsAhead < 1) {
        throw new IllegalArgumentException("--runs-ahead must be at least 1, was " + runsAhead);
      }
      if (studiesPerRun < 0) {
        throw new IllegalArgumentException(
            "--studies-per-run must be at least 1, was " + studiesPerRun);
      }
      return new Schedule(runsAhead, studiesPerRun);
    }

    /** The default: {@value #RUNS_AHEAD} runs in flight, studies per run from the plan. */
    public static Schedule defaults() {
      return new Schedule(RUNS_AHEAD, 0);
    }
  }

  /** Runs in flight at once by default. */
  public static final int RUNS_AHEAD = 2;

  /**
   * A plan is cut into at least this many runs where its studies allow, so that a kill repeats at
   * most about 1/{@value} of the work.
   */
  public static final int MIN_RUNS = 32;

  /**
   * Studies per run for {@code studies} studies over {@code windows} windows: all of a window's
   * studies when there are at least {@value #MIN_RUNS} windows, otherwise each window cut into
   * {@code ceil(MIN_RUNS / windows)} runs (at most one per study) of equal size. Fewer studies per
   * run cost more pipeline start-ups and commits (run side by side with the reading of the next
   * run); more cost more work repeated after a kill.
   */
  public static int studiesPerRun(int studies, int windows) {
    if (studies <= 1 || windows >= MIN_RUNS) {
      return Math.max(1, studies);
    }
    int runsPerWindow = Math.min(studies, (MIN_RUNS + windows - 1) / windows);
    return (studies + runsPerWindow - 1) / runsPerWindow;
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
    return run(plan, target, out, Schedule.defaults());
  }

  /** A run of the plan: some studies of one window, submitted, or a window with nothing to do. */
  private static final class Pending {
    final String label;
    final LocalDateTime from;
    final LocalDateTime until;
    final List<String> todo;
    final int priority;
    final @Nullable Future<Long> records;

    Pending(
        String label,
        LocalDateTime from,
        LocalDateTime until,
        List<String> todo,
        int priority,
        @Nullable Future<Long> records) {
      this.label = label;
      this.from = from;
      this.until = until;
      this.todo = todo;
      this.priority = priority;
      this.records = records;
    }
  }

  /** As {@link #run(List, Target, PrintStream)}, scheduled as {@code schedule} says. */
  public static Outcome run(List<Shard> plan, Target target, PrintStream out, Schedule schedule)
      throws Exception {
    int ahead = Math.max(1, Math.min(schedule.runsAhead, target.maxRunsAhead()));
    Set<Shard> finished = target.finishedShards();
    Outcome outcome = new Outcome();
    Map<List<LocalDateTime>, List<Shard>> windows = new LinkedHashMap<>();
    for (Shard s : plan) {
      windows.computeIfAbsent(List.of(s.from(), s.until()), k -> new ArrayList<>()).add(s);
    }
    int perRun =
        schedule.studiesPerRun > 0
            ? schedule.studiesPerRun
            : studiesPerRun(
                windows.isEmpty() ? 0 : windows.values().iterator().next().size(), windows.size());
    ExecutorService pool =
        Executors.newFixedThreadPool(
            ahead,
            r -> {
              Thread t = new Thread(r, "imednet-backfill-run");
              t.setDaemon(true);
              return t;
            });
    try {
      Iterator<Map.Entry<List<LocalDateTime>, List<Shard>>> next = windows.entrySet().iterator();
      // The rest of the window being cut into runs: its studies not yet submitted.
      Deque<String> window = new ArrayDeque<>();
      LocalDateTime from = null;
      LocalDateTime until = null;
      int priority = 0;
      Deque<Pending> pending = new ArrayDeque<>();
      while (next.hasNext() || !window.isEmpty() || !pending.isEmpty()) {
        while (pending.size() < ahead && (next.hasNext() || !window.isEmpty())) {
          if (window.isEmpty()) {
            Map.Entry<List<LocalDateTime>, List<Shard>> w = next.next();
            from = w.getKey().get(0);
            until = w.getKey().get(1);
            for (Shard s : w.getValue()) {
              if (outcome.failed.containsKey(s.studyKey())) {
                continue;
              }
              if (finished.contains(s)) {
                outcome.alreadyDone.add(s);
              } else {
                window.add(s.studyKey());
              }
            }
            if (window.isEmpty()) {
              pending.add(new Pending(label(from, until), from, until, List.of(), 0, null));
              continue;
            }
          }
          List<String> todo = new ArrayList<>();
          while (todo.size() < perRun && !window.isEmpty()) {
            String study = window.poll();
            // A study may have failed since its window was cut.
            if (!outcome.failed.containsKey(study)) {
              todo.add(study);
            }
          }
          if (todo.isEmpty()) {
            continue;
          }
          LocalDateTime a = from;
          LocalDateTime b = until;
          int p = priority++;
          Future<Long> records = pool.submit(() -> runShards(target, todo, a, b, p));
          pending.add(new Pending(label(a, b), a, b, todo, p, records));
        }
        if (!pending.isEmpty()) {
          finish(pending.poll(), target, outcome, out);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    return outcome;
  }

  private static String label(LocalDateTime from, LocalDateTime until) {
    return DAY.format(from) + " .. " + DAY.format(until);
  }

  /** Waits for a run in plan order, prints its line(s), and isolates failing studies. */
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
        long n = runShards(target, List.of(study), p.from, p.until, p.priority);
        outcome.records += n;
        outcome.committed.add(new Shard(study, p.from, p.until));
        out.println(p.label + ": " + study + ": " + n + " records");
      } catch (Exception alone) {
        outcome.failed.putIfAbsent(study, alone);
        out.println(p.label + ": " + study + ": FAILED");
      }
    }
  }

  private static long runShards(
      Target target, List<String> studies, LocalDateTime from, LocalDateTime until, int priority)
      throws Exception {
    LedgerRun run =
        LedgerRun.backfill(
            LedgerRun.newRunId(), LocalDateTime.now(ZoneOffset.UTC), studies, from, until);
    return target.export(studies, run, priority).total(Metric.RECORDS_FETCHED);
  }
}
