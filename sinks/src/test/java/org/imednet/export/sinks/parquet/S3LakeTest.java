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
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.RowBatchCoder;
import org.imednet.export.rows.TableSchema;
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
    assertEquals(rowsBefore, counts(sync().resolve("lake")));
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
