package org.imednet.export.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.metrics.ExportMetrics.Metric;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.ledger.Shard;
import org.junit.jupiter.api.Test;

/** The backfill's cutting and scheduling, against a target that records what it was asked. */
class BackfillTest {
  private static final LocalDate DAY = LocalDate.of(2024, 1, 1);

  /** A target whose exports return 10 records per study and fail for {@code failing} studies. */
  private static final class RecordingTarget implements Backfill.Target {
    final Set<Shard> finished;
    final Set<String> failing;
    final int maxAhead;
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger mostInFlight = new AtomicInteger();

    RecordingTarget(Set<Shard> finished, Set<String> failing, int maxAhead) {
      this.finished = finished;
      this.failing = failing;
      this.maxAhead = maxAhead;
    }

    @Override
    public Set<Shard> finishedShards() {
      return finished;
    }

    @Override
    public RunSummary export(List<String> studies, LedgerRun run, int priority) {
      int now = inFlight.incrementAndGet();
      mostInFlight.accumulateAndGet(now, Math::max);
      try {
        calls.add(
            priority
                + " "
                + run.windowFrom(studies.get(0)).getHour()
                + "h "
                + String.join(",", studies));
        for (String s : studies) {
          if (failing.contains(s)) {
            throw new IllegalStateException("HTTP 403 for " + s);
          }
        }
        return RunSummary.fromCounters(
            Map.of(
                ExportMetrics.name(Metric.RECORDS_FETCHED, studies.get(0), "F"),
                10L * studies.size()),
            List.of());
      } finally {
        inFlight.decrementAndGet();
      }
    }

    @Override
    public int maxRunsAhead() {
      return maxAhead;
    }
  }

  private static List<String> studies(int n) {
    List<String> s = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      s.add("S" + i);
    }
    return s;
  }

  @Test
  void studiesPerRunCutsFewWindowsIntoAboutMinRunsRuns() {
    assertEquals(5, Backfill.studiesPerRun(20, 10), "4 runs per window, 40 in all");
    assertEquals(1, Backfill.studiesPerRun(2, 9), "never fewer than one study per run");
    assertEquals(20, Backfill.studiesPerRun(20, 32), "enough windows: one run per window");
    assertEquals(200, Backfill.studiesPerRun(200, 72));
    assertEquals(1, Backfill.studiesPerRun(20, 1));
    assertEquals(1, Backfill.studiesPerRun(1, 1));
    assertEquals(3, Backfill.studiesPerRun(20, 5), "7 runs per window: six of 3 studies, one of 2");
  }

  @Test
  void runsGoInPlanOrderWithIncreasingPriorityAndPrintOneLineEach() throws Exception {
    // 2 windows of 12 h, 5 studies, 2 per run: 3 runs per window.
    List<Shard> plan = Backfill.plan(studies(5), DAY, DAY, Duration.ofHours(12));
    RecordingTarget target = new RecordingTarget(Set.of(), Set.of(), Integer.MAX_VALUE);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Backfill.Outcome outcome =
        Backfill.run(
            plan,
            target,
            new PrintStream(bytes, true, StandardCharsets.UTF_8),
            Backfill.Schedule.of(1, 2));
    assertEquals(
        List.of("0 0h S1,S2", "1 0h S3,S4", "2 0h S5", "3 12h S1,S2", "4 12h S3,S4", "5 12h S5"),
        target.calls);
    assertEquals(
        List.of(
            "2024-01-01 00:00:00 .. 2024-01-01 12:00:00: S1 S2: 20 records",
            "2024-01-01 00:00:00 .. 2024-01-01 12:00:00: S3 S4: 20 records",
            "2024-01-01 00:00:00 .. 2024-01-01 12:00:00: S5: 10 records",
            "2024-01-01 12:00:00 .. 2024-01-02 00:00:00: S1 S2: 20 records",
            "2024-01-01 12:00:00 .. 2024-01-02 00:00:00: S3 S4: 20 records",
            "2024-01-01 12:00:00 .. 2024-01-02 00:00:00: S5: 10 records"),
        bytes.toString(StandardCharsets.UTF_8).lines().toList());
    assertEquals(10, outcome.committed().size());
    assertEquals(100, outcome.records());
    assertEquals(1, target.mostInFlight.get());
  }

  @Test
  void finishedShardsAreSkippedAndAWindowWithNothingLeftSaysSo() throws Exception {
    List<Shard> plan = Backfill.plan(studies(3), DAY, DAY, Duration.ofHours(12));
    LocalDateTime noon = DAY.atTime(12, 0);
    Set<Shard> finished = new HashSet<>();
    for (String s : studies(3)) {
      finished.add(new Shard(s, DAY.atStartOfDay(), noon));
    }
    finished.add(new Shard("S2", noon, DAY.plusDays(1).atStartOfDay()));
    RecordingTarget target = new RecordingTarget(finished, Set.of(), Integer.MAX_VALUE);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Backfill.Outcome outcome =
        Backfill.run(
            plan,
            target,
            new PrintStream(bytes, true, StandardCharsets.UTF_8),
            Backfill.Schedule.of(2, 0));
    assertEquals(List.of("0 12h S1", "1 12h S3"), target.calls);
    assertEquals(
        List.of(
            "2024-01-01 00:00:00 .. 2024-01-01 12:00:00: nothing to do",
            "2024-01-01 12:00:00 .. 2024-01-02 00:00:00: S1: 10 records",
            "2024-01-01 12:00:00 .. 2024-01-02 00:00:00: S3: 10 records"),
        bytes.toString(StandardCharsets.UTF_8).lines().toList());
    assertEquals(4, outcome.alreadyDone().size());
    assertEquals(2, outcome.committed().size());
  }

  @Test
  void aFailingStudyIsFoundAloneReportedAndLeftOutOfLaterRuns() throws Exception {
    // 3 windows of 8 h, 4 studies, all 4 in one run, one run at a time.
    List<Shard> plan = Backfill.plan(studies(4), DAY, DAY, Duration.ofHours(8));
    RecordingTarget target = new RecordingTarget(Set.of(), Set.of("S3"), Integer.MAX_VALUE);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Backfill.Outcome outcome =
        Backfill.run(
            plan,
            target,
            new PrintStream(bytes, true, StandardCharsets.UTF_8),
            Backfill.Schedule.of(1, 4));
    assertEquals(
        List.of(
            "0 0h S1,S2,S3,S4",
            "0 0h S1",
            "0 0h S2",
            "0 0h S3",
            "0 0h S4",
            "1 8h S1,S2,S4",
            "2 16h S1,S2,S4"),
        target.calls);
    assertEquals(
        List.of(
            "2024-01-01 00:00:00 .. 2024-01-01 08:00:00: S1: 10 records",
            "2024-01-01 00:00:00 .. 2024-01-01 08:00:00: S2: 10 records",
            "2024-01-01 00:00:00 .. 2024-01-01 08:00:00: S3: FAILED",
            "2024-01-01 00:00:00 .. 2024-01-01 08:00:00: S4: 10 records",
            "2024-01-01 08:00:00 .. 2024-01-01 16:00:00: S1 S2 S4: 30 records",
            "2024-01-01 16:00:00 .. 2024-01-02 00:00:00: S1 S2 S4: 30 records"),
        bytes.toString(StandardCharsets.UTF_8).lines().toList());
    assertEquals(List.of("S3"), new ArrayList<>(outcome.failed().keySet()));
    assertTrue(outcome.failed().get("S3").getMessage().contains("HTTP 403 for S3"));
    assertEquals(9, outcome.committed().size());
  }

  @Test
  void theTargetCapsTheRunsInFlight() throws Exception {
    List<Shard> plan = Backfill.plan(studies(4), DAY, DAY, Duration.ofHours(6));
    RecordingTarget target = new RecordingTarget(Set.of(), Set.of(), 1);
    Backfill.run(
        plan,
        target,
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        Backfill.Schedule.of(4, 1));
    assertEquals(16, target.calls.size());
    assertEquals(1, target.mostInFlight.get());
  }

  @Test
  void scheduleRefusesNonsense() {
    assertThrows(IllegalArgumentException.class, () -> Backfill.Schedule.of(0, 0));
    assertThrows(IllegalArgumentException.class, () -> Backfill.Schedule.of(1, -1));
  }
}
