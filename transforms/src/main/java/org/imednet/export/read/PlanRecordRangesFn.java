package org.imednet.export.read;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import javax.annotation.Nullable;
import org.apache.beam.sdk.metrics.MetricsContainer;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.TupleTag;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.ApiPage;
import org.imednet.export.api.ImednetApi;
import org.imednet.export.api.ImednetApiException;
import org.imednet.export.api.ImednetApiFactory;
import org.imednet.export.api.ImednetResources;
import org.imednet.export.api.PageQuery;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.model.FormContext;
import org.imednet.export.model.RecordPage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a form's first page of records (which gives the API's count) and plans the rest: nothing
 * when the page holds the whole form, one open range after it when about {@code recordsPerRange}
 * records or fewer remain, otherwise (after a one-record request for the form's last recordId) the
 * span after the first page cut into {@link RecordRange}s of about {@code recordsPerRange} records.
 * The first page is emitted at once on {@link #PAGES}, so a form that fits in one page costs one
 * request in all.
 *
 * <p>With API latency these requests dominate the start of an export, so the forms of a bundle are
 * planned concurrently, up to {@link ApiConfig#maxConcurrentRequests()} at a time (the per-JVM
 * request gate bounds all requests together); the first failure fails the bundle.
 */
final class PlanRecordRangesFn extends DoFn<FormContext, RecordRange> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(PlanRecordRangesFn.class);

  /** The ranges still to read: the main output. */
  static final TupleTag<RecordRange> RANGES = new TupleTag<RecordRange>() {};

  /** The first page of each planned form. */
  static final TupleTag<RecordPage> PAGES = new TupleTag<RecordPage>() {};

  private final ApiConfig config;
  private final ImednetApiFactory factory;
  private final long recordsPerRange;
  private final @Nullable String recordFilter;
  private final boolean planRanges;
  private transient ImednetApi api;
  private transient ExecutorService planners;
  private transient Deque<Future<Planned>> pending;

  PlanRecordRangesFn(
      ApiConfig config,
      ImednetApiFactory factory,
      long recordsPerRange,
      @Nullable String recordFilter,
      boolean planRanges) {
    this.config = config;
    this.factory = factory;
    this.recordsPerRange = recordsPerRange;
    this.recordFilter = recordFilter;
    this.planRanges = planRanges;
  }

  @Setup
  public void setup() {
    api = factory.create(config);
    planners = ReaderThreads.daemonPool(config.maxConcurrentRequests(), "imednet-range-planner");
  }

  @StartBundle
  public void startBundle() {
    pending = new ArrayDeque<>();
  }

  @ProcessElement
  public void process(@Element FormContext form, MultiOutputReceiver out)
      throws IOException, InterruptedException {
    if (!planRanges) {
      out.get(RANGES).output(RecordRange.unplanned(form));
      return;
    }
    // The client counts retries with a Beam counter: report into this step's metrics container.
    MetricsContainer metrics = MetricsEnvironment.getCurrentContainer();
    pending.add(planners.submit(ReaderThreads.inMetricsScope(metrics, () -> plan(form))));
    while (!pending.isEmpty()
        && (pending.peek().isDone() || pending.size() >= config.maxConcurrentRequests())) {
      emit(pending.poll(), out.get(RANGES)::output, out.get(PAGES)::output);
    }
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext c) throws IOException, InterruptedException {
    while (!pending.isEmpty()) {
      emit(
          pending.poll(),
          range ->
              c.output(RANGES, range, BoundedWindow.TIMESTAMP_MIN_VALUE, GlobalWindow.INSTANCE),
          page -> c.output(PAGES, page, BoundedWindow.TIMESTAMP_MIN_VALUE, GlobalWindow.INSTANCE));
    }
  }

  /** A planned form: its first page, the ranges after it, and records of other forms dropped. */
  private static final class Planned {
    final RecordPage firstPage;
    final List<RecordRange> ranges;
    final long otherForm;

    Planned(RecordPage firstPage, List<RecordRange> ranges, long otherForm) {
      this.firstPage = firstPage;
      this.ranges = ranges;
      this.otherForm = otherForm;
    }
  }

  /** Emits (and counts) a planned form's first page and its ranges, on the DoFn's thread. */
  private static void emit(
      Future<Planned> future, Consumer<RecordRange> ranges, Consumer<RecordPage> pages)
      throws IOException, InterruptedException {
    Planned planned;
    try {
      planned = future.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException) {
        throw (IOException) cause;
      }
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new IOException(cause);
    }
    RecordPage first = planned.firstPage;
    FormContext form = first.form();
    String study = form.studyKey();
    String formKey = form.form().formKey();
    ExportMetrics.counter(ExportMetrics.Metric.PAGES_FETCHED, study, formKey).inc();
    ExportMetrics.counter(ExportMetrics.Metric.RECORDS_FETCHED, study, formKey).inc(first.size());
    // Emitted even when empty, so an empty form still reaches the sinks.
    pages.accept(first);
    if (planned.otherForm > 0) {
      FetchRecordPagesFn.countOtherForm(planned.otherForm);
      LOG.warn(
          "Study '{}' form {}: the API returned {} records of other forms despite formId=={} in"
              + " the first page; they were not exported as this form",
          study,
          formKey,
          planned.otherForm,
          form.form().formId());
    }
    planned.ranges.forEach(ranges);
  }

  /**
   * Runs on a planner thread: the form's first page, and if it is full the last recordId (a
   * one-record request), then the ranges after the first page.
   */
  private Planned plan(FormContext form) throws IOException {
    String study = form.studyKey();
    String formFilter =
        "formId==" + form.form().formId() + (recordFilter == null ? "" : ";" + recordFilter);
    String location = "records " + formFilter + " page 1";
    int size = config.pageSize();
    ApiPage first =
        api.getPage(
            study, ImednetResources.RECORDS, PageQuery.of(0, size, "recordId,ASC", formFilter));
    ExportMetrics.counter(ExportMetrics.Metric.API_TOTAL_ELEMENTS, study, form.form().formKey())
        .inc(first.totalElements());
    FetchRecordPagesFn.Checked checked =
        FetchRecordPagesFn.check(form, first.items(), null, null, location);
    RecordPage page = new RecordPage(form, location, checked.kept);
    if (first.items().size() < size) {
      // A short page: the whole form.
      return new Planned(page, List.of(), checked.otherForm);
    }
    long after = checked.maxId;
    long remaining = Math.max(0, first.totalElements() - first.items().size());
    if (remaining <= recordsPerRange) {
      // One more range, open above: no need to know where the form ends.
      return new Planned(
          page, List.of(new RecordRange(form, 1, 2, after, null)), checked.otherForm);
    }
    ApiPage last =
        api.getPage(
            study, ImednetResources.RECORDS, PageQuery.of(0, 1, "recordId,DESC", formFilter));
    long max = last.size() == 0 ? after : recordId(form, last.items().recordId(0), "last record");
    // Ranges after the first page, numbered after it (the first page is range 0 of the form).
    List<Long> cuts =
        max <= after
            ? List.of()
            : RecordRanges.boundaries(after + 1, max, remaining, recordsPerRange);
    int count = cuts.size() + 1;
    List<RecordRange> ranges = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      long from = i == 0 ? after : cuts.get(i - 1);
      @Nullable Long upTo = i == count - 1 ? null : cuts.get(i);
      ranges.add(new RecordRange(form, i + 1, count + 1, from, upTo));
    }
    return new Planned(page, ranges, checked.otherForm);
  }

  /** A record's {@code recordId} value as a long; anything else cannot be keyset-paged. */
  static long recordId(FormContext form, @Nullable JsonNode id, String where)
      throws ImednetApiException {
    if (id == null || !id.isIntegralNumber() || !id.canConvertToLong()) {
      throw new ImednetApiException(
          "Study '"
              + form.studyKey()
              + "' form "
              + form.form().formKey()
              + ": the "
              + where
              + " has no integer recordId, so records cannot be paged by id",
          200,
          null);
    }
    return id.longValue();
  }

  @Teardown
  public void teardown() {
    if (planners != null) {
      planners.shutdownNow();
    }
    if (api != null) {
      api.close();
    }
  }
}
