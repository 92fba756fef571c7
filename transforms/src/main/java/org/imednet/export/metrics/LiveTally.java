package org.imednet.export.metrics;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * In-JVM running totals of the {@link ExportMetrics} counters, for live progress when the runner
 * executes in this JVM. Workers on a remote cluster update their own JVM's tally, which the client
 * never sees; the client then falls back to the runner's metrics at the end of the run.
 */
public final class LiveTally {
  private static final Map<String, LongAdder> TOTALS = new ConcurrentHashMap<>();

  private LiveTally() {}

  static void add(String counterName, long n) {
    TOTALS.computeIfAbsent(counterName, k -> new LongAdder()).add(n);
  }

  /** A copy of the current totals, keyed by counter name (see {@link ExportMetrics#parse}). */
  public static Map<String, Long> snapshot() {
    Map<String, Long> copy = new TreeMap<>();
    TOTALS.forEach((k, v) -> copy.put(k, v.sum()));
    return copy;
  }

  /** Forgets all totals; called before a run starts. */
  public static void reset() {
    TOTALS.clear();
  }
}
