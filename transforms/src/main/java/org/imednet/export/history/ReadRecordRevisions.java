package org.imednet.export.history;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.ImednetApi;
import org.imednet.export.api.ImednetApiFactory;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.read.ReadStudyMetadataTables;
import org.imednet.export.rows.FailedRecord;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.RowBatchCoder;
import org.imednet.export.rows.TableSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the record revisions created in a {@link DateWindow} of each study whose key arrives, as
 * rows of the {@code record_revisions} table ({@link ReadStudyMetadataTables#RECORD_REVISIONS}:
 * every API field typed, unknown fields and values that do not parse kept in {@code _extra}).
 *
 * <pre>{@code
 * PCollectionTuple revisions = studyKeys.apply(
 *     ReadRecordRevisions.create(apiConfig, DateWindow.parse("2026-01-01", "2026-01-31")));
 * }</pre>
 *
 * <p>The window is sent to the API as {@code dateCreated>=START;dateCreated<END+1} ({@link
 * DateWindow#apiFilter}) and checked again here: a revision the server returns outside the window
 * is counted and not emitted, so a server that ignored the filter cannot load other windows'
 * revisions under this one. A revision without an integer {@code recordRevisionId} (its natural
 * key) becomes a {@link FailedRecord} with its JSON. Retries are the client's; anything else fails
 * the study's read, naming study and page: an outage is never an empty window.
 */
public final class ReadRecordRevisions extends PTransform<PCollection<String>, PCollectionTuple> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ReadRecordRevisions.class);
  private static final int BATCH_SIZE = 1000;

  /** The output holding the rows. */
  public static final TupleTag<RowBatch> ROWS = new TupleTag<RowBatch>() {};

  /** The output holding what could not be kept as rows, with its original JSON. */
  public static final TupleTag<FailedRecord> FAILURES = new TupleTag<FailedRecord>() {};

  private final ApiConfig config;
  private final DateWindow window;
  private final ImednetApiFactory factory;

  private ReadRecordRevisions(ApiConfig config, DateWindow window, ImednetApiFactory factory) {
    this.config = Objects.requireNonNull(config, "config");
    this.window = Objects.requireNonNull(window, "window");
    this.factory = Objects.requireNonNull(factory, "factory");
  }

  public static ReadRecordRevisions create(ApiConfig config, DateWindow window) {
    return new ReadRecordRevisions(config, window, ImednetApiFactory.HTTP);
  }

  /**
   * The client each worker creates, e.g. a fake in tests. Default {@link ImednetApiFactory#HTTP}.
   */
  public ReadRecordRevisions withApiFactory(ImednetApiFactory factory) {
    return new ReadRecordRevisions(config, window, factory);
  }

  @Override
  public PCollectionTuple expand(PCollection<String> studyKeys) {
    PCollectionTuple out =
        studyKeys
            .apply("SpreadStudies", Reshuffle.viaRandomKey())
            .apply(
                "ReadRevisions",
                ParDo.of(new ReadFn(config, window, factory))
                    .withOutputTags(ROWS, TupleTagList.of(FAILURES)));
    out.get(ROWS).setCoder(RowBatchCoder.of());
    out.get(FAILURES).setCoder(SerializableCoder.of(FailedRecord.class));
    return out;
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("baseUrl", config.baseUrl()).withLabel("iMednet API"))
        .add(DisplayData.item("window", window.toString()).withLabel("dateCreated window"));
  }

  static final class ReadFn extends DoFn<String, RowBatch> {
    private static final long serialVersionUID = 1L;
    private final ApiConfig config;
    private final DateWindow window;
    private final ImednetApiFactory factory;
    private transient @Nullable ImednetApi api;

    ReadFn(ApiConfig config, DateWindow window, ImednetApiFactory factory) {
      this.config = config;
      this.window = window;
      this.factory = factory;
    }

    @Setup
    public void setup() {
      api = factory.create(config);
    }

    @Teardown
    public void teardown() {
      if (api != null) {
        api.close();
        api = null;
      }
    }

    @ProcessElement
    public void process(@Element String studyKey, MultiOutputReceiver out) throws IOException {
      ReadStudyMetadataTables.Table table = ReadStudyMetadataTables.RECORD_REVISIONS;
      TableSchema schema = table.schema(studyKey);
      int idColumn = schema.indexOf("record_revision_id");
      int createdColumn = schema.indexOf("date_created");
      Iterator<JsonNode> items =
          Objects.requireNonNull(api, "api")
              .listAll(studyKey, table.resource(), window.apiFilter("dateCreated"));
      List<Object[]> batch = new ArrayList<>();
      long n = 0;
      long outside = 0;
      while (items.hasNext()) {
        JsonNode item = items.next();
        n++;
        Object[] row = table.row(studyKey, item);
        if (row[idColumn] == null) {
          out.get(FAILURES)
              .output(
                  new FailedRecord(
                      studyKey,
                      null,
                      FailedRecord.Reason.UNPROCESSABLE_METADATA,
                      "recordRevisions " + window.apiFilter("dateCreated") + " item " + n,
                      "Cannot keep a record revision without an integer recordRevisionId",
                      item.toString()));
          continue;
        }
        LocalDateTime created = (LocalDateTime) row[createdColumn];
        if (created != null
            && (created.isBefore(window.from()) || !created.isBefore(window.until()))) {
          outside++;
          continue;
        }
        batch.add(row);
        if (batch.size() == BATCH_SIZE) {
          out.get(ROWS).output(RowBatch.of(schema, batch));
          batch = new ArrayList<>();
        }
      }
      if (!batch.isEmpty()) {
        out.get(ROWS).output(RowBatch.of(schema, batch));
      }
      ExportMetrics.counter(ExportMetrics.Metric.RECORDS_FETCHED, studyKey, table.tableKey())
          .inc(n - outside);
      if (outside > 0) {
        LOG.warn(
            "Study '{}': the API returned {} record revisions created outside {} despite the"
                + " dateCreated filter; they were not loaded under this window",
            studyKey,
            outside,
            window);
      }
    }
  }
}
