package org.imednet.export.sinks.snowflake;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.sinks.ledger.HighWaterMarks;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.staging.RemoteFiles;

/**
 * Loads {@link RowBatch}es into Snowflake: Parquet files PUT into an internal stage (or written to
 * an external stage's bucket), then COPY and a keyed replace per table, exactly once.
 *
 * <pre>{@code
 * PCollection<LoadResult> loaded =
 *     rows.apply(
 *         LoadIntoSnowflake.to(settings)
 *             .withManifestPath(Path.of("/data/snowflake-manifest.jsonl"))
 *             .withStagePrefix("imednet/prod"));
 *
 * // settings.stage() is EXT_STAGE, an external stage (CREATE STAGE EXT_STAGE
 * // URL = 's3://bucket/stage/' STORAGE_INTEGRATION = …): the workers write the files to
 * // s3://bucket/stage/imednet/<TABLE>/ through FileSystems, and COPY reads them from there.
 * rows.apply(LoadIntoSnowflake.to(settings).withStageUrl("s3://bucket/stage"));
 * }</pre>
 *
 * <p>Two steps, so memory stays bounded and DDL never races:
 *
 * <ol>
 *   <li><b>StageBatches</b> (parallel): per bundle, rows are gathered per study and target table up
 *       to {@code batchSize}, written as a content-named Parquet file and PUT into the stage (with
 *       {@link #withStageUrl}: written to the external stage's URL through Beam's FileSystems, with
 *       this job's options). Only a small {@link StagedBatch} descriptor travels on, keyed by
 *       target table.
 *   <li><b>CommitBatches</b>: a {@code GroupByKey} on the target table gives each table ONE loader,
 *       which creates or widens the table and commits its batches one after another (see {@link
 *       SnowflakeBatchLoader} for the COPY into a staging table and the one-transaction replace by
 *       {@code study_key, record_id}).
 * </ol>
 *
 * <p>Guarantees: a batch recorded LOADED in the manifest is not sent again; rows that changed
 * replace their previous version; re-running, retrying a bundle or a statement never duplicates.
 * Batch boundaries follow bundles, so on a re-run unchanged data that arrives in different bundles
 * hashes differently and is loaded again, replacing identical rows (correct, only not free). A
 * failed bundle's retry re-stages the same files ({@code OVERWRITE = FALSE} skips identical ones).
 * Each batch is retried {@code maxRetries} times, then {@link ExportBatchError} fails the pipeline
 * with the batch id; the manifest shows what loaded and a re-run loads the rest. The manifest and
 * local staging directory are local paths: on a multi-machine runner give each a path that all
 * workers share, or expect one manifest per worker.
 *
 * <p>Output: one {@link LoadResult} per batch. Counter {@code rowsLoadedSnowflake} per study/form
 * from COPY's {@code rows_loaded}. The connection settings, and the password above all, are not in
 * display data.
 */
public final class LoadIntoSnowflake
    extends PTransform<PCollection<RowBatch>, PCollection<LoadResult>> {
  private static final long serialVersionUID = 1L;

  private final @Nullable SnowflakeSettings settings;
  private final SnowflakeLoadOptions options;
  private final @Nullable LedgerRun ledger;
  // Like Wait.OnSignal: pipeline-construction-time references, never serialized.
  private final transient List<PCollection<?>> commitAfter;

  private LoadIntoSnowflake(
      @Nullable SnowflakeSettings settings,
      SnowflakeLoadOptions options,
      @Nullable LedgerRun ledger,
      List<PCollection<?>> commitAfter) {
    this.settings = settings;
    this.options = options;
    this.ledger = ledger;
    this.commitAfter = commitAfter;
  }

  /** Loads with these connection settings and {@link SnowflakeLoadOptions#defaults()}. */
  public static LoadIntoSnowflake to(SnowflakeSettings settings) {
    return new LoadIntoSnowflake(
        Objects.requireNonNull(settings, "settings"),
        SnowflakeLoadOptions.defaults(),
        null,
        List.of());
  }

  /** Replaces all load options at once. */
  public LoadIntoSnowflake withOptions(SnowflakeLoadOptions newOptions) {
    return new LoadIntoSnowflake(
        settings, Objects.requireNonNull(newOptions, "options"), ledger, commitAfter);
  }

  /**
   * Commits batches into tables only after {@code signal} is complete; if computing it fails,
   * nothing is committed (files may already be in the stage, unloaded). Default: no gate.
   */
  public LoadIntoSnowflake withCommitAfter(PCollection<?> signal) {
    Objects.requireNonNull(signal, "signal");
    List<PCollection<?>> gates = new ArrayList<>(commitAfter);
    gates.add(signal);
    return new LoadIntoSnowflake(settings, options, ledger, List.copyOf(gates));
  }

  /**
   * Records the run in the schema's export ledger ({@link SnowflakeLedger}) once every batch is
   * loaded: per study its rows per form and the latest {@code date_modified} of its rows. Default:
   * no ledger.
   */
  public LoadIntoSnowflake withLedger(LedgerRun run) {
    return new LoadIntoSnowflake(
        settings, options, Objects.requireNonNull(run, "run"), commitAfter);
  }

  /**
   * See {@link SnowflakeLoadOptions#withBatchSize}; default {@value
   * SnowflakeLoadOptions#DEFAULT_BATCH_SIZE}.
   */
  public LoadIntoSnowflake withBatchSize(int rows) {
    return withOptions(options.withBatchSize(rows));
  }

  /** See {@link SnowflakeLoadOptions#withStagePrefix}; default {@code imednet}. */
  public LoadIntoSnowflake withStagePrefix(String prefix) {
    return withOptions(options.withStagePrefix(prefix));
  }

  /** See {@link SnowflakeLoadOptions#withSingleTable}; default one table per form. */
  public LoadIntoSnowflake withSingleTable(String table) {
    return withOptions(options.withSingleTable(table));
  }

  /** See {@link SnowflakeLoadOptions#withForceReload}; default false. */
  public LoadIntoSnowflake withForceReload(boolean force) {
    return withOptions(options.withForceReload(force));
  }

  /** See {@link SnowflakeLoadOptions#withKeepStaged}; default false. */
  public LoadIntoSnowflake withKeepStaged(boolean keep) {
    return withOptions(options.withKeepStaged(keep));
  }

  /** See {@link SnowflakeLoadOptions#withMaxRetries}; default 3. */
  public LoadIntoSnowflake withMaxRetries(int retries) {
    return withOptions(options.withMaxRetries(retries));
  }

  /** See {@link SnowflakeLoadOptions#withRetryBackoff}; default 1 s. */
  public LoadIntoSnowflake withRetryBackoff(Duration backoff) {
    return withOptions(options.withRetryBackoff(backoff));
  }

  /** See {@link SnowflakeLoadOptions#withManifestPath}; default none. */
  public LoadIntoSnowflake withManifestPath(Path path) {
    return withOptions(options.withManifestPath(path));
  }

  /**
   * See {@link SnowflakeLoadOptions#withStageUrl}: the settings' stage is an external stage with
   * this URL; default none (an internal stage).
   */
  public LoadIntoSnowflake withStageUrl(String url) {
    return withOptions(options.withStageUrl(url));
  }

  /** See {@link SnowflakeLoadOptions#withLocalStagingDir}; default a temporary directory. */
  public LoadIntoSnowflake withLocalStagingDir(Path dir) {
    return withOptions(options.withLocalStagingDir(dir));
  }

  /** See {@link SnowflakeLoadOptions#withSleeper}. */
  public LoadIntoSnowflake withSleeper(Sleeper sleeper) {
    return withOptions(options.withSleeper(sleeper));
  }

  @Override
  public PCollection<LoadResult> expand(PCollection<RowBatch> input) {
    if (settings == null) {
      throw new ExportConfigurationError("LoadIntoSnowflake.to(settings) is required");
    }
    settings.validate();
    if (options.stageUrl() != null) {
      RemoteFiles.checkScheme(options.stageUrl());
    }
    PCollection<KV<String, Iterable<StagedBatch>>> grouped =
        input
            .apply("StageBatches", ParDo.of(new StageBatchesFn(settings, options)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(StagedBatch.class)))
            .apply("GroupByTable", GroupByKey.create());
    if (!commitAfter.isEmpty()) {
      grouped = grouped.apply("WaitForCommitGate", Wait.on(commitAfter));
    }
    PCollection<LoadResult> results =
        grouped
            .apply("CommitBatches", ParDo.of(new CommitBatchesFn(settings, options)))
            .setCoder(SerializableCoder.of(LoadResult.class));
    if (ledger != null) {
      PCollectionView<Map<String, Long>> marks =
          input.apply("HighWaterMarks", HighWaterMarks.create());
      PCollectionView<List<LoadResult>> loaded = results.apply("LoadResults", View.asList());
      input
          .getPipeline()
          .apply("LedgerRun", Create.of(ledger.runId()))
          .apply(
              "RecordInLedger",
              ParDo.of(new RecordLedgerFn(settings, options.singleTable(), ledger, loaded, marks))
                  .withSideInputs(loaded, marks));
    }
    return results;
  }

  /**
   * Runs once, after every batch is committed (its side inputs are complete only then): writes the
   * run's ledger rows.
   */
  static final class RecordLedgerFn extends DoFn<String, Void> {
    private static final long serialVersionUID = 1L;
    private final SnowflakeSettings settings;
    private final @Nullable String singleTable;
    private final LedgerRun run;
    private final PCollectionView<List<LoadResult>> loaded;
    private final PCollectionView<Map<String, Long>> marks;

    RecordLedgerFn(
        SnowflakeSettings settings,
        @Nullable String singleTable,
        LedgerRun run,
        PCollectionView<List<LoadResult>> loaded,
        PCollectionView<Map<String, Long>> marks) {
      this.settings = settings;
      this.singleTable = singleTable;
      this.run = run;
      this.loaded = loaded;
      this.marks = marks;
    }

    @ProcessElement
    public void process(ProcessContext c) throws java.sql.SQLException {
      try (java.sql.Connection conn = settings.connect()) {
        SnowflakeLedger.record(
            conn,
            settings,
            SnowflakeLedger.target(singleTable),
            run,
            c.sideInput(loaded),
            c.sideInput(marks));
      } catch (java.sql.SQLException e) {
        throw settings.redactedCopy(e);
      }
    }
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    if (settings != null) {
      builder
          .addIfNotNull(DisplayData.item("account", settings.account()))
          .addIfNotNull(DisplayData.item("database", settings.database()))
          .add(DisplayData.item("schema", settings.schema()))
          .addIfNotNull(DisplayData.item("stage", settings.stage()));
    }
    builder
        .add(DisplayData.item("stagePrefix", options.stagePrefix()))
        .addIfNotNull(DisplayData.item("stageUrl", options.stageUrl()))
        .addIfNotNull(DisplayData.item("singleTable", options.singleTable()))
        .add(DisplayData.item("batchSize", options.batchSize()))
        .add(DisplayData.item("maxRetries", options.maxRetries()))
        .add(DisplayData.item("retryBackoff", options.retryBackoff().toString()))
        .add(DisplayData.item("forceReload", options.forceReload()))
        .add(DisplayData.item("keepStaged", options.keepStaged()));
    if (options.manifestPath() != null) {
      builder.add(DisplayData.item("manifestPath", options.manifestPath().toString()));
    }
  }

  /**
   * Makes {@code FileSystems} use this job's options ({@code --endpoint}, {@code --awsRegion}, …)
   * right before a call on an external stage: on Flink, other operators register options of their
   * own meanwhile (see {@link RemoteFiles#useOptions}).
   */
  private static void useJobOptions(@Nullable PipelineOptions options) {
    if (options != null) {
      RemoteFiles.useOptions(options);
    }
  }

  /** Gathers rows per study and target table within a bundle, stages full batches. */
  static final class StageBatchesFn extends DoFn<RowBatch, KV<String, StagedBatch>> {
    private static final long serialVersionUID = 1L;
    private final SnowflakeSettings settings;
    private final SnowflakeLoadOptions options;
    private transient @Nullable SnowflakeBatchLoader loader;
    private transient Map<String, List<RowBatch>> buffers;
    private transient Map<String, Integer> buffered;
    // This job's options, for FileSystems before writing to an external stage.
    private transient @Nullable PipelineOptions pipelineOptions;

    StageBatchesFn(SnowflakeSettings settings, SnowflakeLoadOptions options) {
      this.settings = settings;
      this.options = options;
    }

    @Setup
    public void setup() {
      loader =
          SnowflakeBatchLoader.open(settings, options)
              .beforeEachFileSystemsCall(() -> useJobOptions(pipelineOptions));
    }

    @StartBundle
    public void startBundle(StartBundleContext context) {
      buffers = new HashMap<>();
      buffered = new HashMap<>();
      pipelineOptions = context.getPipelineOptions();
    }

    @ProcessElement
    public void process(@Element RowBatch batch, OutputReceiver<KV<String, StagedBatch>> out) {
      if (batch.size() == 0) {
        return; // an empty page carries no rows to load; its table is created by the next one
      }
      String key =
          batch.schema().studyKey()
              + "\u0000"
              + TableNames.of(batch.schema(), options.singleTable());
      List<Object[]> rows = batch.rows();
      int from = 0;
      while (from < rows.size()) {
        int room = options.batchSize() - buffered.getOrDefault(key, 0);
        int to = Math.min(rows.size(), from + room);
        RowBatch part =
            from == 0 && to == rows.size()
                ? batch
                : RowBatch.of(batch.schema(), rows.subList(from, to));
        buffers.computeIfAbsent(key, k -> new ArrayList<>()).add(part);
        buffered.merge(key, to - from, Integer::sum);
        if (buffered.get(key) >= options.batchSize()) {
          KV<String, StagedBatch> staged = flush(key);
          out.output(staged);
        }
        from = to;
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      for (String key : new ArrayList<>(buffers.keySet())) {
        context.output(flush(key), GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
      }
    }

    private KV<String, StagedBatch> flush(String key) {
      List<RowBatch> rows = buffers.remove(key);
      buffered.remove(key);
      StagedBatch staged = Objects.requireNonNull(loader).stage(rows, null);
      return KV.of(staged.targetTable(), staged);
    }

    @Teardown
    public void teardown() {
      if (loader != null) {
        loader.close();
        loader = null;
      }
    }
  }

  /** One per target table: creates or widens it and commits its staged batches in order. */
  static final class CommitBatchesFn extends DoFn<KV<String, Iterable<StagedBatch>>, LoadResult> {
    private static final long serialVersionUID = 1L;
    private final SnowflakeSettings settings;
    private final SnowflakeLoadOptions options;
    private transient @Nullable SnowflakeBatchLoader loader;
    // This job's options, for FileSystems before deleting a loaded file from an external stage.
    private transient @Nullable PipelineOptions pipelineOptions;

    CommitBatchesFn(SnowflakeSettings settings, SnowflakeLoadOptions options) {
      this.settings = settings;
      this.options = options;
    }

    @Setup
    public void setup() {
      loader =
          SnowflakeBatchLoader.open(settings, options)
              .beforeEachFileSystemsCall(() -> useJobOptions(pipelineOptions));
    }

    @StartBundle
    public void startBundle(StartBundleContext context) {
      pipelineOptions = context.getPipelineOptions();
    }

    @ProcessElement
    public void process(
        @Element KV<String, Iterable<StagedBatch>> table, OutputReceiver<LoadResult> out) {
      List<StagedBatch> batches = new ArrayList<>();
      table.getValue().forEach(batches::add);
      // A stable order, so a re-run commits in the same sequence.
      batches.sort(Comparator.comparing(StagedBatch::batchId));
      for (StagedBatch b : batches) {
        out.output(Objects.requireNonNull(loader).commit(b));
      }
    }

    @Teardown
    public void teardown() {
      if (loader != null) {
        loader.close();
        loader = null;
      }
    }
  }
}
