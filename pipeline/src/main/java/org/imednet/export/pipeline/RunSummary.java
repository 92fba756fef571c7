package org.imednet.export.pipeline;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.metrics.ExportMetrics.Metric;

/**
 * The end-of-run reconciliation: per study and form, the API's {@code totalElements}, the records
 * fetched, the rows each destination committed, unparseable values and failed records. A form is
 * {@linkplain #mismatches() mismatched} when a destination's committed rows plus the failed records
 * kept in the errors directory differ from the API total.
 */
public final class RunSummary {
  private final Map<String, Map<String, Map<Metric, Long>>> byStudyForm;
  private final Map<Metric, Long> totals;
  private final List<Metric> destinations;

  RunSummary(
      Map<String, Map<String, Map<Metric, Long>>> byStudyForm,
      Map<Metric, Long> totals,
      List<Metric> destinations) {
    this.byStudyForm = byStudyForm;
    this.totals = totals;
    this.destinations = destinations;
  }

  /** Reads the job's counters; committed values where the runner has them, else attempted. */
  public static RunSummary from(PipelineResult result, ExportSpec spec) {
    return fromCounters(readCounters(result.metrics()), destinationsOf(spec));
  }

  /** The row counters of the destinations a spec writes, in lake, DuckDB, Snowflake order. */
  public static List<Metric> destinationsOf(ExportSpec spec) {
    List<Metric> d = new ArrayList<>();
    if (spec.hasLake()) {
      d.add(Metric.ROWS_WRITTEN_LAKE);
    }
    if (spec.duckDbFile() != null) {
      d.add(Metric.ROWS_WRITTEN_DUCKDB);
    }
    if (spec.snowflake() != null) {
      d.add(Metric.ROWS_LOADED_SNOWFLAKE);
    }
    return d;
  }

  /** Builds a summary from counter values keyed by {@link ExportMetrics} counter name. */
  public static RunSummary fromCounters(Map<String, Long> counters, List<Metric> destinations) {
    Map<String, Map<String, Map<Metric, Long>>> by = new TreeMap<>();
    Map<Metric, Long> totals = new EnumMap<>(Metric.class);
    counters.forEach(
        (name, value) -> {
          ExportMetrics.Key key = ExportMetrics.parse(name);
          if (key == null) {
            return;
          }
          totals.merge(key.metric, value, Long::sum);
          if (ExportMetrics.NO_FORM.equals(key.formKey)) {
            return;
          }
          by.computeIfAbsent(key.studyKey, s -> new TreeMap<>())
              .computeIfAbsent(key.formKey, f -> new EnumMap<>(Metric.class))
              .merge(key.metric, value, Long::sum);
        });
    // Forms are the keys the reader reported an API total for; the rest are metadata tables,
    // which sinks count under their resource name.
    by.values()
        .forEach(forms -> forms.values().removeIf(m -> !m.containsKey(Metric.API_TOTAL_ELEMENTS)));
    by.values().removeIf(Map::isEmpty);
    return new RunSummary(by, totals, destinations);
  }

  static Map<String, Long> readCounters(MetricResults metrics) {
    return readCounters(metrics, ExportMetrics.NAMESPACE);
  }

  /** The counters of one namespace by name: committed values where the runner has them. */
  static Map<String, Long> readCounters(MetricResults metrics, String namespace) {
    Map<String, Long> values = new TreeMap<>();
    for (MetricResult<Long> c : metrics.allMetrics().getCounters()) {
      if (!namespace.equals(c.getName().getNamespace())) {
        continue;
      }
      long v;
      try {
        v = c.getCommitted();
      } catch (UnsupportedOperationException e) {
        v = c.getAttempted();
      }
      values.merge(c.getName().getName(), v, Long::sum);
    }
    return values;
  }

  public long get(String studyKey, String formKey, Metric metric) {
    Map<String, Map<Metric, Long>> forms = byStudyForm.get(studyKey);
    if (forms == null || !forms.containsKey(formKey)) {
      return 0;
    }
    return forms.get(formKey).getOrDefault(metric, 0L);
  }

  /** Study keys → form keys seen in this run. */
  public Map<String, List<String>> forms() {
    Map<String, List<String>> out = new TreeMap<>();
    byStudyForm.forEach((s, f) -> out.put(s, new ArrayList<>(f.keySet())));
    return out;
  }

  /** The row counters of this run's destinations. */
  public List<Metric> destinations() {
    return List.copyOf(destinations);
  }

  /** Rows a destination holds for a form after the run (Snowflake's include earlier loads). */
  public long written(String studyKey, String formKey, Metric destination) {
    Map<String, Map<Metric, Long>> forms = byStudyForm.get(studyKey);
    if (forms == null || !forms.containsKey(formKey)) {
      return 0;
    }
    return written(forms.get(formKey), destination);
  }

  /** Whether every destination's rows plus the failed records equal the form's API total. */
  public boolean reconciled(String studyKey, String formKey) {
    long total = get(studyKey, formKey, Metric.API_TOTAL_ELEMENTS);
    long failed = get(studyKey, formKey, Metric.RECORDS_FAILED);
    for (Metric d : destinations) {
      if (written(studyKey, formKey, d) + failed != total) {
        return false;
      }
    }
    return true;
  }

  /** One line per form whose committed rows do not reconcile with the API total. */
  public List<String> mismatches() {
    List<String> out = new ArrayList<>();
    byStudyForm.forEach(
        (study, forms) ->
            forms.forEach(
                (form, m) -> {
                  long total = m.getOrDefault(Metric.API_TOTAL_ELEMENTS, 0L);
                  long failed = m.getOrDefault(Metric.RECORDS_FAILED, 0L);
                  for (Metric dest : destinations) {
                    long written = written(m, dest);
                    if (written + failed != total) {
                      out.add(
                          String.format(
                              Locale.ROOT,
                              "%s/%s: API totalElements %d but %s %d (+%d failed)",
                              study,
                              form,
                              total,
                              dest.id(),
                              written,
                              failed));
                    }
                  }
                }));
    return out;
  }

  /** Rows a destination holds for a form after the run; Snowflake's include earlier loads. */
  private static long written(Map<Metric, Long> m, Metric destination) {
    long w = m.getOrDefault(destination, 0L);
    if (destination == Metric.ROWS_LOADED_SNOWFLAKE) {
      w += m.getOrDefault(Metric.ROWS_ALREADY_LOADED_SNOWFLAKE, 0L);
    }
    return w;
  }

  /** The sum of a counter over the whole run, study-level counters included. */
  public long total(Metric metric) {
    return totals.getOrDefault(metric, 0L);
  }

  /** Prints the per-study/form table. */
  public void print(PrintStream out) {
    List<String> header = new ArrayList<>(List.of("study", "form", "api total", "fetched"));
    for (Metric d : destinations) {
      header.add(label(d));
    }
    header.add("bad values");
    header.add("failed");
    header.add("status");
    List<List<String>> rows = new ArrayList<>();
    byStudyForm.forEach(
        (study, forms) ->
            forms.forEach(
                (form, m) -> {
                  List<String> r = new ArrayList<>();
                  r.add(study);
                  r.add(form);
                  long total = m.getOrDefault(Metric.API_TOTAL_ELEMENTS, 0L);
                  long failed = m.getOrDefault(Metric.RECORDS_FAILED, 0L);
                  r.add(Long.toString(total));
                  r.add(Long.toString(m.getOrDefault(Metric.RECORDS_FETCHED, 0L)));
                  boolean ok = true;
                  for (Metric d : destinations) {
                    long w = written(m, d);
                    ok &= w + failed == total;
                    r.add(Long.toString(w));
                  }
                  r.add(Long.toString(m.getOrDefault(Metric.VALUES_UNPARSEABLE, 0L)));
                  r.add(Long.toString(failed));
                  r.add(ok ? "ok" : "MISMATCH");
                  rows.add(r);
                }));
    int[] widths = new int[header.size()];
    for (int i = 0; i < header.size(); i++) {
      widths[i] = header.get(i).length();
      for (List<String> r : rows) {
        widths[i] = Math.max(widths[i], r.get(i).length());
      }
    }
    out.println(format(header, widths));
    for (List<String> r : rows) {
      out.println(format(r, widths));
    }
    out.printf(
        Locale.ROOT,
        "%d records fetched in %d pages; %d API requests retried (429/5xx/I/O)%n",
        total(Metric.RECORDS_FETCHED),
        total(Metric.PAGES_FETCHED),
        total(Metric.REQUESTS_RETRIED));
    if (destinations.contains(Metric.ROWS_LOADED_SNOWFLAKE)) {
      out.printf(
          Locale.ROOT,
          "Snowflake: %d rows loaded by COPY, %d already loaded with the same content (manifest)%n",
          total(Metric.ROWS_LOADED_SNOWFLAKE),
          total(Metric.ROWS_ALREADY_LOADED_SNOWFLAKE));
    }
  }

  private static String label(Metric d) {
    switch (d) {
      case ROWS_WRITTEN_LAKE:
        return "lake rows";
      case ROWS_WRITTEN_DUCKDB:
        return "duckdb rows";
      case ROWS_LOADED_SNOWFLAKE:
        return "snowflake rows";
      default:
        return d.id();
    }
  }

  private static String format(List<String> cells, int[] widths) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) {
        sb.append("  ");
      }
      String c = cells.get(i);
      boolean numeric = i >= 2 && !c.isEmpty() && Character.isDigit(c.charAt(0));
      String pad = " ".repeat(widths[i] - c.length());
      sb.append(numeric ? pad + c : c + pad);
    }
    return sb.toString().stripTrailing();
  }
}
