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
 * <p>Memory is bounded by the number of open writers ({@link #MAX_OPEN_WRITERS}, each buffering at
 * most one row group), never by the amount of data: no rows are grouped or held. When a bundle
 * touches more tables than that, the least recently used file is closed and emitted, and a later
 * batch of that table starts a new file. A bundle that fails leaves its files under the staging
 * directory, unreferenced; the commit step acts only on emitted files.
 */
public final class WriteStagedParquetFn extends DoFn<RowBatch, StagedFile> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(WriteStagedParquetFn.class);

  /** Open files per bundle; with 16 MiB row groups this caps buffered data near 256 MiB. */
  public static final int MAX_OPEN_WRITERS = 16;

  private final String formDir;
  private final String metadataDir;
  private transient LinkedHashMap<TableSchema, ParquetBatchFile> open;

  /**
   * @param formDir directory for files of {@link TableSchema.Kind#FORM} tables
   * @param metadataDir directory for files of {@link TableSchema.Kind#METADATA} tables
   */
  public WriteStagedParquetFn(String formDir, String metadataDir) {
    this.formDir = formDir;
    this.metadataDir = metadataDir;
  }

  @StartBundle
  public void startBundle() {
    closeQuietly();
    open = new LinkedHashMap<>(16, 0.75f, true);
  }

  @ProcessElement
  public void processElement(@Element RowBatch batch, OutputReceiver<StagedFile> out)
      throws IOException {
    TableSchema schema = batch.schema();
    ParquetBatchFile file = open.get(schema);
    if (file == null) {
      if (open.size() >= MAX_OPEN_WRITERS) {
        Iterator<Map.Entry<TableSchema, ParquetBatchFile>> eldest = open.entrySet().iterator();
        ParquetBatchFile evicted = eldest.next().getValue();
        eldest.remove();
        out.output(close(evicted));
      }
      Path dir = Paths.get(schema.kind() == TableSchema.Kind.FORM ? formDir : metadataDir);
      Files.createDirectories(dir);
      file = ParquetBatchFile.create(dir.resolve(UUID.randomUUID() + ".parquet"), schema);
      open.put(schema, file);
    }
    file.write(batch);
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext context) throws IOException {
    List<ParquetBatchFile> files = new ArrayList<>(open.values());
    open.clear();
    for (ParquetBatchFile file : files) {
      context.output(close(file), GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
    }
  }

  @Teardown
  public void teardown() {
    closeQuietly();
  }

  private static StagedFile close(ParquetBatchFile file) throws IOException {
    file.close();
    TableSchema schema = file.schema();
    return new StagedFile(
        schema.kind(),
        schema.studyKey(),
        schema.tableKey(),
        file.path().toAbsolutePath().toString(),
        file.rowCount());
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
