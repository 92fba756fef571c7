package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.imednet.export.sinks.parquet.PathStyleS3ClientBuilderFactory;
import org.imednet.export.sinks.staging.RemoteFiles;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.Fault;
import org.imednet.export.testdata.emulator.FaultPlan;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code imednet export parquet --lake s3://…} and {@code imednet lake query s3://…} end to end, on
 * the default runner (embedded Flink), against the API emulator and an in-process S3Proxy.
 */
class S3LakeCliTest {
  private static final String API_KEY = "s3-cli-api-key-51c2";
  private static final String SECURITY_KEY = "s3-cli-security-key-9e07";
  private static final String S3_ACCESS = "s3-cli-access";
  private static final String S3_SECRET = "s3-cli-secret-9b1f-never-printed";

  @TempDir Path tmp;

  @Test
  void s3LakeHoldsTheSameRowsAsALocalLakeReRunReplacesAndLakeQueryReadsIt() throws Exception {
    BlobStoreContext store =
        ContextBuilder.newBuilder("transient-nio2")
            .credentials("identity", "credential")
            .build(BlobStoreContext.class);
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(store.getBlobStore())
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, S3_ACCESS, S3_SECRET)
            .ignoreUnknownHeaders(true)
            .build();
    proxy.start();
    // The AWS default chain reads these, as it reads AWS_ACCESS_KEY_ID/... from the environment.
    System.setProperty("aws.accessKeyId", S3_ACCESS);
    System.setProperty("aws.secretAccessKey", S3_SECRET);
    store.getBlobStore().createContainerInLocation(null, "clinical");
    List<String> s3Args =
        List.of(
            "--endpoint=http://127.0.0.1:" + proxy.getPort(),
            "--awsRegion=us-east-1",
            "--s3ClientFactoryClass=" + PathStyleS3ClientBuilderFactory.class.getName());
    String lake = "s3://clinical/exports/lake";
    try (ImednetEmulator emu =
        ImednetEmulator.builder()
            .data(FolderStudyData.load(SampleStudies.root()))
            .credentials(API_KEY, SECURITY_KEY)
            .port(0)
            .faults(FaultPlan.none())
            .build()
            .start()) {
      Path env = CliFixture.envFile(tmp, emu.baseUrl(), API_KEY, SECURITY_KEY);
      Path localLake = tmp.resolve("lake");
      CliFixture.Run local =
          CliFixture.run(
              "export",
              "parquet",
              "CARDIO01",
              "ONCO-22",
              "--lake",
              localLake.toString(),
              "--env-file",
              env.toString(),
              "--progress",
              "none");
      assertEquals(0, local.exitCode, local.toString());

      List<String> args =
          new ArrayList<>(
              List.of(
                  "export",
                  "parquet",
                  "CARDIO01",
                  "ONCO-22",
                  "--lake",
                  lake,
                  "--env-file",
                  env.toString(),
                  "--progress",
                  "none"));
      args.addAll(s3Args);
      CliFixture.Run remote = CliFixture.run(args.toArray(new String[0]));
      assertEquals(0, remote.exitCode, remote.toString());
      assertTrue(
          remote.out.contains("CARDIO01  AE LOG         32       32         32"), remote.out);

      Path copy = sync(s3Args, lake);
      for (String study : List.of("CARDIO01", "ONCO-22")) {
        Map<String, Long> expected = CliFixture.sampleRecordsPerForm(study);
        assertEquals(expected, CliFixture.lakeCounts(localLake, study), study);
        assertEquals(expected, CliFixture.lakeCounts(copy, study), study);
      }
      assertEquals(allRows(localLake), allRows(copy));

      // A re-run of one study replaces its partitions; the other study is untouched.
      List<String> again =
          new ArrayList<>(
              List.of(
                  "export",
                  "parquet",
                  "CARDIO01",
                  "--lake",
                  lake,
                  "--env-file",
                  env.toString(),
                  "--progress",
                  "none"));
      again.addAll(s3Args);
      CliFixture.Run rerun = CliFixture.run(again.toArray(new String[0]));
      assertEquals(0, rerun.exitCode, rerun.toString());
      Path copy2 = sync(s3Args, lake);
      assertEquals(allRows(localLake), allRows(copy2));

      long total =
          CliFixture.sampleRecordsPerForm("CARDIO01").values().stream()
                  .mapToLong(Long::longValue)
                  .sum()
              + CliFixture.sampleRecordsPerForm("ONCO-22").values().stream()
                  .mapToLong(Long::longValue)
                  .sum();
      List<String> query =
          new ArrayList<>(List.of("lake", "query", lake, "SELECT count(*) AS n FROM lake"));
      query.addAll(s3Args);
      CliFixture.Run q = CliFixture.run(query.toArray(new String[0]));
      assertEquals(0, q.exitCode, q.toString());
      assertEquals("n\n" + total + "\n(1 row)", q.out.strip().replace("\r", ""));

      // Beam options are for remote lakes; on a local lake they are a usage error (exit 2).
      CliFixture.Run bad = CliFixture.run("lake", "query", localLake.toString(), "--awsRegion=x");
      assertEquals(2, bad.exitCode, bad.toString());
      assertTrue(bad.err.contains("Unknown option: '--awsRegion=x'"), bad.err);

      // A run that fails (the API keeps answering 500) leaves the S3 lake object for object.
      Map<String, String> objectsBefore = CliFixture.treeDigest(copy2);
      FaultPlan faults =
          FaultPlan.builder()
              .onPath(".*/records")
              .nth(3)
              .times(1000)
              .fault(Fault.status(500))
              .build();
      CliFixture.Run failed;
      try (ImednetEmulator broken =
          ImednetEmulator.builder()
              .data(FolderStudyData.load(SampleStudies.root()))
              .credentials(API_KEY, SECURITY_KEY)
              .port(0)
              .faults(faults)
              .build()
              .start()) {
        Path brokenEnv =
            CliFixture.envFile(
                Files.createTempDirectory(tmp, "broken"), broken.baseUrl(), API_KEY, SECURITY_KEY);
        List<String> failing =
            new ArrayList<>(
                List.of(
                    "export",
                    "parquet",
                    "CARDIO01",
                    "--lake",
                    lake,
                    "--env-file",
                    brokenEnv.toString(),
                    "--progress",
                    "none",
                    "--api-retries",
                    "1"));
        failing.addAll(s3Args);
        failed = CliFixture.run(failing.toArray(new String[0]));
      }
      assertEquals(1, failed.exitCode, failed.toString());
      assertTrue(failed.err.contains("500"), failed.err);
      Path copy3 = sync(s3Args, lake);
      assertEquals(objectsBefore, CliFixture.treeDigest(copy3));
      assertEquals(allRows(localLake), allRows(copy3));

      for (CliFixture.Run r : List.of(remote, rerun, q, failed)) {
        assertFalse(r.all().contains(S3_SECRET), "the S3 secret key was printed");
      }
    } finally {
      proxy.stop();
      store.close();
    }
  }

  private Path sync(List<String> s3Args, String lake) throws Exception {
    FileSystems.setDefaultPipelineOptions(
        PipelineOptionsFactory.fromArgs(s3Args.toArray(new String[0])).create());
    Path copy = Files.createTempDirectory(tmp, "sync");
    RemoteFiles.download(lake, copy);
    return copy;
  }

  /** Every row of the lake (all columns, partition keys included), sorted, as text. */
  private static List<String> allRows(Path lake) throws Exception {
    List<String> rows = new ArrayList<>();
    for (List<Object> r :
        CliFixture.query(
            null,
            "SELECT * FROM read_parquet('"
                + lake
                + "/**/*.parquet', hive_partitioning = true, union_by_name = true) ORDER BY ALL")) {
      rows.add(r.toString());
    }
    return rows;
  }
}
