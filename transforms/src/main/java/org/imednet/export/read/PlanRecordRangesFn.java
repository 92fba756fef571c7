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
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.ApiPage;
import org.imednet.export.api.ImednetApi;
import org.imednet.export.api.ImednetApiException;
import org.imednet.export.api.ImednetApiFactory;
import org.imednet.export.api.ImednetResources;
import org.imednet.export.api.PageQuery;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.model.FormContext;

/**
 * Asks the API for a form's record count and first and last recordId (two one-record requests) and
 * cuts the span into {@link RecordRange}s of about {@code recordsPerRange} records each.
 *
 * <p>With API latency these requests dominate the start of an export, so the forms of a bundle are
 * planned concurrently, up to {@link ApiConfig#maxConcurrentRequests()} at a time (the per-JVM
 * request gate bounds all requests together); the first failure fails the bundle.
 */
final class PlanRecordRangesFn extends DoFn<FormContext, RecordRange> {
  private static final long serialVersionUID = 1L;

  private final ApiConfig config;
  private final ImednetApiFactory factory;
  private final long recordsPerRange;
  private final @Nullable String recordFilter;
  private final boolean planRanges;
  private transient ImednetApi api;
  private transient ExecutorService planners;
  private transient Deque<Future<List<RecordRange>>> pending;

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
  public void process(@Element FormContext form, OutputReceiver<RecordRange> out)
      throws IOException, InterruptedException {
    if (!planRanges) {
      out.output(RecordRange.unplanned(form));
      return;
    }
    // The client counts retries with a Beam counter: report into this step's metrics container.
    MetricsContainer metrics = MetricsEnvironment.getCurrentContainer();
    pending.add(planners.submit(ReaderThreads.inMetricsScope(metrics, () -> plan(form))));
    while (!pending.isEmpty()
        && (pending.peek().isDone() || pending.size() >= config.maxConcurrentRequests())) {
      emit(pending.poll(), out::output);
    }
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext c) throws IOException, InterruptedException {
    while (!pending.isEmpty()) {
      emit(
          pending.poll(),
          range -> c.output(range, BoundedWindow.TIMESTAMP_MIN_VALUE, GlobalWindow.INSTANCE));
    }
  }

  private static void emit(Future<List<RecordRange>> planned, Consumer<RecordRange> out)
      throws IOException, InterruptedException {
    List<RecordRange> ranges;
    try {
      ranges = planned.get();
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
    ranges.forEach(out);
  }

  /** Runs on a planner thread: one or two one-record requests, then the form's ranges. */
  private List<RecordRange> plan(FormContext form) throws IOException {
    String study = form.studyKey();
    String formFilter =
        "formId==" + form.form().formId() + (recordFilter == null ? "" : ";" + recordFilter);
    ApiPage first =
        api.getPage(
            study, ImednetResources.RECORDS, PageQuery.of(0, 1, "recordId,ASC", formFilter));
    ExportMetrics.counter(ExportMetrics.Metric.API_TOTAL_ELEMENTS, study, form.form().formKey())
        .inc(first.totalElements());
    if (first.size() == 0 || first.totalElements() <= recordsPerRange) {
      return List.of(new RecordRange(form, 0, 1, null, null));
    }
    long min = recordId(form, first.items().recordId(0), "first record");
    ApiPage last =
        api.getPage(
            study, ImednetResources.RECORDS, PageQuery.of(0, 1, "recordId,DESC", formFilter));
    if (last.size() == 0) {
      // The form was emptied between the two requests; one open range still reads whatever is
      // there.
      return List.of(new RecordRange(form, 0, 1, null, null));
    }
    long max = recordId(form, last.items().recordId(0), "last record");
    List<Long> cuts = RecordRanges.boundaries(min, max, first.totalElements(), recordsPerRange);
    int count = cuts.size() + 1;
    List<RecordRange> ranges = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      @Nullable Long after = i == 0 ? null : cuts.get(i - 1);
      @Nullable Long upTo = i == count - 1 ? null : cuts.get(i);
      ranges.add(new RecordRange(form, i, count, after, upTo));
    }
    return ranges;
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
