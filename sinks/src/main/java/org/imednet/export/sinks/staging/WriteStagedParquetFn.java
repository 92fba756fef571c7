package org.imednet.export.sinks.staging;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import javax.annotation.Nullable;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.TableSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each bundle's batches straight into staging Parquet files, one file per table seen in the
 * bundle, and emits a {@link StagedFile} for each file once it is closed.
 *
 * <p>The Parquet encoding runs on a writer thread of its own (one per DoFn instance), so that the
 * steps fused before this one (fetching pages, flattening records) go on with the next batch while
 * this one is encoded: on Flink the whole chain otherwise runs on one thread, and a 1 M-record
 * export spent about half of that thread's time here. At most {@link #MAX_QUEUED_BATCHES} batches
 * wait for the writer; each table's batches are written in the order they arrived. A failure of the
 * writer fails the bundle at the next batch or at its end, and the bundle's files are never
 * emitted.
 *
 * <p>A directory may be a remote folder ({@code s3://bucket/…}, any {@link
 * org.apache.beam.sdk.io.FileSystems} scheme): the file is then written to a local temporary folder
 * and, once closed, uploaded as one object through {@code FileSystems} and deleted locally, so a
 * worker buffers no more than for local files, and an object exists only for a finished file.
 *
 * <p>Memory is bounded by the number of open writers ({@link #MAX_OPEN_WRITERS}, each buffering at
 * most one row group) and the queued batches, never by the amount of data. When a bundle touches
 * more tables than that, the least recently used file is closed and emitted, and a later batch of
 * that table starts a new file. A bundle that fails leaves its files under the staging directory,
 * unreferenced; the commit step acts only on emitted files.
 */
public final class WriteStagedParquetFn extends DoFn<RowBatch, StagedFile> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(WriteStagedParquetFn.class);

  /** Open files per bundle; with 16 MiB row groups this caps buffered data near 256 MiB. */
  public static final int MAX_OPEN_WRITERS = 16;

  /** Batches handed to the writer thread and not yet written. */
  public static final int MAX_QUEUED_BATCHES = 4;

  private final String formDir;
  private final String metadataDir;

  // Touched only by the writer thread while a bundle runs, and by the bundle's thread once every
  // queued write is done (the permits order the two).
  private transient LinkedHashMap<TableSchema, ParquetBatchFile> open;
  private transient ExecutorService writer;
  private transient Semaphore queued;
  // Files the writer closed to make room, for the bundle's thread to emit.
  private transient ConcurrentLinkedQueue<StagedFile> evicted;
  private transient AtomicReference<Throwable> failure;
  // Where files for remote directories are written before their upload; null if none is remote.
  private transient @Nullable Path localStaging;
  // This job's options, for FileSystems before each upload (see RemoteFiles#useOptions).
  private transient @Nullable PipelineOptions options;

  /**
   * @param formDir directory for files of {@link TableSchema.Kind#FORM} tables
   * @param metadataDir directory for files of {@link TableSchema.Kind#METADATA} tables
   */
  public WriteStagedParquetFn(String formDir, String metadataDir) {
    this.formDir = formDir;
    this.metadataDir = metadataDir;
  }

  @Setup
  public void setup() throws IOException {
    if (RemoteFiles.isRemote(formDir) || RemoteFiles.isRemote(metadataDir)) {
      localStaging = Files.createTempDirectory("imednet-staging-");
    }
    writer =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "imednet-parquet-writer");
              t.setDaemon(true);
              return t;
            });
    queued = new Semaphore(MAX_QUEUED_BATCHES);
    evicted = new ConcurrentLinkedQueue<>();
    failure = new AtomicReference<>();
  }

  @StartBundle
  public void startBundle(StartBundleContext context) throws InterruptedException {
    options = context.getPipelineOptions();
    awaitWrites();
    closeQuietly();
    evicted.clear();
    failure.set(null);
    open = new LinkedHashMap<>(16, 0.75f, true);
  }

  @ProcessElement
  public void processElement(@Element RowBatch batch, OutputReceiver<StagedFile> out)
      throws IOException, InterruptedException {
    rethrowFailure();
    queued.acquire();
    try {
      writer.execute(
          () -> {
            try {
              if (failure.get() == null) {
                write(batch);
              }
            } catch (IOException | RuntimeException | Error e) {
              failure.compareAndSet(null, e);
            } finally {
              queued.release();
            }
          });
    } catch (RejectedExecutionException e) {
      queued.release();
      throw new IOException("The Parquet writer thread is gone", e);
    }
    StagedFile file;
    while ((file = evicted.poll()) != null) {
      out.output(file);
    }
  }

  /** On the writer thread: appends a batch to its table's file, opening one if needed. */
  private void write(RowBatch batch) throws IOException {
    TableSchema schema = batch.schema();
    ParquetBatchFile file = open.get(schema);
    if (file == null) {
      if (open.size() >= MAX_OPEN_WRITERS) {
        Iterator<Map.Entry<TableSchema, ParquetBatchFile>> eldest = open.entrySet().iterator();
        ParquetBatchFile oldest = eldest.next().getValue();
        eldest.remove();
        evicted.add(close(oldest));
      }
      String target = schema.kind() == TableSchema.Kind.FORM ? formDir : metadataDir;
      Path dir = RemoteFiles.isRemote(target) ? localStaging : Paths.get(target);
      Files.createDirectories(dir);
      file = ParquetBatchFile.create(dir.resolve(UUID.randomUUID() + ".parquet"), schema);
      open.put(schema, file);
    }
    file.write(batch);
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext context) throws IOException, InterruptedException {
    awaitWrites();
    rethrowFailure();
    List<StagedFile> files = new ArrayList<>(evicted);
    evicted.clear();
    List<ParquetBatchFile> remaining = new ArrayList<>(open.values());
    open.clear();
    for (ParquetBatchFile file : remaining) {
      files.add(close(file));
    }
    for (StagedFile file : files) {
      context.output(file, GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
    }
  }

  @Teardown
  public void teardown() throws InterruptedException {
    if (writer == null) {
      return;
    }
    awaitWrites();
    writer.shutdownNow();
    closeQuietly();
    if (localStaging != null) {
      // Only files of failed bundles are left here; they were never uploaded.
      try (java.util.stream.Stream<Path> left = Files.list(localStaging)) {
        for (Path f : (Iterable<Path>) left::iterator) {
          Files.deleteIfExists(f);
        }
        Files.deleteIfExists(localStaging);
      } catch (IOException e) {
        LOG.warn("Could not remove local staging folder {}: {}", localStaging, e.toString());
      }
    }
  }

  /** Waits until the writer thread has written (or given up on) every queued batch. */
  private void awaitWrites() throws InterruptedException {
    queued.acquire(MAX_QUEUED_BATCHES);
    queued.release(MAX_QUEUED_BATCHES);
  }

  private void rethrowFailure() throws IOException {
    Throwable t = failure.get();
    if (t == null) {
      return;
    }
    if (t instanceof IOException) {
      throw new IOException(t.getMessage(), t);
    }
    if (t instanceof Error) {
      throw new IOException("The Parquet writer thread failed: " + t, t);
    }
    throw new IOException("Writing a staging Parquet file failed: " + t.getMessage(), t);
  }

  private StagedFile close(ParquetBatchFile file) throws IOException {
    file.close();
    TableSchema schema = file.schema();
    String dir = schema.kind() == TableSchema.Kind.FORM ? formDir : metadataDir;
    String path = file.path().toAbsolutePath().toString();
    if (RemoteFiles.isRemote(dir)) {
      path = dir + "/" + file.path().getFileName();
      if (options != null) {
        RemoteFiles.useOptions(options);
      }
      RemoteFiles.upload(file.path(), path);
      Files.delete(file.path());
    }
    return new StagedFile(
        schema.kind(), schema.studyKey(), schema.tableKey(), path, file.rowCount());
  }

  /** Releases the writers a failed bundle left open; their files are never emitted. */
  private void closeQuietly() {
    if (open == null) {
      return;
    }
    for (ParquetBatchFile file : open.values()) {
      try {
        file.close();
      } catch (IOException | RuntimeException e) {
        // The bundle already failed with its own error; this file is abandoned either way.
        LOG.warn("Could not close abandoned staging file {}: {}", file.path(), e.toString());
      }
    }
    open.clear();
  }
}
