package org.imednet.export.sinks.ledger;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Max;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.imednet.export.read.ReadStudyMetadataTables;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.RowBatchColumns;
import org.imednet.export.rows.TableSchema;

/**
 * The latest {@code date_modified} of the form rows of each study, as a map view (study key to
 * microseconds since the epoch, UTC) for a ledger step: the high-water mark a target reaches with
 * this run's rows; and under {@link #tableKey(String, String)} the marks of the windowed metadata
 * tables ({@code date_modified} of subjects and visits, {@code date_created} of record revisions).
 * Studies without such a row are absent. Reads one column of each batch in place.
 */
public final class HighWaterMarks
    extends PTransform<PCollection<RowBatch>, PCollectionView<Map<String, Long>>> {
  private static final long serialVersionUID = 1L;

  private HighWaterMarks() {}

  public static HighWaterMarks create() {
    return new HighWaterMarks();
  }

  /** The view's key of windowed metadata table {@code table} of {@code study}. */
  public static String tableKey(String study, String table) {
    return study + "\u0001" + table;
  }

  /** A view value back as UTC wall-clock time; null stays null. */
  public static @Nullable LocalDateTime toTime(@Nullable Long epochMicros) {
    if (epochMicros == null) {
      return null;
    }
    return LocalDateTime.ofEpochSecond(
        Math.floorDiv(epochMicros, 1_000_000L),
        (int) Math.floorMod(epochMicros, 1_000_000L) * 1000,
        ZoneOffset.UTC);
  }

  @Override
  public PCollectionView<Map<String, Long>> expand(PCollection<RowBatch> rows) {
    return rows.apply("BatchMaxDateModified", ParDo.of(new BatchMaxFn()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
        .apply("StudyMaxDateModified", Max.longsPerKey())
        .apply("AsMap", View.asMap());
  }

  static final class BatchMaxFn extends DoFn<RowBatch, KV<String, Long>> {
    private static final long serialVersionUID = 1L;

    @ProcessElement
    public void process(@Element RowBatch batch, OutputReceiver<KV<String, Long>> out) {
      TableSchema schema = batch.schema();
      if (batch.size() == 0) {
        return;
      }
      String name;
      String key;
      if (schema.kind() == TableSchema.Kind.FORM) {
        name = "date_modified";
        key = schema.studyKey();
      } else {
        name = ReadStudyMetadataTables.windowColumn(schema.tableKey());
        if (name == null) {
          return;
        }
        key = tableKey(schema.studyKey(), schema.tableKey());
      }
      int column = schema.indexOf(name);
      if (column < 0 || schema.columns().get(column).type() != ColumnType.TIMESTAMP) {
        return;
      }
      RowBatchColumns values = batch.columns();
      long max = Long.MIN_VALUE;
      for (int r = 0; r < values.rowCount(); r++) {
        if (!values.isNull(column, r)) {
          max = Math.max(max, values.getEpochMicros(column, r));
        }
      }
      if (max != Long.MIN_VALUE) {
        out.output(KV.of(key, max));
      }
    }
  }
}
