package org.imednet.export.metrics;

import javax.annotation.Nullable;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;

/**
 * Names of the per-study, per-form Beam counters. Each counter lives in namespace {@link
 * #NAMESPACE} and is named {@code <metric>/<studyKey>/<formKey>} where the keys are percent-encoded
 * so that {@code /} inside a key cannot be confused with the separator. Study-level counters use
 * {@link #NO_FORM} as the form key.
 */
public final class ExportMetrics {
  public static final String NAMESPACE = "imednet";

  /** Form key used for counters that belong to a study rather than a form. */
  public static final String NO_FORM = "-";

  /** The counters. */
  public enum Metric {
    /** {@code pagination.totalElements} the API reported for the form's records. */
    API_TOTAL_ELEMENTS("apiTotalElements"),
    /** Records received from the API. */
    RECORDS_FETCHED("recordsFetched"),
    /** API pages received. */
    PAGES_FETCHED("pagesFetched"),
    /** HTTP requests that were retried (429, 5xx, I/O). */
    REQUESTS_RETRIED("requestsRetried"),
    /** Rows produced by flattening. */
    ROWS_FLATTENED("rowsFlattened"),
    /** Individual values that did not parse as their column type (kept raw in the row). */
    VALUES_UNPARSEABLE("valuesUnparseable"),
    /** Records (or pages) sent to the failure output. */
    RECORDS_FAILED("recordsFailed"),
    /** Variables whose variableType is not in the documented mapping (exported as text). */
    VARIABLES_UNKNOWN_TYPE("variablesUnknownType"),
    /** Rows committed by the Parquet lake sink. */
    ROWS_WRITTEN_LAKE("rowsWrittenLake"),
    /** Rows committed by the DuckDB sink. */
    ROWS_WRITTEN_DUCKDB("rowsWrittenDuckDb"),
    /** Rows loaded into Snowflake, as reported by COPY. */
    ROWS_LOADED_SNOWFLAKE("rowsLoadedSnowflake"),
    /** Rows of batches the manifest shows already loaded with the same content (not sent). */
    ROWS_ALREADY_LOADED_SNOWFLAKE("rowsAlreadyLoadedSnowflake");

    private final String id;

    Metric(String id) {
      this.id = id;
    }

    public String id() {
      return id;
    }

    public static @Nullable Metric fromId(String id) {
      for (Metric m : values()) {
        if (m.id.equals(id)) {
          return m;
        }
      }
      return null;
    }
  }

  private ExportMetrics() {}

  /**
   * A Beam counter that also feeds {@link LiveTally}, so a runner executing in this JVM (Direct,
   * Flink {@code [local]}) can show progress while the job runs. The Beam counter is the authority
   * for the end-of-run summary; the tally may over-count retried bundles.
   */
  public static Counter counter(Metric metric, String studyKey, @Nullable String formKey) {
    String name = name(metric, studyKey, formKey);
    return new TalliedCounter(Metrics.counter(NAMESPACE, name), name);
  }

  public static String name(Metric metric, String studyKey, @Nullable String formKey) {
    return metric.id() + "/" + encode(studyKey) + "/" + encode(formKey == null ? NO_FORM : formKey);
  }

  /** The parsed parts of a counter name, or null if it is not one of ours. */
  public static @Nullable Key parse(String name) {
    String[] parts = name.split("/", -1);
    if (parts.length != 3) {
      return null;
    }
    Metric metric = Metric.fromId(parts[0]);
    if (metric == null) {
      return null;
    }
    return new Key(metric, decode(parts[1]), decode(parts[2]));
  }

  /** A parsed counter name. */
  public static final class Key {
    public final Metric metric;
    public final String studyKey;
    public final String formKey;

    Key(Metric metric, String studyKey, String formKey) {
      this.metric = metric;
      this.studyKey = studyKey;
      this.formKey = formKey;
    }
  }

  private static final class TalliedCounter implements Counter, java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final Counter delegate;
    private final String name;

    TalliedCounter(Counter delegate, String name) {
      this.delegate = delegate;
      this.name = name;
    }

    @Override
    public void inc() {
      inc(1);
    }

    @Override
    public void inc(long n) {
      delegate.inc(n);
      LiveTally.add(name, n);
    }

    @Override
    public void dec() {
      inc(-1);
    }

    @Override
    public void dec(long n) {
      inc(-n);
    }

    @Override
    public org.apache.beam.sdk.metrics.MetricName getName() {
      return delegate.getName();
    }
  }

  private static String encode(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
  }

  private static String decode(String s) {
    return java.net.URLDecoder.decode(s, java.nio.charset.StandardCharsets.UTF_8);
  }
}
