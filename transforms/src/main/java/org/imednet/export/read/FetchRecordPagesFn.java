package org.imednet.export.read;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import javax.annotation.Nullable;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
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
import org.imednet.export.model.JsonItems;
import org.imednet.export.model.RecordPage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one {@link RecordRange} by keyset: {@code filter=formId==F;recordId>LAST[;recordId<=HI]},
 * {@code sort=recordId,ASC}, until a page shorter than the page size. Emits one {@link RecordPage}
 * per API page that has records of the form (and the first page of a form's first range even when
 * it is empty, so an empty form still reaches the sinks).
 *
 * <p>The returned records are checked on our side: a record of another form is not emitted and is
 * counted in {@code imednet.read/recordsOfOtherForm} (a server that ignores {@code formId==} would
 * otherwise put every record in every form); a record outside the range belongs to another range
 * and is left to it. A page whose ids do not ascend past the last id fails, because keyset paging
 * could then repeat or skip records.
 *
 * <p>Keyset paging is sequential within a range, so with API latency one range keeps one request in
 * flight. The ranges of a bundle are therefore read concurrently, up to {@link
 * ApiConfig#maxConcurrentRequests()} at a time (the per-JVM request gate still bounds all requests
 * together). Pages come back through a small bounded queue and are emitted, and counted, on the
 * DoFn's own thread; a reader that gets ahead waits for the queue, so memory stays bounded. The
 * first failure fails the bundle, which the runner retries; its ranges are re-read in full.
 */
final class FetchRecordPagesFn extends DoFn<RecordRange, RecordPage> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(FetchRecordPagesFn.class);
  private static final Counter OTHER_FORM =
      Metrics.counter(FetchRecordPagesFn.class.getPackageName(), "recordsOfOtherForm");

  private final ApiConfig config;
  private final ImednetApiFactory factory;
  private final @Nullable String recordFilter;
  private transient ImednetApi api;
  private transient ExecutorService readers;
  private transient BlockingQueue<Event> events;
  private transient int inFlight;

  FetchRecordPagesFn(ApiConfig config, ImednetApiFactory factory, @Nullable String recordFilter) {
    this.config = config;
    this.factory = factory;
    this.recordFilter = recordFilter;
  }

  /** What a reader thread hands to the DoFn thread. */
  private static final class Event {
    final RecordRange range;
    final RecordPage page; // a page, or null
    final boolean emitWhenEmpty;
    final long otherForm; // with done: records of other forms skipped in the range
    final boolean done;
    final IOException failure;

    private Event(
        RecordRange range,
        RecordPage page,
        boolean emitWhenEmpty,
        long otherForm,
        boolean done,
        IOException failure) {
      this.range = range;
      this.page = page;
      this.emitWhenEmpty = emitWhenEmpty;
      this.otherForm = otherForm;
      this.done = done;
      this.failure = failure;
    }
  }

  @Setup
  public void setup() {
    api = factory.create(config);
    readers = ReaderThreads.daemonPool(config.maxConcurrentRequests(), "imednet-range-reader");
  }

  @StartBundle
  public void startBundle() {
    events = new ArrayBlockingQueue<>(2 * config.maxConcurrentRequests());
    inFlight = 0;
  }

  @ProcessElement
  public void process(@Element RecordRange range, OutputReceiver<RecordPage> out)
      throws IOException, InterruptedException {
    while (inFlight >= config.maxConcurrentRequests()) {
      handle(events.take(), out::output);
    }
    inFlight++;
    BlockingQueue<Event> queue = events;
    // The client counts retries with a Beam counter; metrics live in a thread-local container, so
    // a reader thread reports into this step's container (its cells are thread-safe).
    MetricsContainer metrics = MetricsEnvironment.getCurrentContainer();
    readers.execute(ReaderThreads.inMetricsScope(metrics, () -> read(range, queue)));
    Event ready;
    while ((ready = events.poll()) != null) {
      handle(ready, out::output);
    }
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext c) throws IOException, InterruptedException {
    while (inFlight > 0) {
      handle(
          events.take(),
          page -> c.output(page, BoundedWindow.TIMESTAMP_MIN_VALUE, GlobalWindow.INSTANCE));
    }
  }

  private void handle(Event e, Consumer<RecordPage> emit) throws IOException {
    if (e.failure != null) {
      throw e.failure;
    }
    FormContext form = e.range.form();
    String study = form.studyKey();
    String formKey = form.form().formKey();
    if (e.page != null) {
      ExportMetrics.counter(ExportMetrics.Metric.PAGES_FETCHED, study, formKey).inc();
      ExportMetrics.counter(ExportMetrics.Metric.RECORDS_FETCHED, study, formKey)
          .inc(e.page.size());
      if (e.page.size() > 0 || e.emitWhenEmpty) {
        emit.accept(e.page);
      }
    }
    if (e.done) {
      inFlight--;
      if (e.otherForm > 0) {
        OTHER_FORM.inc(e.otherForm);
        LOG.warn(
            "Study '{}' form {} ({}): the API returned {} records of other forms despite"
                + " formId=={}; they were not exported as this form",
            study,
            formKey,
            e.range,
            e.otherForm,
            form.form().formId());
      }
    }
  }

  /** Runs on a reader thread: reads the range and queues its pages, then a done (or failure). */
  private void read(RecordRange range, BlockingQueue<Event> queue) {
    try {
      long otherForm = readRange(range, queue);
      queue.put(new Event(range, null, false, otherForm, true, null));
    } catch (IOException | RuntimeException e) {
      IOException failure = e instanceof IOException ? (IOException) e : new IOException(e);
      putUninterruptibly(queue, new Event(range, null, false, 0, true, failure));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void putUninterruptibly(BlockingQueue<Event> queue, Event e) {
    boolean interrupted = false;
    while (true) {
      try {
        queue.put(e);
        break;
      } catch (InterruptedException ie) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Keyset-pages one range, queueing each page; returns the records of other forms skipped. */
  private long readRange(RecordRange range, BlockingQueue<Event> queue)
      throws IOException, InterruptedException {
    FormContext form = range.form();
    String study = form.studyKey();
    String formKey = form.form().formKey();
    long formId = form.form().formId();
    int size = config.pageSize();
    Long upTo = range.upTo();
    Long last = range.after();
    long otherForm = 0;
    for (int pageNo = 1; ; pageNo++) {
      StringBuilder filter = new StringBuilder("formId==").append(formId);
      if (last != null) {
        filter.append(";recordId>").append(last);
      }
      if (upTo != null) {
        filter.append(";recordId<=").append(upTo);
      }
      if (recordFilter != null) {
        filter.append(';').append(recordFilter);
      }
      String location = "records " + filter + " page " + pageNo;
      ApiPage page =
          api.getPage(
              study,
              ImednetResources.RECORDS,
              PageQuery.of(0, size, "recordId,ASC", filter.toString()));
      if (pageNo == 1 && range.countsTotal()) {
        ExportMetrics.counter(ExportMetrics.Metric.API_TOTAL_ELEMENTS, study, formKey)
            .inc(page.totalElements());
      }
      JsonItems items = page.items();
      Checked checked = check(form, items, last, upTo, location);
      otherForm += checked.otherForm;
      Long maxId = checked.maxId;
      // The first page of a form's first range is emitted even when empty, so an empty form still
      // reaches the sinks.
      queue.put(
          new Event(
              range,
              new RecordPage(form, location, checked.kept),
              pageNo == 1 && range.index() == 0,
              0,
              false,
              null));
      boolean shortPage = items.size() < size;
      boolean pastRange = upTo != null && maxId != null && maxId >= upTo;
      if (shortPage || pastRange) {
        return otherForm;
      }
      last = maxId;
    }
  }

  /** Counts records of other forms a page held (see the class documentation). */
  static void countOtherForm(long n) {
    OTHER_FORM.inc(n);
  }

  /** A page's records after {@link #check}: those of the form and range, and the last id seen. */
  static final class Checked {
    final JsonItems kept;
    final @Nullable Long maxId;
    final long otherForm;

    Checked(JsonItems kept, @Nullable Long maxId, long otherForm) {
      this.kept = kept;
      this.maxId = maxId;
      this.otherForm = otherForm;
    }
  }

  /**
   * Checks a keyset page read after {@code last} (null: from the start) up to {@code upTo} (null:
   * open): its ids must ascend past {@code last}; records past {@code upTo} belong to another range
   * and records of another form are dropped (counted).
   */
  static Checked check(
      FormContext form, JsonItems items, @Nullable Long last, @Nullable Long upTo, String location)
      throws ImednetApiException {
    String study = form.studyKey();
    String formKey = form.form().formKey();
    long formId = form.form().formId();
    int[] kept = new int[items.size()];
    int keptCount = 0;
    long otherForm = 0;
    Long maxId = last;
    for (int i = 0; i < items.size(); i++) {
      long id = PlanRecordRangesFn.recordId(form, items.recordId(i), "record at " + location);
      if (maxId != null && id <= maxId) {
        throw new ImednetApiException(
            "Study '"
                + study
                + "' form "
                + formKey
                + ", "
                + location
                + ": recordId "
                + id
                + " does not ascend past "
                + maxId
                + "; the server did not apply the recordId filter or sort, so keyset paging"
                + " would repeat or skip records",
            200,
            null);
      }
      maxId = id;
      if (upTo != null && id > upTo) {
        continue;
      }
      JsonNode recordFormId = items.formId(i);
      if (recordFormId != null
          && recordFormId.canConvertToLong()
          && recordFormId.longValue() != formId) {
        otherForm++;
        continue;
      }
      kept[keptCount++] = i;
    }
    return new Checked(
        keptCount == items.size() ? items : items.select(Arrays.copyOf(kept, keptCount)),
        maxId,
        otherForm);
  }

  @Teardown
  public void teardown() {
    if (readers != null) {
      readers.shutdownNow();
    }
    if (api != null) {
      api.close();
    }
  }
}
