package org.imednet.export.sinks.parquet;

import static org.imednet.export.sinks.staging.TestTables.formBatch;
import static org.imednet.export.sinks.staging.TestTables.metadataBatch;
import static org.imednet.export.sinks.staging.TestTables.query;
import static org.imednet.export.sinks.staging.TestTables.sqlString;
import static org.imednet.export.sinks.staging.TestTables.tree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.RowBatchCoder;
import org.imednet.export.rows.TableSchema;
import org.imednet.export.sinks.ledger.LedgerEntry;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.ledger.LockHolder;
import org.imednet.export.sinks.ledger.TargetLockedException;
import org.imednet.export.sinks.staging.LocalS3;
import org.imednet.export.sinks.staging.ParquetBatchFile;
import org.imednet.export.sinks.staging.RemoteFiles;
import org.imednet.export.sinks.staging.StagedFile;
import org.imednet.export.sinks.staging.TestTables.FailOnTable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lake on S3 (an in-process S3Proxy on 127.0.0.1): written through Beam's FileSystems, copied
 * back to a local folder and read with DuckDB, it holds exactly the rows of the same export to a
 * local folder; a re-run replaces; a failed run or an interrupted commit never loses the previous
 * lake, and the next commit finishes an interrupted one.
 */
class S3LakeTest {
  private static final String COUNTS =
      "SELECT study_key, form_key, count(*) FROM read_parquet(%s, hive_partitioning = true,"
          + " union_by_name = true) GROUP BY ALL ORDER BY ALL";
  private static final String ROWS =
      "SELECT * EXCLUDE (study_key, form_key), study_key, form_key FROM read_parquet(%s,"
          + " hive_partitioning = true, union_by_name = true) ORDER BY ALL";

  private static LocalS3 s3;
  private static PipelineOptions options;
  private static int buckets;

  private String bucket;
  @TempDir Path dir;

  @BeforeAll
  static void startS3() throws Exception {
    s3 = LocalS3.start();
    options = s3.options();
  }

  @AfterAll
  static void stopS3() throws Exception {
    s3.close();
  }

  @BeforeEach
  void newBucket() {
    // A bucket per test, so that each test sees only its own objects.
    bucket = "lake-" + (++buckets);
    s3.createBucket(bucket);
    FileSystems.setDefaultPipelineOptions(options);
  }

  private PipelineResult write(String lake, List<RowBatch> batches, String runId) {
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of(batches).withCoder(RowBatchCoder.of()))
        .apply(WriteHiveParquet.to(lake).withRunId(runId));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    return result;
  }

  /** Copies the bucket to a fresh local folder and returns it. */
  private Path sync() throws IOException {
    Path copy = Files.createTempDirectory(dir, "sync");
    RemoteFiles.download("s3://" + bucket, copy);
    return copy;
  }

  private static List<String> counts(Path lake) {
    return query(String.format(COUNTS, sqlString(lake + "/**/*.parquet")));
  }

  private static List<RowBatch> nastyBatches() {
    List<String> forms = List.of("AE LOG", "a/b", "../x", "a=b", "é", "..", "", "50%");
    List<RowBatch> batches = new ArrayList<>();
    for (int i = 0; i < forms.size(); i++) {
      batches.add(formBatch("001", forms.get(i), 100 * i, i + 1));
    }
    batches.add(formBatch("../S", "F", 1, 2));
    batches.add(formBatch("001", "AE LOG", 900, 3));
    batches.add(metadataBatch("001", "columns", 4));
    batches.add(metadataBatch("../S", "columns", 1));
    batches.add(metadataBatch("001", "forms", 2));
    return batches;
  }

  @Test
  void s3LakeHoldsExactlyTheRowsOfTheLocalExport() throws Exception {
    Path local = dir.resolve("local").resolve("lake");
    write(local.toString(), nastyBatches(), "local1");
    write("s3://" + bucket + "/exports/lake/", nastyBatches(), "s3run1");

    // Only the lake and its metadata: staging objects are gone, names carry the run id.
    List<String> keys = s3.keys(bucket);
    assertEquals(
        List.of(
            "exports/lake/study_key=..%2FS/form_key=F/part-00000-s3run1.parquet",
            "exports/lake/study_key=001/form_key=..%2Fx/part-00000-s3run1.parquet",
            "exports/lake/study_key=001/form_key=../part-00000-s3run1.parquet",
            "exports/lake/study_key=001/form_key=/part-00000-s3run1.parquet",
            "exports/lake/study_key=001/form_key=50%25/part-00000-s3run1.parquet",
            "exports/lake/study_key=001/form_key=AE LOG/part-00000-s3run1.parquet",
            "exports/lake/study_key=001/form_key=AE LOG/part-00001-s3run1.parquet",
            "exports/lake/study_key=001/form_key=a%2Fb/part-00000-s3run1.parquet",
            "exports/lake/study_key=001/form_key=a%3Db/part-00000-s3run1.parquet",
            "exports/lake/study_key=001/form_key=é/part-00000-s3run1.parquet",
            "exports/lake_metadata/columns/study_key=..%2FS/part-00000-s3run1.parquet",
            "exports/lake_metadata/columns/study_key=001/part-00000-s3run1.parquet",
            "exports/lake_metadata/forms/study_key=001/part-00000-s3run1.parquet"),
        keys);

    Path copy = sync().resolve("exports");
    List<String> expectedCounts =
        List.of(
            "../S|F|2",
            "001||7",
            "001|..|6",
            "001|../x|3",
            "001|50%|8",
            "001|AE LOG|4",
            "001|a/b|2",
            "001|a=b|4",
            "001|é|5");
    assertEquals(expectedCounts, counts(local));
    assertEquals(expectedCounts, counts(copy.resolve("lake")));
    List<String> localRows = query(String.format(ROWS, sqlString(local + "/**/*.parquet")));
    assertEquals(41, localRows.size());
    assertEquals(
        localRows, query(String.format(ROWS, sqlString(copy.resolve("lake") + "/**/*.parquet"))));
    for (String table : List.of("columns", "forms")) {
      Path localTable = local.resolveSibling("lake_metadata").resolve(table);
      Path s3Table = copy.resolve("lake_metadata").resolve(table);
      List<String> rows =
          query("SELECT * FROM (" + HiveParquet.query(localTable) + ") ORDER BY ALL");
      assertEquals(table.equals("columns") ? 5 : 2, rows.size());
      assertEquals(rows, query("SELECT * FROM (" + HiveParquet.query(s3Table) + ") ORDER BY ALL"));
    }
  }

  @Test
  void reRunReplacesExportedFormsKeepsTheOthersAndDuplicatesNothing() throws Exception {
    String lake = "s3://" + bucket + "/lake";
    write(
        lake,
        List.of(formBatch("S", "A", 1, 3), formBatch("S", "B", 1, 2), formBatch("T", "A", 1, 1)),
        "run1");
    assertEquals(List.of("S|A|3", "S|B|2", "T|A|1"), counts(sync().resolve("lake")));

    write(lake, List.of(formBatch("S", "A", 10, 4), formBatch("S", "A", 20, 1)), "run2");
    write(lake, List.of(formBatch("S", "A", 10, 4), formBatch("S", "A", 20, 1)), "run3");
    Path copy = sync().resolve("lake");
    assertEquals(List.of("S|A|5", "S|B|2", "T|A|1"), counts(copy));
    assertEquals(
        List.of("10", "11", "12", "13", "20"),
        query(
            "SELECT record_id FROM read_parquet("
                + sqlString(copy + "/study_key=S/form_key=A/*.parquet")
                + ") ORDER BY 1"));
    assertEquals(
        List.of(
            "study_key=S/form_key=A/part-00000-run3.parquet",
            "study_key=S/form_key=A/part-00001-run3.parquet",
            "study_key=S/form_key=B/part-00000-run1.parquet",
            "study_key=T/form_key=A/part-00000-run1.parquet"),
        tree(copy));
  }

  @Test
  void failedRunLeavesThePreviousLakeObjectsAsTheyWere() throws Exception {
    String lake = "s3://" + bucket + "/lake";
    write(lake, List.of(formBatch("S", "A", 1, 3), metadataBatch("S", "forms", 2)), "run1");
    List<String> before = s3.keys(bucket);
    List<String> rowsBefore = counts(sync().resolve("lake"));

    Pipeline p = Pipeline.create(options);
    PCollection<RowBatch> rows =
        p.apply(
                Create.of(
                        formBatch("S", "A", 10, 5),
                        metadataBatch("S", "forms", 9),
                        formBatch("S", "BOOM", 1, 1))
                    .withCoder(RowBatchCoder.of()))
            .apply("FailOnBoom", MapElements.via(new FailOnTable("BOOM")));
    rows.apply(WriteHiveParquet.to(lake).withRunId("failed"));
    Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    assertTrue(String.valueOf(e.getMessage()).contains("injected failure"), e.toString());

    List<String> after = s3.keys(bucket);
    assertEquals(
        before, after.stream().filter(k -> !k.startsWith(".")).collect(Collectors.toList()));
    for (String k : after) {
      assertTrue(k.startsWith("lake") || k.startsWith(".lake.staging/failed/files/"), k);
    }
    assertEquals(List.of("S|A|3"), rowsBefore);
    // Read back the objects listed above by name rather than by a new listing: the failed
    // pipeline's DirectRunner threads may still be writing staging objects, and S3Proxy's
    // in-memory store has answered a listing racing such a write with not-found.
    assertEquals(rowsBefore, counts(copyObjects(before).resolve("lake")));
  }

  /** Copies the objects {@code keys} of the bucket to a fresh local folder, by name. */
  private Path copyObjects(List<String> keys) throws IOException {
    Path copy = Files.createTempDirectory(dir, "objects");
    for (String key : keys) {
      Path target = copy.resolve(key);
      Files.createDirectories(target.getParent());
      try (java.io.InputStream in =
          java.nio.channels.Channels.newInputStream(
              FileSystems.open(
                  FileSystems.matchNewResource("s3://" + bucket + "/" + key, false)))) {
        Files.copy(in, target);
      }
    }
    return copy;
  }

  @Test
  void interruptedCommitShowsAtMostOnePartitionDoubledAndTheNextCommitFinishesIt()
      throws Exception {
    String lake = "s3://" + bucket + "/lake";
    write(
        lake,
        List.of(formBatch("S", "A", 1, 3), formBatch("S", "B", 1, 2), formBatch("S", "C", 1, 1)),
        "run1");

    // Run 2's workers staged new files for A, B and C; its commit dies after copying B's.
    String run2 = "s3://" + bucket + "/.lake.staging/run2";
    List<StagedFile> staged = new ArrayList<>();
    staged.add(stage(run2, formBatch("S", "A", 10, 5)));
    staged.add(stage(run2, formBatch("S", "B", 10, 4)));
    staged.add(stage(run2, formBatch("S", "C", 10, 6)));
    ObjectStoreLakeCommit commit =
        new ObjectStoreLakeCommit(
                lake, run2, "s3://" + bucket + "/lake_metadata", run2 + "-meta", "run2")
            .afterCopies(
                partition -> {
                  if (partition == 1) {
                    throw new IOException("injected failure after the copies of partition 1");
                  }
                });
    IOException e = assertThrows(IOException.class, () -> commit.commit(staged));
    assertTrue(e.getMessage().contains("injected failure"), e.toString());

    // A is replaced, B shows old and new files (the one partition in between), C is still old.
    assertEquals(List.of("S|A|5", "S|B|6", "S|C|1"), counts(sync().resolve("lake")));
    assertTrue(s3.keys(bucket).contains(".lake.staging/run2/commit.json"));

    // The next commit into the lake (any study) first finishes run 2's plan.
    write(lake, List.of(formBatch("T", "A", 1, 1)), "run3");
    assertEquals(List.of("S|A|5", "S|B|4", "S|C|6", "T|A|1"), counts(sync().resolve("lake")));
    assertEquals(
        List.of(
            "lake/study_key=S/form_key=A/part-00000-run2.parquet",
            "lake/study_key=S/form_key=B/part-00000-run2.parquet",
            "lake/study_key=S/form_key=C/part-00000-run2.parquet",
            "lake/study_key=T/form_key=A/part-00000-run3.parquet"),
        s3.keys(bucket));
  }

  /**
   * The same interruption as above, but by SIGKILL: a child JVM commits run 2 and is killed between
   * the copies and the deletes of the second partition.
   */
  @Test
  void aCommitKilledMidwayLosesNothingAndTheNextCommitFinishesIt() throws Exception {
    String lake = "s3://" + bucket + "/lake";
    write(
        lake,
        List.of(formBatch("S", "A", 1, 3), formBatch("S", "B", 1, 2), formBatch("S", "C", 1, 1)),
        "run1");
    String run2 = "s3://" + bucket + "/.lake.staging/run2";
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                KilledCommit.class.getName(),
                s3.endpoint(),
                lake,
                run2));
    for (RowBatch batch :
        List.of(
            formBatch("S", "A", 10, 5), formBatch("S", "B", 10, 4), formBatch("S", "C", 10, 6))) {
      StagedFile f = stage(run2, batch);
      command.add(f.tableKey() + "|" + f.path() + "|" + f.rowCount());
    }
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    // Credentials reach the child as they would reach a worker: in its environment.
    pb.environment().put("AWS_ACCESS_KEY_ID", LocalS3.ACCESS_KEY);
    pb.environment().put("AWS_SECRET_ACCESS_KEY", LocalS3.SECRET_KEY);
    Process child = pb.start();
    String line;
    try (java.io.BufferedReader out =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(
                child.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
      while ((line = out.readLine()) != null && !line.equals("COPIED 1")) {
        // the child's other output
      }
      assertEquals("COPIED 1", line, "the child ended before the second partition's copies");
      child.destroyForcibly();
      assertEquals(137, child.waitFor(), "SIGKILL");
    }

    assertEquals(List.of("S|A|5", "S|B|6", "S|C|1"), counts(sync().resolve("lake")));
    write(lake, List.of(formBatch("T", "A", 1, 1)), "run3");
    assertEquals(List.of("S|A|5", "S|B|4", "S|C|6", "T|A|1"), counts(sync().resolve("lake")));
    assertEquals(
        List.of(
            "lake/study_key=S/form_key=A/part-00000-run2.parquet",
            "lake/study_key=S/form_key=B/part-00000-run2.parquet",
            "lake/study_key=S/form_key=C/part-00000-run2.parquet",
            "lake/study_key=T/form_key=A/part-00000-run3.parquet"),
        s3.keys(bucket));
  }

  /** The child JVM of the kill test: commits run 2, announcing each partition's copies. */
  public static final class KilledCommit {
    public static void main(String[] args) throws Exception {
      FileSystems.setDefaultPipelineOptions(
          org.apache.beam.sdk.options.PipelineOptionsFactory.fromArgs(
                  "--endpoint=" + args[0],
                  "--awsRegion=us-east-1",
                  "--s3ClientFactoryClass=" + PathStyleS3ClientBuilderFactory.class.getName())
              .create());
      String lake = args[1];
      String run = args[2];
      List<StagedFile> staged = new ArrayList<>();
      for (int i = 3; i < args.length; i++) {
        String[] f = args[i].split("\\|");
        staged.add(new StagedFile(TableSchema.Kind.FORM, "S", f[0], f[1], Long.parseLong(f[2])));
      }
      new ObjectStoreLakeCommit(lake, run, lake + "_metadata", run + "-meta", "run2")
          .afterCopies(
              partition -> {
                System.out.println("COPIED " + partition);
                System.out.flush();
                if (partition == 1) {
                  // Wait here to be killed; the parent never writes to this stream.
                  System.in.read();
                }
              })
          .commit(staged);
      System.out.println("DONE");
    }
  }

  /**
   * A form batch with a {@code date_modified}: ids {@code firstId..}, all modified at {@code at}.
   */
  private static RowBatch dated(String form, long firstId, int n, String note, String at) {
    TableSchema schema =
        TableSchema.form(
            "S",
            form,
            7L,
            List.of(
                Column.metadata("study_key", ColumnType.STRING),
                Column.metadata("form_key", ColumnType.STRING),
                Column.metadata("record_id", ColumnType.LONG),
                Column.metadata("date_modified", ColumnType.TIMESTAMP),
                Column.variable("note", ColumnType.STRING, "NOTE", "text", null)));
    List<Object[]> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(
          new Object[] {"S", form, firstId + i, LocalDateTime.parse(at), note + (firstId + i)});
    }
    return RowBatch.of(schema, rows);
  }

  /** Subjects of study S (a windowed metadata table, upserted by subject_id). */
  private static RowBatch subjects(long firstId, int n, String note, String at) {
    TableSchema schema =
        TableSchema.metadata(
            "S",
            "subjects",
            List.of(
                Column.metadata("study_key", ColumnType.STRING),
                Column.metadata("subject_id", ColumnType.LONG),
                Column.metadata("date_modified", ColumnType.TIMESTAMP),
                Column.metadata("note", ColumnType.STRING)));
    List<Object[]> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(new Object[] {"S", firstId + i, LocalDateTime.parse(at), note + (firstId + i)});
    }
    return RowBatch.of(schema, rows);
  }

  private void writeWithLedger(String lake, List<RowBatch> batches, LedgerRun run) {
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of(batches).withCoder(RowBatchCoder.of()))
        .apply(WriteHiveParquet.to(lake).withLedger(run));
    p.run().waitUntilFinish();
  }

  @Test
  void incrementalRunRewritesOnlyTouchedPartitionsWithTheirOtherRowsCarriedAndRecordsTheLedger()
      throws Exception {
    String lake = "s3://" + bucket + "/lake";
    LocalDateTime t1 = LocalDateTime.parse("2026-01-01T00:00");
    writeWithLedger(
        lake,
        List.of(
            dated("A", 1, 3, "a", "2025-01-01T10:00"),
            dated("B", 1, 2, "b", "2025-01-02T10:00"),
            subjects(1, 2, "s", "2025-01-03T10:00"),
            metadataBatch("S", "forms", 2)),
        LedgerRun.full("run1", t1, List.of("S")));
    Map<String, String> bBefore = objects("lake/study_key=S/form_key=B/");

    // Run 2 reads S from a window: record 3 of A changed and 4 is new, B has no change (an empty
    // batch), subject 2 changed; forms (not windowed) is read whole again.
    LocalDateTime from = LocalDateTime.parse("2025-01-03T09:00");
    writeWithLedger(
        lake,
        List.of(
            dated("A", 3, 2, "a2-", "2025-02-01T10:00"),
            dated("B", 1, 0, "b", "2025-02-01T10:00"),
            subjects(2, 1, "s2-", "2025-02-02T10:00"),
            metadataBatch("S", "forms", 3)),
        LedgerRun.incremental(
            "run2", LocalDateTime.parse("2026-01-02T00:00"), List.of("S"), Map.of("S", from)));

    assertEquals(
        List.of(
            "lake/_imednet/ledger/run1.json",
            "lake/_imednet/ledger/run2.json",
            "lake/study_key=S/form_key=A/part-00000-run2.parquet",
            "lake/study_key=S/form_key=A/part-carried-run2.parquet",
            "lake/study_key=S/form_key=B/part-00000-run1.parquet",
            "lake_metadata/forms/study_key=S/part-00000-run2.parquet",
            "lake_metadata/subjects/study_key=S/part-00000-run2.parquet",
            "lake_metadata/subjects/study_key=S/part-carried-run2.parquet"),
        s3.keys(bucket));
    // B's object was not rewritten.
    assertEquals(bBefore, objects("lake/study_key=S/form_key=B/"));
    Path copy = sync();
    assertEquals(
        List.of("A|1|a1", "A|2|a2", "A|3|a2-3", "A|4|a2-4", "B|1|b1", "B|2|b2"),
        query(
            "SELECT form_key, record_id, note FROM read_parquet("
                + sqlString(copy.resolve("lake") + "/**/*.parquet")
                + ", hive_partitioning = true, union_by_name = true) ORDER BY ALL"));
    assertEquals(
        List.of("1|s1", "2|s2-2"),
        query(
            "SELECT subject_id, note FROM read_parquet("
                + sqlString(copy.resolve("lake_metadata/subjects") + "/**/*.parquet")
                + ") ORDER BY ALL"));
    assertEquals(
        List.of("3"),
        query(
            "SELECT count(*) FROM read_parquet("
                + sqlString(copy.resolve("lake_metadata/forms") + "/**/*.parquet")
                + ")"));

    // The ledger, read back from the objects: run 2's marks from the rows it wrote.
    LedgerEntry s = LakeLedger.read(lake).get("S");
    assertEquals("run2", s.runId());
    assertEquals("incremental", s.mode());
    assertEquals(from, s.windowFrom());
    assertEquals(LocalDateTime.parse("2025-02-01T10:00"), s.highWaterMark());
    assertEquals(Map.of("subjects", LocalDateTime.parse("2025-02-02T10:00")), s.tableMarks());
    assertEquals(
        List.of(
            "S|run1|full|null|5|{'A': 3, 'B': 2}",
            "S|run2|incremental|2025-01-03T09:00|2|{'A': 2, 'B': 0}"),
        query(
            "SELECT study_key, run_id, mode, window_from, rows_written, rows_per_form::VARCHAR"
                + " FROM read_json("
                + sqlString(copy.resolve("lake/_imednet/ledger") + "/*.json")
                + ") ORDER BY run_id"));
  }

  @Test
  void incrementalCommitInterruptedAfterItsPlanIsFinishedExactlyByTheNextCommit() throws Exception {
    String lake = "s3://" + bucket + "/lake";
    writeWithLedger(
        lake,
        List.of(
            dated("A", 1, 3, "a", "2025-01-01T10:00"), dated("B", 1, 2, "b", "2025-01-01T10:00")),
        LedgerRun.full("run1", LocalDateTime.parse("2026-01-01T00:00"), List.of("S")));

    // Run 2 upserts A (3 changed, 4 new) and B (2 changed); its commit dies after A's copies.
    String run2 = "s3://" + bucket + "/.lake.staging/run2";
    List<StagedFile> staged =
        List.of(
            stage(run2, dated("A", 3, 2, "a2-", "2025-02-01T10:00")),
            stage(run2, dated("B", 2, 1, "b2-", "2025-02-01T10:00")));
    LedgerRun incremental =
        LedgerRun.incremental(
            "run2",
            LocalDateTime.parse("2026-01-02T00:00"),
            List.of("S"),
            Map.of("S", LocalDateTime.parse("2025-01-01T09:00")));
    ObjectStoreLakeCommit commit =
        new ObjectStoreLakeCommit(
                lake, run2, "s3://" + bucket + "/lake_metadata", run2 + "-meta", "run2")
            .withLedger(incremental)
            .afterCopies(
                partition -> {
                  if (partition == 0) {
                    throw new IOException("injected failure after the copies of partition 0");
                  }
                });
    assertThrows(IOException.class, () -> commit.commit(staged));

    // A shows its old object beside the new and carried ones (3 + 2 + 2 rows), B is as it was:
    // rows doubled in one partition, none lost.
    assertEquals(List.of("S|A|7", "S|B|2"), counts(sync().resolve("lake")));
    assertTrue(s3.keys(bucket).contains(".lake.staging/run2/commit.json"));

    // The next commit into the lake finishes the plan, the carried object included.
    write(lake, List.of(formBatch("T", "A", 1, 1)), "run3");
    Path copy = sync().resolve("lake");
    assertEquals(
        List.of("A|1|a1", "A|2|a2", "A|3|a2-3", "A|4|a2-4", "B|1|b1", "B|2|b2-2"),
        query(
            "SELECT form_key, record_id, note FROM read_parquet("
                + sqlString(copy + "/study_key=S/**/*.parquet")
                + ", hive_partitioning = true) ORDER BY ALL"));
    assertEquals(
        List.of(
            "lake/_imednet/ledger/run1.json",
            "lake/study_key=S/form_key=A/part-00000-run2.parquet",
            "lake/study_key=S/form_key=A/part-carried-run2.parquet",
            "lake/study_key=S/form_key=B/part-00000-run2.parquet",
            "lake/study_key=S/form_key=B/part-carried-run2.parquet",
            "lake/study_key=T/form_key=A/part-00000-run3.parquet"),
        s3.keys(bucket));
  }

  @Test
  void lakeLockRefusesASecondRunTakesOverDeadOrStaleHoldersAndReleasesOnlyItsOwn()
      throws Exception {
    String lake = "s3://" + bucket + "/lake";
    String object = "s3://" + bucket + "/lake/_imednet/lock.json";
    assertEquals(object, LakeLock.objectOf(lake + "/"));
    String host = java.net.InetAddress.getLocalHost().getHostName();
    try (LakeLock held = LakeLock.acquire(lake, "run-a", null, options)) {
      assertEquals(List.of("lake/_imednet/lock.json"), s3.keys(bucket));
      TargetLockedException refused =
          assertThrows(
              TargetLockedException.class,
              () -> LakeLock.acquire(lake, "run-b", Duration.ofHours(12), options));
      assertEquals(
          "another run holds "
              + lake
              + " (run-a, pid "
              + ProcessHandle.current().pid()
              + " on "
              + host
              + " since "
              + held.holder().started()
              + "); this run changed nothing. If that run is gone, delete "
              + object,
          refused.getMessage());
    }
    assertEquals(List.of(), s3.keys(bucket));

    // A holder of this host whose process is gone (kill -9) is taken over.
    ProcessHandle gone = new ProcessBuilder("true").start().onExit().get().toHandle();
    LakeLock.write(
        object,
        new LockHolder("killed-run", Long.toString(gone.pid()), host, "2026-01-01T00:00:00Z"));
    try (LakeLock taken = LakeLock.acquire(lake, "run-c", null, options)) {
      assertEquals(taken.holder(), LakeLock.read(object));
    }
    assertEquals(List.of(), s3.keys(bucket));

    // Another host's lock: refused while younger than staleAfter, taken over once older.
    LockHolder pod =
        new LockHolder(
            "pod-run",
            "7",
            "imednet-daily-29412-x7k2p",
            java.time.Instant.now().minus(Duration.ofHours(13)).toString());
    LakeLock.write(object, pod);
    assertThrows(
        TargetLockedException.class,
        () -> LakeLock.acquire(lake, "run-d", Duration.ofHours(14), options));
    assertThrows(TargetLockedException.class, () -> LakeLock.acquire(lake, "run-d", null, options));
    assertEquals(pod, LakeLock.read(object));
    LakeLock late = LakeLock.acquire(lake, "run-e", Duration.ofHours(12), options);
    assertEquals(late.holder(), LakeLock.read(object));
    late.close();
    assertEquals(List.of(), s3.keys(bucket));

    // Two runs that both found no lock: the one whose write came last holds it, and the other,
    // reading back, is refused with the winner's line.
    LockHolder racer =
        new LockHolder("run-g", "9", "racer-host", java.time.Instant.now().toString());
    TargetLockedException lost =
        assertThrows(
            TargetLockedException.class,
            () ->
                LakeLock.acquire(
                    lake, "run-h", null, options, () -> LakeLock.write(object, racer)));
    assertEquals(racer.refusal(lake, "delete " + object), lost.getMessage());
    assertEquals(racer, LakeLock.read(object));

    // A lock taken over meanwhile is not the old holder's to delete.
    FileSystems.delete(
        List.of(FileSystems.matchNewResource(object, false)),
        org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
    late = LakeLock.acquire(lake, "run-e2", null, options);
    LockHolder other =
        new LockHolder("run-f", "8", "elsewhere", java.time.Instant.now().toString());
    LakeLock.write(object, other);
    late.close();
    assertEquals(other, LakeLock.read(object));
  }

  /** Object name (below the bucket) to its bytes' hash, for the objects under {@code prefix}. */
  private Map<String, String> objects(String prefix) throws Exception {
    Map<String, String> out = new java.util.TreeMap<>();
    Path copy = sync();
    for (String key : s3.keys(bucket)) {
      if (key.startsWith(prefix)) {
        out.put(
            key,
            java.util.HexFormat.of()
                .formatHex(
                    java.security.MessageDigest.getInstance("SHA-256")
                        .digest(Files.readAllBytes(copy.resolve(key)))));
      }
    }
    return out;
  }

  @Test
  void unregisteredSchemeAndBucketRootAreRefusedWithOneLine() {
    Pipeline p = Pipeline.create(options);
    PCollection<RowBatch> rows =
        p.apply(Create.of(formBatch("S", "A", 1, 1)).withCoder(RowBatchCoder.of()));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> rows.apply(WriteHiveParquet.to("nosuch://bucket/lake")));
    assertTrue(
        e.getMessage().startsWith("No Beam FileSystem for nosuch:// is registered"),
        e.getMessage());
    assertEquals(
        "A lake on s3:// must be a folder inside the bucket, such as s3://bucket/lake, was"
            + " s3://bucket/",
        assertThrows(IllegalArgumentException.class, () -> WriteHiveParquet.to("s3://bucket/"))
            .getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> rows.apply(WriteHiveParquet.to("s3://b/lake").withMetadataDir("s3://b/lake/meta")));
    assertThrows(
        IllegalArgumentException.class,
        () -> rows.apply(WriteHiveParquet.to("s3://b/lake").withMetadataDir(dir.resolve("m"))));
  }

  /** Writes a batch as a staged object of {@code run}, as the workers would. */
  private StagedFile stage(String run, RowBatch batch) throws IOException {
    TableSchema schema = batch.schema();
    Path local = dir.resolve(schema.tableKey() + ".parquet");
    ParquetBatchFile.write(local, schema, List.of(batch));
    String object = run + "/files/" + schema.tableKey() + ".parquet";
    RemoteFiles.upload(local, object);
    return new StagedFile(
        schema.kind(), schema.studyKey(), schema.tableKey(), object, batch.size());
  }
}
