package org.imednet.export.read;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
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
 */
final class FetchRecordPagesFn extends DoFn<RecordRange, RecordPage> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(FetchRecordPagesFn.class);
  private static final Counter OTHER_FORM =
      Metrics.counter(FetchRecordPagesFn.class.getPackageName(), "recordsOfOtherForm");

  private final ApiConfig config;
  private final ImednetApiFactory factory;
  private transient ImednetApi api;

  FetchRecordPagesFn(ApiConfig config, ImednetApiFactory factory) {
    this.config = config;
    this.factory = factory;
  }

  @Setup
  public void setup() {
    api = factory.create(config);
  }

  @ProcessElement
  public void process(@Element RecordRange range, OutputReceiver<RecordPage> out)
      throws IOException {
    FormContext form = range.form();
    String study = form.studyKey();
    String formKey = form.form().formKey();
    long formId = form.form().formId();
    Counter records = ExportMetrics.counter(ExportMetrics.Metric.RECORDS_FETCHED, study, formKey);
    Counter pages = ExportMetrics.counter(ExportMetrics.Metric.PAGES_FETCHED, study, formKey);
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
      String location = "records " + filter + " page " + pageNo;
      ApiPage page =
          api.getPage(
              study,
              ImednetResources.RECORDS,
              PageQuery.of(0, size, "recordId,ASC", filter.toString()));
      List<JsonNode> kept = new ArrayList<>(page.data().size());
      Long maxId = last;
      for (JsonNode record : page.data()) {
        long id = PlanRecordRangesFn.recordId(form, record, "record at " + location);
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
        JsonNode recordFormId = record.get("formId");
        if (recordFormId != null
            && recordFormId.canConvertToLong()
            && recordFormId.longValue() != formId) {
          otherForm++;
          OTHER_FORM.inc();
          continue;
        }
        kept.add(record);
      }
      pages.inc();
      records.inc(kept.size());
      if (!kept.isEmpty() || (pageNo == 1 && range.index() == 0)) {
        out.output(new RecordPage(form, location, kept));
      }
      boolean shortPage = page.data().size() < size;
      boolean pastRange = upTo != null && maxId != null && maxId >= upTo;
      if (shortPage || pastRange) {
        break;
      }
      last = maxId;
    }
    if (otherForm > 0) {
      LOG.warn(
          "Study '{}' form {} ({}): the API returned {} records of other forms despite"
              + " formId=={}; they were not exported as this form",
          study,
          formKey,
          range,
          otherForm,
          formId);
    }
  }

  @Teardown
  public void teardown() {
    if (api != null) {
      api.close();
    }
  }
}
