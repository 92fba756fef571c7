package org.imednet.export.read;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import javax.annotation.Nullable;
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

/**
 * Asks the API for a form's record count and first and last recordId (two one-record requests) and
 * cuts the span into {@link RecordRange}s of about {@code recordsPerRange} records each.
 */
final class PlanRecordRangesFn extends DoFn<FormContext, RecordRange> {
  private static final long serialVersionUID = 1L;

  private final ApiConfig config;
  private final ImednetApiFactory factory;
  private final long recordsPerRange;
  private transient ImednetApi api;

  PlanRecordRangesFn(ApiConfig config, ImednetApiFactory factory, long recordsPerRange) {
    this.config = config;
    this.factory = factory;
    this.recordsPerRange = recordsPerRange;
  }

  @Setup
  public void setup() {
    api = factory.create(config);
  }

  @ProcessElement
  public void process(@Element FormContext form, OutputReceiver<RecordRange> out)
      throws IOException {
    String study = form.studyKey();
    String formFilter = "formId==" + form.form().formId();
    ApiPage first =
        api.getPage(
            study, ImednetResources.RECORDS, PageQuery.of(0, 1, "recordId,ASC", formFilter));
    ExportMetrics.counter(ExportMetrics.Metric.API_TOTAL_ELEMENTS, study, form.form().formKey())
        .inc(first.totalElements());
    if (first.data().isEmpty() || first.totalElements() <= recordsPerRange) {
      out.output(new RecordRange(form, 0, 1, null, null));
      return;
    }
    long min = recordId(form, first.data().get(0), "first record");
    ApiPage last =
        api.getPage(
            study, ImednetResources.RECORDS, PageQuery.of(0, 1, "recordId,DESC", formFilter));
    if (last.data().isEmpty()) {
      // The form was emptied between the two requests; one open range still reads whatever is
      // there.
      out.output(new RecordRange(form, 0, 1, null, null));
      return;
    }
    long max = recordId(form, last.data().get(0), "last record");
    List<Long> cuts = RecordRanges.boundaries(min, max, first.totalElements(), recordsPerRange);
    int count = cuts.size() + 1;
    for (int i = 0; i < count; i++) {
      @Nullable Long after = i == 0 ? null : cuts.get(i - 1);
      @Nullable Long upTo = i == count - 1 ? null : cuts.get(i);
      out.output(new RecordRange(form, i, count, after, upTo));
    }
  }

  static long recordId(FormContext form, JsonNode record, String where) throws ImednetApiException {
    JsonNode id = record.get("recordId");
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
    if (api != null) {
      api.close();
    }
  }
}
