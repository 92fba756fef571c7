package org.imednet.export.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.annotation.Nullable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.metrics.ExportMetrics.Metric;
import org.imednet.export.metrics.LiveTally;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shows what the running export has done so far: a progress bar of records fetched against the API
 * totals on a terminal, or a plain line every few seconds otherwise (logs, CI). In-JVM runners
 * report from {@link LiveTally}; a job on a remote Flink cluster from the cluster's REST API
 * ({@link FlinkJobCounters}), whose counts lag the work by up to a bundle and the JobManager's
 * metric refresh. The final summary never comes from here but from the runner's metrics.
 */
final class ProgressReporter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressReporter.class);

  /** How often a bar asks a remote cluster for counts (a local bar redraws every 500 ms). */
  private static final long REMOTE_BAR_POLL_MILLIS = 2000;

  /** How progress is shown. */
  enum Mode {
    AUTO,
    BAR,
    PLAIN,
    NONE
  }

  private final ScheduledExecutorService timer;
  private final PrintStream out;
  private final ProgressBar bar;
  private final @Nullable FlinkJobCounters remote;
  private volatile Map<String, Long> lastRemote = Map.of();

  ProgressReporter(Mode mode, PrintStream out, long plainIntervalSeconds) {
    this(mode, out, plainIntervalSeconds, null, null);
  }

  /**
   * @param remoteMaster the Flink cluster the job runs on ({@code --flinkMaster}), or null for an
   *     in-process runner. Its workers count in their own JVMs, so the counts are polled from the
   *     cluster's REST API instead of this JVM's tally.
   * @param jobName the name the job is submitted with, to find it on {@code remoteMaster}
   */
  ProgressReporter(
      Mode mode,
      PrintStream out,
      long plainIntervalSeconds,
      @Nullable String remoteMaster,
      @Nullable String jobName) {
    this.out = out;
    Mode effective = mode == Mode.AUTO ? (System.console() != null ? Mode.BAR : Mode.PLAIN) : mode;
    if (effective == Mode.NONE) {
      timer = null;
      bar = null;
      remote = null;
      return;
    }
    if (remoteMaster != null) {
      if (jobName == null) {
        throw new IllegalArgumentException("a remote job needs its name to be found");
      }
      remote = FlinkJobCounters.of(remoteMaster, jobName);
      out.println(remoteLine(remoteMaster, jobName));
      out.flush();
    } else {
      remote = null;
    }
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "imednet-progress");
              t.setDaemon(true);
              return t;
            });
    if (effective == Mode.BAR) {
      bar =
          new ProgressBarBuilder()
              .setTaskName("records")
              .setInitialMax(0)
              .setStyle(ProgressBarStyle.ASCII)
              .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(out))
              .setUpdateIntervalMillis(500)
              .showSpeed()
              .build();
      if (remote != null) {
        // With a delay, not a rate: a slow REST API must not queue polls up.
        timer.scheduleWithFixedDelay(
            this::updateBar, REMOTE_BAR_POLL_MILLIS, REMOTE_BAR_POLL_MILLIS, TimeUnit.MILLISECONDS);
      } else {
        timer.scheduleAtFixedRate(this::updateBar, 500, 500, TimeUnit.MILLISECONDS);
      }
    } else {
      bar = null;
      if (remote != null) {
        timer.scheduleWithFixedDelay(
            this::printLine, plainIntervalSeconds, plainIntervalSeconds, TimeUnit.SECONDS);
      } else {
        timer.scheduleAtFixedRate(
            this::printLine, plainIntervalSeconds, plainIntervalSeconds, TimeUnit.SECONDS);
      }
    }
  }

  static String remoteLine(String master, String jobName) {
    return "progress: the job runs on the Flink cluster at "
        + master
        + " as "
        + jobName
        + "; counts come from its REST API, a bundle (--maxBundleTimeMills) and the JobManager's"
        + " metric refresh behind the work";
  }

  /**
   * The counts now: this JVM's tally, or a poll of the remote job (its last counts when the poll
   * fails: the job is not submitted yet, or the REST API did not answer).
   */
  private Snapshot take(boolean poll) {
    if (remote == null) {
      return Snapshot.take();
    }
    if (poll) {
      try {
        lastRemote = remote.poll();
      } catch (IOException | RuntimeException e) {
        LOG.debug("No progress from the Flink cluster this time: {}", e.toString());
      }
    }
    return Snapshot.of(lastRemote);
  }

  private void updateBar() {
    updateBar(true);
  }

  private void updateBar(boolean poll) {
    Snapshot s = take(poll);
    bar.maxHint(Math.max(s.apiTotal, s.fetched));
    bar.stepTo(s.fetched);
    bar.setExtraMessage(
        String.format(
            Locale.ROOT,
            "%d studies, %d forms, %d rows flattened, %d written",
            s.studies,
            s.forms,
            s.flattened,
            s.written));
  }

  private void printLine() {
    out.println(take(true).line());
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
    if (bar != null) {
      // A remote job has ended by now; its summary follows, so no last poll.
      updateBar(remote == null);
      bar.close();
    }
  }

  /**
   * Totals at one moment. Rows are written when a destination commits, at the end of the run (a
   * study is replaced whole, never shown half-written), so while it runs "rows flattened" is what
   * moves: rows typed and on their way to the destinations.
   */
  static final class Snapshot {
    long apiTotal;
    long fetched;
    long flattened;
    long written;
    long failed;
    int studies;
    int forms;

    static Snapshot take() {
      return of(LiveTally.snapshot());
    }

    static Snapshot of(Map<String, Long> counters) {
      Snapshot s = new Snapshot();
      Set<String> studies = new HashSet<>();
      Set<String> forms = new HashSet<>();
      // Several destinations write the same rows; show the one furthest along.
      Map<Metric, Long> writtenPerSink = new java.util.EnumMap<>(Metric.class);
      counters.forEach(
          (name, v) -> {
            ExportMetrics.Key k = ExportMetrics.parse(name);
            if (k == null) {
              return;
            }
            studies.add(k.studyKey);
            if (!ExportMetrics.NO_FORM.equals(k.formKey)) {
              forms.add(k.studyKey + "\u0000" + k.formKey);
            }
            if (k.metric == Metric.API_TOTAL_ELEMENTS) {
              s.apiTotal += v;
            } else if (k.metric == Metric.RECORDS_FETCHED) {
              s.fetched += v;
            } else if (k.metric == Metric.ROWS_FLATTENED) {
              s.flattened += v;
            } else if (k.metric == Metric.ROWS_WRITTEN_LAKE
                || k.metric == Metric.ROWS_WRITTEN_DUCKDB
                || k.metric == Metric.ROWS_LOADED_SNOWFLAKE) {
              writtenPerSink.merge(k.metric, v, Long::sum);
            } else if (k.metric == Metric.RECORDS_FAILED) {
              s.failed += v;
            }
          });
      s.written = writtenPerSink.values().stream().mapToLong(Long::longValue).max().orElse(0);
      s.studies = studies.size();
      s.forms = forms.size();
      return s;
    }

    /**
     * The line plain mode prints. The API's total is left out while it is below the records
     * fetched: on a remote cluster the step that counts it may have finished before its counters
     * were ever polled, and then only the final summary has it.
     */
    String line() {
      return String.format(
          Locale.ROOT,
          "progress: %d studies, %d forms, records fetched %d%s, rows flattened %d, rows written"
              + " %d, failed %d",
          studies,
          forms,
          fetched,
          apiTotal >= fetched ? " of " + apiTotal : "",
          flattened,
          written,
          failed);
    }
  }
}
