package org.imednet.export.sinks.parquet;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionView;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.sinks.ledger.HighWaterMarks;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.staging.CollectStagedFiles;
import org.imednet.export.sinks.staging.StagedFile;
import org.imednet.export.sinks.staging.WriteStagedParquetFn;

/**
 * Writes {@link RowBatch}es into a Hive-partitioned Parquet lake that DuckDB, Spark or pyarrow read
 * directly, replacing each exported study's partitions atomically.
 *
 * <pre>{@code
 * rows.apply(WriteHiveParquet.to(Paths.get("/data/lake")));
 * // then, in DuckDB:
 * // SELECT study_key, form_key, count(*) FROM read_parquet('/data/lake/**}{@code /*.parquet',
 * //     hive_partitioning = true, union_by_name = true) GROUP BY ALL
 * }</pre>
 *
 * <h2>Layout</h2>
 *
 * <pre>
 * LAKE/study_key=&lt;study&gt;/form_key=&lt;form&gt;/part-00000.parquet, part-00001.parquet, …
 * METADATA/&lt;table&gt;/study_key=&lt;study&gt;/part-00000.parquet, …
 * </pre>
 *
 * Form tables go to the lake, metadata tables ({@code forms}, {@code variables}, {@code sites}, …,
 * and {@code columns}, the column-name mapping) to the metadata folder, by default the sibling
 * {@code <lake>_metadata}; it must not be inside the lake, or the lake's {@code **} glob would mix
 * them into the per-form counts. Files are Snappy-compressed with one schema per file (see {@link
 * org.imednet.export.sinks.staging.ParquetSchemas}); each holds the {@code study_key} and {@code
 * form_key} columns with the true keys. Partition folder names are escaped as {@link HiveParquet}
 * describes, which also records how DuckDB reads them back (true keys, VARCHAR).
 *
 * <h2>Writing and memory</h2>
 *
 * Each bundle writes its batches straight into staging files, one per table it sees, in parallel
 * over bundles; no rows are grouped, so memory does not grow with the data. An open file holds at
 * most one row group ({@link org.imednet.export.sinks.staging.ParquetBatchFile#ROW_GROUP_BYTES}, 4
 * MiB) in memory, so a worker's Parquet memory grows with the number of tables it writes, not with
 * their rows. A partition therefore holds one file per bundle that carried the form (dense {@code
 * part-NNNNN} numbers, assigned by sorting the staged files). On the DirectRunner, whose bundles
 * after a Reshuffle hold a single element, that is one file per batch (a 1,000,000-row export in
 * 500-row batches gave 2,000 files, exact counts in DuckDB, and a peak RSS of 1.19 GB with {@code
 * -Xmx2g}); FileIO-style grouping per form would instead hold each form's rows in memory on that
 * runner. Flink's bundles give far fewer, larger files.
 *
 * <h2>Commit, failures and retries</h2>
 *
 * Staging files go to {@code .<lake>.staging/<runId>/} beside the lake (same file system, outside
 * its glob), and likewise beside the metadata folder. After every write has finished, one commit
 * step (a GroupByKey on a single key of the small list of staged files) builds each exported
 * study's new folder from hard links of the staged files plus hard links of the study's existing
 * forms that this run did not export (so a {@code --forms} export keeps the other forms), then
 * replaces each study folder by two renames (old aside, new in). Readers never see partial files or
 * a mix of old and new files of a study; between the two renames the study is briefly absent. Other
 * studies are untouched. A metadata table of a study is replaced the same way.
 *
 * <ul>
 *   <li>A run that fails before the commit leaves the lake and metadata folders exactly as they
 *       were; its staged files stay under {@code .<lake>.staging/<runId>/} and can be deleted.
 *   <li>Bundles a runner retries leave unreferenced staging files; only files of committed bundles
 *       are published.
 *   <li>A commit that crashes is safe to repeat with the same run id on the same staged files: it
 *       restores a study folder it had moved aside but not yet replaced, rebuilds, and swaps again.
 *       If it is not repeated, a study interrupted between its two renames is missing from the lake
 *       and its previous folder is under {@code .<lake>.staging/<runId>/replaced/}.
 *   <li>A successful run removes its staging folder (and the staging root if it is empty).
 *   <li>A form or metadata table that received no batch in this run is kept as it was; a form with
 *       an empty batch is replaced by a file with no rows.
 * </ul>
 *
 * <p>{@code rowsWrittenLake} counts committed rows per study and form; the output lists the
 * absolute partition folders committed.
 *
 * <h2>Lakes on object stores</h2>
 *
 * <pre>{@code
 * rows.apply(WriteHiveParquet.to("s3://bucket/exports/lake"));   // or gs://, hdfs://
 * }</pre>
 *
 * A location with a scheme other than {@code file:} is written through Beam's {@link
 * org.apache.beam.sdk.io.FileSystems}, so any scheme registered on the workers' classpath works:
 * {@code s3://} with {@code beam-sdks-java-io-amazon-web-services2} (a dependency of this module;
 * region, endpoint and credentials from Beam's {@code AwsOptions}, credentials from the AWS default
 * chain), {@code gs://} with {@code beam-sdks-java-extensions-google-cloud-platform-core} (present
 * on Dataflow), {@code hdfs://} with {@code beam-sdks-java-io-hadoop-file-system}. An unregistered
 * scheme fails at construction with one line naming the module. Each worker writes its Parquet
 * files to a local temporary folder and uploads each finished file as one object under {@code
 * .<lake>.staging/<runId>/files/} beside the lake (same bucket, outside the lake's glob); the
 * metadata folder, default {@code <lake>_metadata}, must be remote too. Object stores have no
 * rename, so the commit is different: see {@link ObjectStoreLakeCommit} for the protocol and for
 * exactly what a reader of {@code lake/**}{@code /*.parquet} sees while it runs. In short: a run
 * that fails before its commit leaves the lake as it was; the commit writes its plan as one object
 * and then replaces partition after partition (copy the new objects, named {@code
 * part-NNNNN-<runId>.parquet}, then delete the old ones), so while it runs at most one partition
 * shows old and new files together, and a commit killed after writing its plan is finished by the
 * next commit into the lake. Forms not exported keep their objects. With {@link
 * #withLedger(LedgerRun)} the lake's ledger is kept as objects under {@code
 * <lake>/_imednet/ledger/} and windowed studies are upserted, as on a local lake. Commits into one
 * lake are serialized within a JVM; two runs must not commit into the same lake at once, which the
 * CLI enforces with {@link LakeLock} (whose limits it documents). Incomplete multipart uploads of a
 * failed run are not objects (no reader sees them); an S3 lifecycle rule that aborts them after a
 * day removes their storage.
 */
public final class WriteHiveParquet extends PTransform<PCollection<RowBatch>, PCollection<String>> {
  private static final long serialVersionUID = 1L;
  private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

  private final String lakeDir;
  private final @Nullable String metadataDir;
  private final @Nullable String runId;
  private final @Nullable LedgerRun ledger;
  // Like Wait.OnSignal: pipeline-construction-time references, never serialized.
  private final transient List<PCollection<?>> commitAfter;
  private final transient List<PCollection<RowBatch>> moreRows;

  private WriteHiveParquet(
      String lakeDir,
      @Nullable String metadataDir,
      @Nullable String runId,
      @Nullable LedgerRun ledger,
      List<PCollection<?>> commitAfter,
      List<PCollection<RowBatch>> moreRows) {
    this.lakeDir = lakeDir;
    this.metadataDir = metadataDir;
    this.runId = runId;
    this.ledger = ledger;
    this.commitAfter = commitAfter;
    this.moreRows = moreRows;
  }

  /** Writes form tables under {@code lakeDir}, which is created if missing. */
  public static WriteHiveParquet to(Path lakeDir) {
    checkArgumentNotNull(lakeDir, "lakeDir");
    return new WriteHiveParquet(normalize(lakeDir), null, null, null, List.of(), List.of());
  }

  /**
   * Writes form tables under {@code location}: a local path (as {@link #to(Path)}), or a folder on
   * any scheme registered with Beam's {@code FileSystems}, such as {@code s3://bucket/lake} (with
   * {@code beam-sdks-java-io-amazon-web-services2} on the classpath) or {@code gs://bucket/lake}.
   * See "Lakes on object stores" in the class documentation.
   */
  public static WriteHiveParquet to(String location) {
    checkArgumentNotNull(location, "location");
    return new WriteHiveParquet(normalize(location), null, null, null, List.of(), List.of());
  }

  /**
   * Where metadata tables go; default {@code <lakeDir>_metadata} beside the lake. Must not be
   * inside the lake (nor contain it).
   */
  public WriteHiveParquet withMetadataDir(Path metadataDir) {
    checkArgumentNotNull(metadataDir, "metadataDir");
    return new WriteHiveParquet(
        lakeDir, normalize(metadataDir), runId, ledger, commitAfter, moreRows);
  }

  /**
   * {@link #withMetadataDir(Path)} for a location that may be remote ({@code s3://bucket/meta}); it
   * must be on the same kind of file system as the lake (both local, or both remote).
   */
  public WriteHiveParquet withMetadataDir(String location) {
    checkArgumentNotNull(location, "metadataDir");
    return new WriteHiveParquet(lakeDir, normalize(location), runId, ledger, commitAfter, moreRows);
  }

  /**
   * Names this run's staging folder; default a fresh {@code yyyyMMdd'T'HHmmss'Z'-<uuid>} id.
   * Letters, digits, {@code .}, {@code _} and {@code -}, starting with a letter or digit, at most
   * 100.
   */
  public WriteHiveParquet withRunId(String runId) {
    checkArgumentNotNull(runId, "runId");
    if (!RUN_ID.matcher(runId).matches()) {
      throw new IllegalArgumentException(
          "runId must be 1..100 of [A-Za-z0-9._-] starting with a letter or digit, was " + runId);
    }
    return new WriteHiveParquet(lakeDir, metadataDir, runId, ledger, commitAfter, moreRows);
  }

  /**
   * Commits only after {@code signal} is complete; if computing it fails, nothing is committed and
   * the lake stays as it was. The export uses it so that a run with records that could not be
   * processed never publishes a lake missing them. Default: no gate.
   */
  public WriteHiveParquet withCommitAfter(PCollection<?> signal) {
    checkArgumentNotNull(signal, "signal");
    List<PCollection<?>> gates = new ArrayList<>(commitAfter);
    gates.add(signal);
    return new WriteHiveParquet(lakeDir, metadataDir, runId, ledger, List.copyOf(gates), moreRows);
  }

  /**
   * Writes the rows of {@code more} too, in the same run and commit, each collection staged by its
   * own step. Equivalent to writing the {@code Flatten} of all of them, without that union: on
   * Flink a union's inputs cannot be chained to the step after it, so every row batch would be
   * serialised and copied through a network channel (a quarter of a 1 M-record export's
   * allocations); staged file names are what is unioned instead.
   */
  public WriteHiveParquet withMoreRows(PCollection<RowBatch> more) {
    checkArgumentNotNull(more, "more");
    List<PCollection<RowBatch>> all = new ArrayList<>(moreRows);
    all.add(more);
    return new WriteHiveParquet(lakeDir, metadataDir, runId, ledger, commitAfter, List.copyOf(all));
  }

  /**
   * Records the run in the lake's ledger ({@link LakeLedger}) after the commit; with {@link
   * LedgerRun#merge()} a windowed study's rows are upserted into its partitions by {@code
   * record_id} (metadata: by id) instead of replacing them (an incremental export or a backfill).
   * Local lakes and lakes on object stores alike (there, the ledger is one object per run, written
   * after the last partition of the commit's plan, and the upsert's carried-over rows are one more
   * object of the plan: see {@link ObjectStoreLakeCommit}). Default: no ledger.
   */
  public WriteHiveParquet withLedger(LedgerRun run) {
    checkArgumentNotNull(run, "run");
    return new WriteHiveParquet(lakeDir, metadataDir, runId, run, commitAfter, moreRows);
  }

  @Override
  public PCollection<String> expand(PCollection<RowBatch> rows) {
    String run = runId != null ? runId : ledger != null ? ledger.runId() : newRunId();
    if (LakeLocation.isRemote(lakeDir)) {
      return expandRemote(rows, run);
    }
    if (metadataDir != null && LakeLocation.isRemote(metadataDir)) {
      throw new IllegalArgumentException(
          "withMetadataDir("
              + metadataDir
              + ") is remote but the lake "
              + lakeDir
              + " is local; put both on the same file system");
    }
    Path lake = Path.of(lakeDir);
    Path metadata =
        metadataDir != null
            ? Path.of(metadataDir)
            : lake.resolveSibling(lake.getFileName() + "_metadata");
    if (lake.getParent() == null || metadata.getParent() == null) {
      throw new IllegalArgumentException(
          "The lake and metadata folders must not be a file-system root: " + lake);
    }
    if (metadata.startsWith(lake) || lake.startsWith(metadata)) {
      throw new IllegalArgumentException(
          "withMetadataDir("
              + metadata
              + ") must be outside the lake "
              + lake
              + " (and not contain it), or metadata rows would be read as form rows");
    }
    Path lakeRun = stagingRoot(lake).resolve(run);
    Path metadataRun = stagingRoot(metadata).resolve(run);

    return stageAndCommit(
        rows,
        lake.toString(),
        lakeRun.toString(),
        lakeRun.resolve("files").toString(),
        metadata.toString(),
        metadataRun.toString(),
        metadataRun.resolve("files").toString(),
        run);
  }

  private PCollection<String> expandRemote(PCollection<RowBatch> rows, String run) {
    String lake = lakeDir;
    String metadata = metadataDir != null ? metadataDir : lake + "_metadata";
    if (!LakeLocation.isRemote(metadata)) {
      throw new IllegalArgumentException(
          "withMetadataDir("
              + metadata
              + ") is local but the lake "
              + lake
              + " is remote; put both on the same file system");
    }
    if (LakeLocation.nested(lake, metadata)) {
      throw new IllegalArgumentException(
          "withMetadataDir("
              + metadata
              + ") must be outside the lake "
              + lake
              + " (and not contain it), or metadata rows would be read as form rows");
    }
    for (String folder : new String[] {lake, metadata}) {
      try {
        FileSystems.matchNewResource(folder, true);
      } catch (IllegalArgumentException e) {
        String scheme = folder.substring(0, folder.indexOf(':'));
        throw new IllegalArgumentException(
            "No Beam FileSystem for "
                + scheme
                + ":// is registered (for "
                + folder
                + "): s3:// needs beam-sdks-java-io-amazon-web-services2 on the classpath,"
                + " gs:// beam-sdks-java-extensions-google-cloud-platform-core, hdfs://"
                + " beam-sdks-java-io-hadoop-file-system",
            e);
      }
    }
    String lakeRun = LakeLocation.stagingRoot(lake) + "/" + run;
    String metadataRun = LakeLocation.stagingRoot(metadata) + "/" + run;
    return stageAndCommit(
        rows,
        lake,
        lakeRun,
        lakeRun + "/files",
        metadata,
        metadataRun,
        metadataRun + "/files",
        run);
  }

  private PCollection<String> stageAndCommit(
      PCollection<RowBatch> rows,
      String lake,
      String lakeRun,
      String lakeFiles,
      String metadata,
      String metadataRun,
      String metadataFiles,
      String run) {
    WriteStagedParquetFn stage = new WriteStagedParquetFn(lakeFiles, metadataFiles);
    PCollectionList<StagedFile> stagedParts =
        PCollectionList.of(
            rows.apply("StageParquet", ParDo.of(stage))
                .setCoder(SerializableCoder.of(StagedFile.class)));
    for (int i = 0; i < moreRows.size(); i++) {
      stagedParts =
          stagedParts.and(
              moreRows
                  .get(i)
                  .apply("StageParquet" + (i + 2), ParDo.of(stage))
                  .setCoder(SerializableCoder.of(StagedFile.class)));
    }
    PCollection<StagedFile> staged =
        stagedParts.size() == 1
            ? stagedParts.get(0)
            : stagedParts.apply("AllStagedFiles", Flatten.pCollections());
    PCollection<KV<Integer, Iterable<StagedFile>>> collected =
        staged.apply("CollectStagedFiles", CollectStagedFiles.create());
    if (!commitAfter.isEmpty()) {
      collected = collected.apply("WaitForCommitGate", Wait.on(commitAfter));
    }
    List<PCollectionView<Map<String, Long>>> marks = new ArrayList<>();
    if (ledger != null && LakeLocation.isRemote(lake)) {
      // The staged objects of a remote lake are not read back for the ledger's high-water marks:
      // each staged collection's marks come along as a small side input instead.
      marks.add(rows.apply("HighWaterMarks", HighWaterMarks.create()));
      for (int i = 0; i < moreRows.size(); i++) {
        marks.add(moreRows.get(i).apply("HighWaterMarks" + (i + 2), HighWaterMarks.create()));
      }
    }
    return collected
        .apply(
            "Commit",
            ParDo.of(new CommitLakeFn(lake, lakeRun, metadata, metadataRun, run, ledger, marks))
                .withSideInputs(marks))
        .setCoder(StringUtf8Coder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("lakeDir", lakeDir))
        .addIfNotNull(DisplayData.item("metadataDir", metadataDir))
        .addIfNotNull(DisplayData.item("runId", runId))
        .addIfNotNull(DisplayData.item("ledgerRun", ledger == null ? null : ledger.toString()));
  }

  /**
   * Whether {@code location} names a remote folder ({@code scheme://…} other than {@code file:}),
   * which {@link #to(String)} writes through Beam's FileSystems rather than as local files.
   */
  public static boolean isRemote(String location) {
    return LakeLocation.isRemote(location);
  }

  /** The folder holding staging runs for {@code dir}: {@code .<name>.staging} beside it. */
  static Path stagingRoot(Path dir) {
    return dir.resolveSibling("." + dir.getFileName() + ".staging");
  }

  private static String normalize(Path dir) {
    return dir.toAbsolutePath().normalize().toString();
  }

  private static String normalize(String location) {
    return LakeLocation.isRemote(location)
        ? LakeLocation.remoteFolder(location)
        : normalize(LakeLocation.localPath(location));
  }

  private static String newRunId() {
    return DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .format(ZonedDateTime.now(ZoneOffset.UTC))
        + "-"
        + UUID.randomUUID();
  }
}
