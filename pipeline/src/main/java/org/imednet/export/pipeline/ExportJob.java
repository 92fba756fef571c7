package org.imednet.export.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.annotation.Nullable;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sample;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.imednet.export.flatten.FlattenRecords;
import org.imednet.export.metrics.LiveTally;
import org.imednet.export.model.RecordPage;
import org.imednet.export.read.ReadStudyMetadata;
import org.imednet.export.read.ReadStudyMetadataTables;
import org.imednet.export.read.ReadStudyRecords;
import org.imednet.export.rows.FailedRecord;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.sinks.duckdb.WriteDuckDbFile;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.parquet.WriteHiveParquet;
import org.imednet.export.sinks.snowflake.LoadIntoSnowflake;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The export job: {@code run(spec)} builds the pipeline with {@link #build}, runs it to completion
 * and returns the per-study/form {@link RunSummary}.
 *
 * <pre>{@code
 * ReadStudyRecords ─► FlattenRecords ─┬─ rows ──┐
 * ReadStudyMetadata ──────────────────┼─────────┴─► WriteHiveParquet / WriteDuckDbFile
 *                                     └─ failures ─► --errors-dir JSONL, or fail the run
 * }</pre>
 *
 * <p>Failures: records that cannot be flattened are written to {@code --errors-dir} as JSON lines
 * when it is given; otherwise the run fails with the count and the first failures, so a run that
 * would drop data never passes silently.
 */
public final class ExportJob {
  private static final Logger LOG = LoggerFactory.getLogger(ExportJob.class);

  private ExportJob() {}

  /** Builds, runs and waits for the export; the caller decides what a mismatch means. */
  public static RunSummary run(ExportSpec spec) {
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs(spec.beamArgs().toArray(new String[0]))
            .withValidation()
            .create();
    if (spec.beamArgs().stream().noneMatch(a -> a.startsWith("--jobName"))) {
      options.setJobName("imednet-export-" + System.currentTimeMillis());
    }
    Pipeline pipeline = Pipeline.create(options);
    build(pipeline, spec);
    LiveTally.reset();
    LOG.info(
        "Exporting {} stud{} on {}",
        spec.studies().size(),
        spec.studies().size() == 1 ? "y" : "ies",
        options.getRunner().getSimpleName());
    PipelineResult result = pipeline.run();
    PipelineResult.State state = result.waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("The export ended in state " + state);
    }
    return RunSummary.from(result, spec);
  }

  /**
   * Validates the options and builds the graph without running it. For {@code runner} values with a
   * {@link DryRun} on the class path (Dataflow) that runner's own checks run too; otherwise Beam's
   * option validation and graph construction.
   */
  public static String dryRun(ExportSpec spec, String runner) {
    for (DryRun d : java.util.ServiceLoader.load(DryRun.class)) {
      if (d.runner().equalsIgnoreCase(runner)) {
        List<String> args = new ArrayList<>();
        for (String a : spec.beamArgs()) {
          if (!a.startsWith("--runner=")) {
            args.add(a);
          }
        }
        return d.check(p -> build(p, spec), args);
      }
    }
    if ("dataflow".equalsIgnoreCase(runner)) {
      throw new IllegalArgumentException(
          "the Dataflow runner is not on the class path; build with the dataflow profile:"
              + " mvn -Pdataflow package (see runners/README.md)");
    }
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs(spec.beamArgs().toArray(new String[0]))
            .withValidation()
            .create();
    Pipeline pipeline = Pipeline.create(options);
    build(pipeline, spec);
    return "Dry run: options valid for "
        + options.getRunner().getSimpleName()
        + "; the export graph builds. Nothing was run.";
  }

  /** Adds the export to {@code pipeline}: read, flatten, write to every configured destination. */
  public static void build(Pipeline pipeline, ExportSpec spec) {
    PCollection<RecordPage> pages = readRecords(pipeline, spec);
    FlattenRecords.Result flat =
        pages.apply("FlattenRecords", FlattenRecords.create().withUseLabels(spec.useLabels()));

    ReadStudyMetadata readMetadata =
        ReadStudyMetadata.create()
            .withApiConfig(spec.api())
            .withStudies(spec.studies())
            .withForms(spec.forms())
            .withVariables(spec.variables())
            .withUseLabels(spec.useLabels());
    if (spec.ledger() != null && !spec.ledger().windows().isEmpty()) {
      Map<String, Map<String, String>> since = new TreeMap<>();
      for (String study : spec.ledger().windows().keySet()) {
        Map<String, String> tables = new TreeMap<>();
        for (String table : ReadStudyMetadataTables.windowedTables()) {
          tables.put(table, apiTime(spec.ledger().windowFrom(study, table)));
        }
        since.put(study, tables);
      }
      LocalDateTime until = spec.ledger().until();
      readMetadata = readMetadata.withModifiedBetween(since, until == null ? null : apiTime(until));
    }
    PCollection<RowBatch> metadata = pipeline.apply("ReadStudyMetadata", readMetadata);

    // Every destination commits only once the failures are known to be kept or absent: a run that
    // would drop records fails before anything is published.
    PCollection<?> failuresHandled = handleFailures(flat.failures(), spec.errorsDir());

    if (spec.hasLake()) {
      // Form rows and metadata rows are staged by separate steps rather than unioned first, so
      // each stays chained to the step that produced it (see WriteHiveParquet#withMoreRows).
      WriteHiveParquet lake =
          (spec.lakeUri() != null
                  ? WriteHiveParquet.to(spec.lakeUri())
                  : WriteHiveParquet.to(spec.lakeDir()))
              .withMoreRows(metadata)
              .withCommitAfter(failuresHandled);
      if (spec.metadataDir() != null) {
        lake = lake.withMetadataDir(spec.metadataDir());
      } else if (spec.metadataUri() != null) {
        lake = lake.withMetadataDir(spec.metadataUri());
      }
      if (spec.ledger() != null) {
        lake = lake.withLedger(spec.ledger());
      }
      flat.rows().apply("WriteHiveParquet", lake);
    }
    if (spec.duckDbFile() == null && spec.snowflake() == null) {
      return;
    }
    PCollection<RowBatch> allRows =
        PCollectionList.of(flat.rows())
            .and(metadata)
            .apply("RowsAndMetadata", Flatten.pCollections());
    if (spec.duckDbFile() != null) {
      WriteDuckDbFile duck = WriteDuckDbFile.to(spec.duckDbFile()).withCommitAfter(failuresHandled);
      if (spec.ledger() != null) {
        duck = duck.withLedger(spec.ledger());
      }
      duck =
          spec.duckDbLayout() == ExportSpec.DuckDbLayout.BY_FORM
              ? duck.byForm()
              : duck.singleTable(spec.duckDbTable());
      allRows.apply("WriteDuckDbFile", duck);
    }
    if (spec.snowflake() != null) {
      LoadIntoSnowflake load = spec.snowflake().withCommitAfter(failuresHandled);
      if (spec.ledger() != null) {
        load = load.withLedger(spec.ledger());
      }
      allRows.apply("LoadIntoSnowflake", load);
    }
  }

  /**
   * The record pages: every study read whole, except in an incremental run, where each study with a
   * window is read from its {@code dateModified} lower bound (studies sharing a bound share a
   * read).
   */
  static PCollection<RecordPage> readRecords(Pipeline pipeline, ExportSpec spec) {
    ReadStudyRecords read =
        ReadStudyRecords.create()
            .withApiConfig(spec.api())
            .withForms(spec.forms())
            .withVariables(spec.variables());
    LedgerRun ledger = spec.ledger();
    if (ledger == null || ledger.windows().isEmpty()) {
      return pipeline.apply("ReadStudyRecords", read.withStudies(spec.studies()));
    }
    Map<LocalDateTime, List<String>> byWindow = new TreeMap<>();
    List<String> whole = new ArrayList<>();
    for (String study : spec.studies()) {
      LocalDateTime from = ledger.windowFrom(study);
      if (from == null) {
        whole.add(study);
      } else {
        byWindow.computeIfAbsent(from, k -> new ArrayList<>()).add(study);
      }
    }
    PCollectionList<RecordPage> parts = PCollectionList.empty(pipeline);
    if (!whole.isEmpty()) {
      parts = parts.and(pipeline.apply("ReadStudyRecords", read.withStudies(whole)));
    }
    for (Map.Entry<LocalDateTime, List<String>> w : byWindow.entrySet()) {
      String since = apiTime(w.getKey());
      parts =
          parts.and(
              pipeline.apply(
                  "ReadStudyRecordsModifiedSince" + since,
                  read.withStudies(w.getValue())
                      // An incremental window holds a few records per form: no range planning.
                      .withRangesPlanned(ledger.until() != null)
                      .withRecordFilter(
                          "dateModified>="
                              + since
                              + (ledger.until() == null
                                  ? ""
                                  : ";dateModified<" + apiTime(ledger.until())))));
    }
    return parts.size() == 1 ? parts.get(0) : parts.apply("AllRecordPages", Flatten.pCollections());
  }

  /**
   * A lower bound as the API's filters take it, in whole seconds: rounded down, it still includes
   * everything it should.
   */
  static String apiTime(LocalDateTime utc) {
    return SINCE.format(utc) + "Z";
  }

  private static final DateTimeFormatter SINCE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");

  /** Returns a PCollection that is complete once the failures are written, or known to be none. */
  static PCollection<?> handleFailures(
      PCollection<FailedRecord> failures, @Nullable java.nio.file.Path errorsDir) {
    PCollection<String> lines =
        failures.apply(
            "FailureToJson",
            MapElements.into(TypeDescriptors.strings()).via(ExportJob::toJsonLine));
    if (errorsDir != null) {
      return lines
          .apply(
              "WriteErrors",
              TextIO.write()
                  .to(errorsDir.resolve("failed-records").toString())
                  .withSuffix(".jsonl")
                  .withNumShards(1)
                  .withOutputFilenames())
          .getPerDestinationOutputFilenames();
    }
    // Context only (study, form, location, reason): payloads hold patient values and stay out of
    // exception messages.
    PCollectionView<List<String>> firstFailures =
        failures
            .apply(
                "DescribeFailures",
                MapElements.into(TypeDescriptors.strings()).via(FailedRecord::toString))
            .apply("FirstFailures", Sample.any(3))
            .setCoder(StringUtf8Coder.of())
            .apply("FirstFailuresView", View.asList());
    return failures
        .apply("CountFailures", Combine.globally(Count.<FailedRecord>combineFn()))
        .apply(
            "FailOnDataLoss",
            ParDo.of(new FailOnDataLossFn(firstFailures)).withSideInputs(firstFailures));
  }

  /** Fails the run when any record could not be processed and no errors directory was given. */
  static final class FailOnDataLossFn extends DoFn<Long, Void> {
    private final PCollectionView<List<String>> firstFailures;

    FailOnDataLossFn(PCollectionView<List<String>> firstFailures) {
      this.firstFailures = firstFailures;
    }

    @ProcessElement
    public void process(@Element Long count, ProcessContext c) {
      if (count > 0) {
        List<String> first = new ArrayList<>(c.sideInput(firstFailures));
        throw new DataLossException(
            count
                + " record(s) could not be processed and would be lost. Re-run with --errors-dir DIR"
                + " to keep them (with their original JSON) and complete the export. First: "
                + String.join("; ", first));
      }
    }
  }

  private static final ObjectMapper MAPPER = new ObjectMapper();

  static String toJsonLine(FailedRecord f) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("study_key", f.studyKey());
    n.put("form_key", f.formKey());
    n.put("reason", f.reason().name());
    n.put("location", f.location());
    n.put("message", f.message());
    n.put("payload", f.payload());
    return n.toString();
  }

  /** The run would have dropped data. */
  public static final class DataLossException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DataLossException(String message) {
      super(message);
    }
  }
}
