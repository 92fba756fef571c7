package org.imednet.export.sinks.snowflake;

import static org.imednet.export.sinks.snowflake.Fixtures.batch;
import static org.imednet.export.sinks.snowflake.Fixtures.form;
import static org.imednet.export.sinks.snowflake.Fixtures.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.imednet.export.metrics.ExportMetrics;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.RowBatchCoder;
import org.imednet.export.rows.TableSchema;
import org.imednet.export.testdata.snowflake.SnowflakeFaults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transform on the DirectRunner against the Snowflake emulator. */
class LoadIntoSnowflakeTest {
  @TempDir Path tmp;

  private final TableSchema demog = form("S1", "DEMOG");
  private final TableSchema ae = form("S1", "AE", "term");

  private List<RowBatch> input(long age1) {
    return List.of(
        batch(demog, row("S1", "DEMOG", 1, age1, 70.5, 1), row("S1", "DEMOG", 2, 40L, null, 2)),
        batch(demog, row("S1", "DEMOG", 3, 50L, 1.0, 3)),
        batch(ae, row("S1", "AE", 10, null, null, 1, "headache")),
        RowBatch.of(Fixtures.sites("S1"), List.<Object[]>of(new Object[] {"S1", 1L, "Site A"})));
  }

  /**
   * Runs the load and returns, per table key and status, the summed row counts of the batches it
   * loaded (bundles decide how rows are cut into batches, so only sums are deterministic).
   */
  private Map<String, Long> run(List<RowBatch> rows, LoadIntoSnowflake load) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    p.apply(Create.of(rows).withCoder(RowBatchCoder.of())).apply(load);
    Path manifest = tmp.resolve("manifest.jsonl");
    int before = new LoadManifest(manifest).read().size();
    lastResult = p.run();
    lastResult.waitUntilFinish();
    Map<String, Long> sums = new TreeMap<>();
    List<LoadResult> entries = new LoadManifest(manifest).read();
    for (LoadResult r : entries.subList(before, entries.size())) {
      sums.merge(r.tableKey() + " " + r.status(), r.rowCount(), Long::sum);
    }
    return sums;
  }

  private PipelineResult lastResult;

  private LoadIntoSnowflake load(EmulatedSnowflake sf) {
    return LoadIntoSnowflake.to(sf.settings)
        .withManifestPath(tmp.resolve("manifest.jsonl"))
        .withRetryBackoff(Duration.ZERO)
        .withSleeper(d -> {})
        .withBatchSize(2);
  }

  @Test
  void loadsEveryTableExactlyOnceAndCountsRows() throws Exception {
    try (EmulatedSnowflake sf =
        EmulatedSnowflake.start(tmp.resolve("emu"), SnowflakeFaults.none())) {
      assertEquals(
          Map.of("DEMOG LOADED", 3L, "AE LOADED", 1L, "sites LOADED", 1L),
          run(input(30L), load(sf).withBatchSize(1000)));
      assertEquals(Map.of("DEMOG", 3L, "AE", 1L, "sites", 1L), rowsLoaded(lastResult));
      assertEquals(
          List.of("1|30", "2|40", "3|50"),
          sf.rows("SELECT RECORD_ID, AGE FROM TESTDB.RAW.S1_DEMOG ORDER BY 1"));
      assertEquals(List.of("10|headache"), sf.rows("SELECT RECORD_ID, TERM FROM TESTDB.RAW.S1_AE"));
      assertEquals(List.of("S1|1|Site A"), sf.rows("SELECT * FROM TESTDB.RAW.S1_META_SITES"));

      // Changed values for record 1, and a new record: replaced and added, never duplicated.
      List<RowBatch> changed = new java.util.ArrayList<>(input(31L));
      changed.add(batch(demog, row("S1", "DEMOG", 4, 60L, null, 4)));
      Map<String, Long> second = run(changed, load(sf).withBatchSize(1000));
      assertEquals(0L, second.get("AE ALREADY_LOADED"));
      assertEquals(0L, second.get("sites ALREADY_LOADED"));
      assertEquals(null, second.get("AE LOADED"));
      assertEquals(
          List.of("1|31", "2|40", "3|50", "4|60"),
          sf.rows("SELECT RECORD_ID, AGE FROM TESTDB.RAW.S1_DEMOG ORDER BY 1"));
    }
  }

  @Test
  void singleTableHoldsEveryForm() throws Exception {
    try (EmulatedSnowflake sf =
        EmulatedSnowflake.start(tmp.resolve("emu"), SnowflakeFaults.none())) {
      assertEquals(
          Map.of("* LOADED", 4L),
          mergeKeys(
              run(
                  input(30L).subList(0, 3),
                  load(sf).withBatchSize(1000).withSingleTable("RECORDS"))));
      assertEquals(
          List.of("DEMOG|1|null", "DEMOG|2|null", "DEMOG|3|null", "AE|10|headache"),
          sf.rows("SELECT FORM_KEY, RECORD_ID, TERM FROM TESTDB.RAW.RECORDS ORDER BY 2, 1"));
    }
  }

  @Test
  void aPermanentFailureFailsThePipelineWithTheBatchId() throws Exception {
    try (EmulatedSnowflake sf =
        EmulatedSnowflake.start(
            tmp.resolve("emu"), SnowflakeFaults.none().failCopy(1).times(1000))) {
      Pipeline p =
          Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
      p.apply(
              Create.of(List.of(batch(demog, row("S1", "DEMOG", 1, 30L, 70.5, 1))))
                  .withCoder(RowBatchCoder.of()))
          .apply(load(sf).withMaxRetries(1));
      Throwable t = assertThrows(Throwable.class, () -> p.run().waitUntilFinish());
      while (t != null && !(t instanceof ExportBatchError)) {
        t = t.getCause();
      }
      assertTrue(t instanceof ExportBatchError);
      assertTrue(((ExportBatchError) t).batchId().startsWith("S1/S1_DEMOG/"));
      assertEquals(2, ((ExportBatchError) t).attempts());
    }
  }

  @Test
  void thePasswordAppearsNowhere() throws Exception {
    StringWriter logs = new StringWriter();
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    WriterAppender appender =
        WriterAppender.newBuilder()
            .setName("capture-" + System.nanoTime())
            .setTarget(logs)
            .setLayout(PatternLayout.newBuilder().withPattern("%p %c %m %ex%n").build())
            .build();
    appender.start();
    ctx.getConfiguration().addAppender(appender);
    ctx.getRootLogger().addAppender(appender);
    Level before = ctx.getRootLogger().getLevel();
    Configurator.setRootLevel(Level.DEBUG);
    String failure;
    try (EmulatedSnowflake sf =
        EmulatedSnowflake.start(
            tmp.resolve("emu"), SnowflakeFaults.none().failCopy(2).times(1000))) {
      LoadIntoSnowflake transform = load(sf).withMaxRetries(2);
      String display = DisplayData.from(transform).toString();
      assertTrue(display.contains("TESTDB"), display);
      assertFalse(display.contains(EmulatedSnowflake.PASSWORD), display);
      assertFalse(
          SerializableCoder.of(SnowflakeSettings.class)
              .toString()
              .contains(EmulatedSnowflake.PASSWORD));

      Pipeline p =
          Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
      p.apply(Create.of(input(30L)).withCoder(RowBatchCoder.of())).apply(transform);
      Throwable t = assertThrows(Throwable.class, () -> p.run().waitUntilFinish());
      StringWriter trace = new StringWriter();
      t.printStackTrace(new java.io.PrintWriter(trace));
      failure = trace.toString();
      assertTrue(failure.contains("ExportBatchError"), failure);
    } finally {
      ctx.getRootLogger().removeAppender(appender);
      Configurator.setRootLevel(before);
      appender.stop();
    }
    String manifest = Files.readString(tmp.resolve("manifest.jsonl"));
    assertTrue(manifest.contains("\"status\":\"FAILED\""), manifest);
    assertTrue(logs.toString().contains("retrying"), logs.toString());
    for (String text : List.of(logs.toString(), failure, manifest)) {
      assertFalse(text.contains(EmulatedSnowflake.PASSWORD), text);
    }
  }

  /** A batch of one form only is labelled with that form; in single-table mode count them as *. */
  private static Map<String, Long> mergeKeys(Map<String, Long> sums) {
    Map<String, Long> out = new TreeMap<>();
    sums.forEach((k, v) -> out.merge("* " + k.substring(k.indexOf(' ') + 1), v, Long::sum));
    return out;
  }

  private static Map<String, Long> rowsLoaded(PipelineResult result) {
    Map<String, Long> out = new TreeMap<>();
    for (MetricResult<Long> c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.inNamespace(ExportMetrics.NAMESPACE))
                    .build())
            .getCounters()) {
      ExportMetrics.Key key = ExportMetrics.parse(c.getName().getName());
      if (key != null && key.metric == ExportMetrics.Metric.ROWS_LOADED_SNOWFLAKE) {
        out.put(key.formKey, c.getAttempted());
      }
    }
    return out;
  }
}
