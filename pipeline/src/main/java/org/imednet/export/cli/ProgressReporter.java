package org.imednet.export.cli;

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

/**
 * Shows what the running export has done so far, from {@link LiveTally}: a progress bar of records
 * fetched against the API totals on a terminal, or a plain line every few seconds otherwise (logs,
 * CI). Only in-JVM runners report live; on a remote cluster one line says so, and its totals are in
 * the final summary.
 */
final class ProgressReporter implements AutoCloseable {
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

  ProgressReporter(Mode mode, PrintStream out, long plainIntervalSeconds) {
    this(mode, out, plainIntervalSeconds, null);
  }

  /**
   * @param remoteMaster the Flink cluster the job runs on, or null for an in-process runner. Its
   *     workers count in their own JVMs, and Beam hands their counters to Flink only when a bundle
   *     ends (at the end of the input, as the CLI sizes bundles), so there is nothing live to show:
   *     one line says so instead of counts stuck at zero (runners/README.md, "Progress").
   */
  ProgressReporter(
      Mode mode, PrintStream out, long plainIntervalSeconds, @Nullable String remoteMaster) {
    this.out = out;
    Mode effective = mode == Mode.AUTO ? (System.console() != null ? Mode.BAR : Mode.PLAIN) : mode;
    if (effective != Mode.NONE && remoteMaster != null) {
      out.println(remoteLine(remoteMaster));
      out.flush();
      effective = Mode.NONE;
    }
    if (effective == Mode.NONE) {
      timer = null;
      bar = null;
      return;
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
      timer.scheduleAtFixedRate(this::updateBar, 500, 500, TimeUnit.MILLISECONDS);
    } else {
      bar = null;
      timer.scheduleAtFixedRate(
          this::printLine, plainIntervalSeconds, plainIntervalSeconds, TimeUnit.SECONDS);
    }
  }

  static String remoteLine(String master) {
    return "progress: the job runs on the Flink cluster at "
        + master
        + "; its counts arrive with the summary at the end (live counts need an in-process runner)";
  }

  private void updateBar() {
    Snapshot s = Snapshot.take();
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
    out.println(Snapshot.take().line());
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
    if (bar != null) {
      updateBar();
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

    String line() {
      return String.format(
          Locale.ROOT,
          "progress: %d studies, %d forms, records fetched %d of %d, rows flattened %d, rows written"
              + " %d, failed %d",
          studies,
          forms,
          fetched,
          apiTotal,
          flattened,
          written,
          failed);
    }
  }
}
