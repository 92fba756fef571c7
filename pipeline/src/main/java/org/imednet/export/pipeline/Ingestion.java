package org.imednet.export.pipeline;

import java.nio.file.Path;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.history.DateWindow;
import org.imednet.export.history.ReadRecordRevisions;
import org.imednet.export.history.RecordValues;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.metrics.ExportMetrics.Metric;
import org.imednet.export.metrics.LiveTally;
import org.imednet.export.model.RecordPage;
import org.imednet.export.read.ReadStudyMetadataTables;
import org.imednet.export.read.ReadStudyRecords;
import org.imednet.export.rows.FailedRecord;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.sinks.duckdb.DuckDbHistory;
import org.imednet.export.sinks.duckdb.WriteDuckDbHistory;
import org.imednet.export.sinks.ledger.LedgerRun;

/**
 * The incremental bronze/silver workflow on a DuckDB file: {@link #ingestRevisions} loads a date
 * window of record revisions and of the records changed in it into bronze; {@link #buildSilverView}
 * derives the current state and the value-level audit from bronze. The tables are described in
 * {@link DuckDbHistory}.
 *
 * <pre>{@code
 * Ingestion workflow = Ingestion.create(ApiConfig.fromEnvironment(System.getenv()), Path.of("central.duckdb"));
 * long inserted = workflow.ingestRevisions("MY_STUDY", LocalDate.parse("2026-01-01"),
 *     LocalDate.parse("2026-01-31"), DuckDbHistory.Mode.APPEND);
 * System.out.println("Inserted " + inserted + " revision rows");
 * workflow.buildSilverView("MY_STUDY");
 * }</pre>
 *
 * <p>An ingest is a Beam pipeline like the exports: per study, the records whose {@code
 * dateModified} falls in the window are read by keyset, forms and recordId ranges in parallel
 * ({@link ReadStudyRecords#withRecordFilter}), turned into long-form value rows ({@link
 * RecordValues}); the revisions whose {@code dateCreated} falls in it are read ({@link
 * ReadRecordRevisions}); all rows reach a single DuckDB writer ({@link WriteDuckDbHistory}) that
 * commits the run in one transaction. Records or revisions that cannot be kept fail the run, or go
 * to the errors directory with their JSON ({@link #withErrorsDir}), before anything is committed.
 */
public final class Ingestion {
  private final ApiConfig api;
  private final Path database;
  private final List<String> beamArgs;
  private final @Nullable Path errorsDir;

  private Ingestion(ApiConfig api, Path database, List<String> beamArgs, @Nullable Path errorsDir) {
    this.api = Objects.requireNonNull(api, "api");
    this.database = Objects.requireNonNull(database, "database");
    this.beamArgs = List.copyOf(beamArgs);
    this.errorsDir = errorsDir;
  }

  /** The workflow on {@code database} (created on first ingest), on Beam's default runner. */
  public static Ingestion create(ApiConfig api, Path database) {
    return new Ingestion(api, database, List.of(), null);
  }

  /** Beam pipeline options for the ingest runs, e.g. {@code --runner=FlinkRunner}. */
  public Ingestion withBeamArgs(List<String> args) {
    return new Ingestion(api, database, args, errorsDir);
  }

  /** Keeps records that cannot be ingested here (JSON lines) instead of failing the run. */
  public Ingestion withErrorsDir(@Nullable Path dir) {
    return new Ingestion(api, database, beamArgs, dir);
  }

  /**
   * Ingests the days {@code start..end} (UTC, both included) of one study; returns the revision
   * rows inserted into {@code bronze_record_revisions}.
   */
  public long ingestRevisions(
      String studyKey, LocalDate start, LocalDate end, DuckDbHistory.Mode mode) {
    return ingest(List.of(studyKey), DateWindow.of(start, end), mode).revisionsInserted();
  }

  /** Ingests a window of several studies in one run and one transaction. */
  public Result ingest(List<String> studies, DateWindow window, DuckDbHistory.Mode mode) {
    List<String> keys = new ArrayList<>(new LinkedHashSet<>(studies));
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("at least one study key is required");
    }
    String runId = LedgerRun.newRunId();
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs(beamArgs.toArray(new String[0])).withValidation().create();
    if (beamArgs.stream().noneMatch(a -> a.startsWith("--jobName"))) {
      options.setJobName("imednet-ingest-" + System.currentTimeMillis());
    }
    Pipeline pipeline = Pipeline.create(options);
    build(pipeline, keys, window, mode, runId);
    LiveTally.reset();
    PipelineResult result = pipeline.run();
    PipelineResult.State state = result.waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("The ingest ended in state " + state);
    }
    Map<String, Long> history =
        RunSummary.readCounters(result.metrics(), WriteDuckDbHistory.METRICS);
    Map<String, Long> export = RunSummary.readCounters(result.metrics());
    long recordsFetched = 0;
    long revisionsFetched = 0;
    long apiTotal = 0;
    for (Map.Entry<String, Long> e : export.entrySet()) {
      ExportMetrics.Key key = ExportMetrics.parse(e.getKey());
      if (key == null) {
        continue;
      }
      boolean revisions = ReadStudyMetadataTables.RECORD_REVISIONS.tableKey().equals(key.formKey);
      if (key.metric == Metric.RECORDS_FETCHED) {
        if (revisions) {
          revisionsFetched += e.getValue();
        } else {
          recordsFetched += e.getValue();
        }
      } else if (key.metric == Metric.API_TOTAL_ELEMENTS) {
        apiTotal += e.getValue();
      }
    }
    return new Result(
        runId,
        apiTotal,
        recordsFetched,
        revisionsFetched,
        history.getOrDefault("bronzeRevisionsInserted", 0L),
        history.getOrDefault("bronzeValuesInserted", 0L),
        history.getOrDefault("bronzeRecordVersionsInserted", 0L));
  }

  /** Adds an ingest run to {@code pipeline}. */
  void build(
      Pipeline pipeline,
      List<String> studies,
      DateWindow window,
      DuckDbHistory.Mode mode,
      String runId) {
    PCollection<RecordPage> pages =
        pipeline.apply(
            "ReadChangedRecords",
            ReadStudyRecords.create()
                .withApiConfig(api)
                .withStudies(studies)
                .withRecordFilter(window.apiFilter("dateModified")));
    PCollectionTuple values = pages.apply("RecordValues", RecordValues.create());
    PCollectionTuple revisions =
        pipeline
            .apply("Studies", Create.of(studies).withCoder(StringUtf8Coder.of()))
            .apply("ReadRecordRevisions", ReadRecordRevisions.create(api, window));
    PCollection<FailedRecord> failures =
        PCollectionList.of(values.get(RecordValues.FAILURES))
            .and(revisions.get(ReadRecordRevisions.FAILURES))
            .apply("AllFailures", Flatten.pCollections());
    PCollection<?> failuresHandled = ExportJob.handleFailures(failures, errorsDir);
    PCollectionList.of(values.get(RecordValues.ROWS))
        .and(revisions.get(ReadRecordRevisions.ROWS))
        .apply("AllRows", Flatten.<RowBatch>pCollections())
        .apply(
            "WriteBronze",
            WriteDuckDbHistory.to(database, studies, window, mode, runId)
                .withCommitAfter(failuresHandled));
  }

  /** Rebuilds the silver tables for one study; returns its silver row count. */
  public long buildSilverView(String studyKey) {
    return buildSilver(List.of(Objects.requireNonNull(studyKey, "studyKey")));
  }

  /** Rebuilds the silver tables for these studies, or for every ingested study when null. */
  public long buildSilver(@Nullable Collection<String> studies) {
    try {
      return DuckDbHistory.buildSilver(database, studies);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "Building the silver tables in " + database + " failed: " + e.getMessage(), e);
    }
  }

  /** What one ingest run read and inserted. */
  public static final class Result {
    private final String runId;
    private final long apiTotal;
    private final long recordsFetched;
    private final long revisionsFetched;
    private final long revisionsInserted;
    private final long valuesInserted;
    private final long recordVersionsInserted;

    Result(
        String runId,
        long apiTotal,
        long recordsFetched,
        long revisionsFetched,
        long revisionsInserted,
        long valuesInserted,
        long recordVersionsInserted) {
      this.runId = runId;
      this.apiTotal = apiTotal;
      this.recordsFetched = recordsFetched;
      this.revisionsFetched = revisionsFetched;
      this.revisionsInserted = revisionsInserted;
      this.valuesInserted = valuesInserted;
      this.recordVersionsInserted = recordVersionsInserted;
    }

    /** The run's id, in {@code run_id} of every row it inserted and in the ingest ledger. */
    public String runId() {
      return runId;
    }

    /** The API's count of records changed in the window ({@code totalElements}, all forms). */
    public long apiTotal() {
      return apiTotal;
    }

    public long recordsFetched() {
      return recordsFetched;
    }

    public long revisionsFetched() {
      return revisionsFetched;
    }

    public long revisionsInserted() {
      return revisionsInserted;
    }

    public long valuesInserted() {
      return valuesInserted;
    }

    /** Record versions (record, dateModified) whose values were inserted. */
    public long recordVersionsInserted() {
      return recordVersionsInserted;
    }
  }
}
