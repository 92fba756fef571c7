package org.imednet.export.pipeline;

import java.io.PrintStream;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.imednet.export.metrics.ExportMetrics.Metric;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.ledger.Shard;

/**
 * A resumable backfill: studies × {@code dateModified} windows (shards), each window one export run
 * of the studies that still need it, merged into the target and recorded in the target's ledger as
 * finished shards. The same backfill after a kill, a failure or a change of mind reads the ledger
 * and runs only the shards it does not show; a shard is never fetched twice once committed.
 *
 * <p>Windows run one after the other in time order, all their studies in one pipeline, so the
 * request budget ({@code --requests-per-second}, per JVM) is shared by the whole backfill. When a
 * window's run fails, each of its studies is run alone to find the failing ones; a study that fails
 * alone is reported and left out of the later windows (so its ledger never shows a window after a
 * gap), the others go on.
 */
public final class Backfill {
  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  /** Where a backfill writes: what it has finished, and the export of one window. */
  public interface Target {
    /** The shards the target's ledger records as committed. */
    Set<Shard> finishedShards() throws Exception;

    /** Exports {@code studies} as {@code run} says (one window); returns its summary. */
    RunSummary export(List<String> studies, LedgerRun run) throws Exception;
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
    Set<Shard> finished = target.finishedShards();
    Outcome outcome = new Outcome();
    Map<List<LocalDateTime>, List<Shard>> windows = new LinkedHashMap<>();
    for (Shard s : plan) {
      windows.computeIfAbsent(List.of(s.from(), s.until()), k -> new ArrayList<>()).add(s);
    }
    for (Map.Entry<List<LocalDateTime>, List<Shard>> w : windows.entrySet()) {
      LocalDateTime from = w.getKey().get(0);
      LocalDateTime until = w.getKey().get(1);
      String label = DAY.format(from) + " .. " + DAY.format(until);
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
      if (todo.isEmpty()) {
        out.println(label + ": nothing to do");
        continue;
      }
      try {
        long n = runWindow(target, todo, from, until);
        outcome.records += n;
        todo.forEach(st -> outcome.committed.add(new Shard(st, from, until)));
        out.println(label + ": " + String.join(" ", todo) + ": " + n + " records");
      } catch (Exception e) {
        if (todo.size() == 1) {
          outcome.failed.put(todo.get(0), e);
          out.println(label + ": " + todo.get(0) + ": FAILED");
          continue;
        }
        // Find the failing studies: each alone.
        for (String study : todo) {
          try {
            long n = runWindow(target, List.of(study), from, until);
            outcome.records += n;
            outcome.committed.add(new Shard(study, from, until));
            out.println(label + ": " + study + ": " + n + " records");
          } catch (Exception alone) {
            outcome.failed.put(study, alone);
            out.println(label + ": " + study + ": FAILED");
          }
        }
      }
    }
    return outcome;
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
