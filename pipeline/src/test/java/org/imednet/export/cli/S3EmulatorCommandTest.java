package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.imednet.export.sinks.staging.RemoteFiles;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.FaultPlan;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code imednet emulator s3}: started in-process as a user would start it, its printed settings
 * parsed and used, unchanged, by a real {@code imednet export parquet --lake s3://…} run.
 */
class S3EmulatorCommandTest {
  private static final String API_KEY = "s3-emu-cmd-api-key-7a2f";
  private static final String SECURITY_KEY = "s3-emu-cmd-security-key-1d4c";
  private static final Pattern EXPORT_LINE = Pattern.compile("^  export (AWS_[A-Z_]+)=(.*)$");
  private static final Pattern FLAGS_LINE =
      Pattern.compile(
          "^  --lake (s3://\\S+) --endpoint=(http://127\\.0\\.0\\.1:(\\d+)) --awsRegion=us-east-1"
              + " --s3ClientFactoryClass="
              + Pattern.quote("org.imednet.export.sinks.parquet.PathStyleS3ClientBuilderFactory")
              + "$");

  @TempDir Path tmp;

  @AfterEach
  void forgetTheKeys() {
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
  }

  @Test
  void theExportLandsInTheBucketAndDataDirKeepsIt() throws Exception {
    Path dataDir = tmp.resolve("s3-data");
    Map<String, Long> expected = CliFixture.sampleRecordsPerForm("CARDIO01");
    // One partition per form of the study, a form without records (CM) included.
    TreeSet<String> expectedPartitions = new TreeSet<>();
    for (JsonNode form :
        new ObjectMapper()
            .readTree(SampleStudies.root().resolve("CARDIO01").resolve("forms.json").toFile())) {
      expectedPartitions.add("lake/study_key=CARDIO01/form_key=" + form.get("formKey").asText());
    }
    assertEquals(5, expectedPartitions.size(), expectedPartitions.toString());
    List<String> keys;
    try (ImednetEmulator api =
        ImednetEmulator.builder()
            .data(FolderStudyData.load(SampleStudies.root()))
            .credentials(API_KEY, SECURITY_KEY)
            .port(0)
            .faults(FaultPlan.none())
            .build()
            .start()) {
      StartedCommand emu =
          StartedCommand.start("emulator", "s3", "--port", "0", "--data-dir", "" + dataDir);
      CliFixture.Run export;
      try {
        Printed printed = new Printed(emu.awaitReady());
        assertEquals(
            List.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"),
            new ArrayList<>(printed.env.keySet()),
            printed.text);
        assertEquals(S3EmulatorCommand.ACCESS_KEY, printed.env.get("AWS_ACCESS_KEY_ID"));
        assertEquals(S3EmulatorCommand.SECRET_KEY, printed.env.get("AWS_SECRET_ACCESS_KEY"));
        assertEquals("us-east-1", printed.env.get("AWS_REGION"));
        assertEquals("s3://imednet/lake", printed.lake);
        assertNotEquals("0", printed.port);
        assertTrue(
            printed.lines.contains(
                "  ./imednet emulator snowflake --s3-endpoint "
                    + printed.endpoint
                    + " --s3-path-style"),
            printed.text);
        assertTrue(
            printed.lines.contains("  ./imednet export parquet CARDIO01 " + printed.flags),
            printed.text);

        // The AWS default chain reads these as it reads the printed AWS_* variables.
        System.setProperty("aws.accessKeyId", printed.env.get("AWS_ACCESS_KEY_ID"));
        System.setProperty("aws.secretAccessKey", printed.env.get("AWS_SECRET_ACCESS_KEY"));
        List<String> args = new ArrayList<>(List.of("export", "parquet", "CARDIO01"));
        args.addAll(Arrays.asList(printed.flags.split(" ")));
        Path env = CliFixture.envFile(tmp, api.baseUrl(), API_KEY, SECURITY_KEY);
        args.addAll(
            List.of("--env-file", env.toString(), "--progress", "none", "--runner", "direct"));
        export = CliFixture.run(args.toArray(new String[0]));
        assertEquals(0, export.exitCode, export.toString());
        assertTrue(
            export.out.contains("CARDIO01  AE LOG         32       32         32"), export.out);
        assertFalse(export.all().contains(S3EmulatorCommand.SECRET_KEY), export.toString());

        keys = keys(printed, "imednet");
        assertEquals(expectedPartitions, partitions(keys), keys.toString());
        assertEquals(expected, CliFixture.lakeCounts(download(printed), "CARDIO01"));
      } finally {
        emu.stop();
      }
      assertEquals(0, emu.exitCode(), emu.err());
    }
    assertTrue(Files.isDirectory(dataDir.resolve("imednet")), "" + dataDir);

    // Started again on the same --data-dir, the server lists and serves what it kept.
    StartedCommand again =
        StartedCommand.start("emulator", "s3", "--port", "0", "--data-dir", "" + dataDir);
    try {
      Printed printed = new Printed(again.awaitReady());
      System.setProperty("aws.accessKeyId", printed.env.get("AWS_ACCESS_KEY_ID"));
      System.setProperty("aws.secretAccessKey", printed.env.get("AWS_SECRET_ACCESS_KEY"));
      assertEquals(keys, keys(printed, "imednet"));
      assertEquals(expected, CliFixture.lakeCounts(download(printed), "CARDIO01"));
    } finally {
      again.stop();
    }
    assertEquals(0, again.exitCode(), again.err());
  }

  @Test
  void withoutDataDirTheTemporaryFolderIsRemovedOnStopAndBucketNamesTheBucket() throws Exception {
    StartedCommand emu = StartedCommand.start("emulator", "s3", "--port", "0", "--bucket", "lab");
    Printed printed;
    try {
      printed = new Printed(emu.awaitReady());
      assertEquals("s3://lab/lake", printed.lake);
      Matcher m = Pattern.compile("objects in (\\S+) \\(removed on exit").matcher(printed.text);
      assertTrue(m.find(), printed.text);
      Path root = Path.of(m.group(1));
      assertTrue(Files.isDirectory(root.resolve("lab")), root.toString());
      System.setProperty("aws.accessKeyId", S3EmulatorCommand.ACCESS_KEY);
      System.setProperty("aws.secretAccessKey", S3EmulatorCommand.SECRET_KEY);
      assertEquals(List.of(), keys(printed, "lab"));

      // Only the printed keys may sign requests.
      System.setProperty("aws.secretAccessKey", "not-the-secret");
      IOException refused = assertThrows(IOException.class, () -> keys(printed, "lab"));
      assertTrue(String.valueOf(refused).contains("403"), String.valueOf(refused));
    } finally {
      emu.stop();
    }
    assertEquals(0, emu.exitCode(), emu.err());
    Matcher m = Pattern.compile("objects in (\\S+) \\(removed on exit").matcher(printed.text);
    assertTrue(m.find());
    assertFalse(Files.exists(Path.of(m.group(1))), m.group(1));
  }

  @Test
  void aPortInUseOrABadBucketIsAOneLineError() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CliFixture.Run r =
          CliFixture.run("emulator", "s3", "--port", Integer.toString(taken.getLocalPort()));
      assertEquals(1, r.exitCode, r.toString());
      assertTrue(
          r.err.contains(
              "error: port "
                  + taken.getLocalPort()
                  + " of 127.0.0.1 is in use; choose another with --port N (0 picks a free one)"),
          r.toString());
    }
    CliFixture.Run bad = CliFixture.run("emulator", "s3", "--port", "0", "--bucket", "My_Bucket");
    assertEquals(1, bad.exitCode, bad.toString());
    assertTrue(
        bad.err.contains(
            "error: --bucket must be 3..63 lower-case letters, digits or -, starting and ending"
                + " with a letter or digit, was 'My_Bucket'"),
        bad.toString());
  }

  @Test
  void helpOfTheS3Emulator() {
    CliFixture.Run s3 = CliFixture.run("emulator", "s3", "--help");
    assertEquals(0, s3.exitCode, s3.toString());
    for (String s :
        List.of("--port=N", "--data-dir=DIR", "--bucket=NAME", "AWS_SECRET_ACCESS_KEY")) {
      assertTrue(s3.out.contains(s), s + " in\n" + s3.out);
    }
    CliFixture.Run parent = CliFixture.run("emulator", "--help");
    assertEquals(0, parent.exitCode, parent.toString());
    assertTrue(
        parent.out.contains(
            "  s3         Run a local S3-compatible server on 127.0.0.1, for s3:// lakes and\n"),
        parent.out);
  }

  /** Every object key of a bucket, sorted, listed through Beam with the printed flags. */
  private static List<String> keys(Printed printed, String bucket) throws IOException {
    registerFileSystems(printed);
    String prefix = "s3://" + bucket + "/";
    List<String> keys = new ArrayList<>();
    for (MatchResult.Metadata m :
        FileSystems.match(prefix + "**", EmptyMatchTreatment.ALLOW).metadata()) {
      keys.add(m.resourceId().toString().substring(prefix.length()));
    }
    keys.sort(null);
    return keys;
  }

  /** The folders that hold the lake's Parquet files (not its lake_metadata/ tables). */
  private static TreeSet<String> partitions(List<String> keys) {
    TreeSet<String> out = new TreeSet<>();
    for (String k : keys) {
      if (k.startsWith("lake/") && k.endsWith(".parquet")) {
        out.add(k.substring(0, k.lastIndexOf('/')));
      }
    }
    return out;
  }

  private Path download(Printed printed) throws Exception {
    registerFileSystems(printed);
    Path copy = Files.createTempDirectory(tmp, "sync");
    RemoteFiles.download(printed.lake, copy);
    return copy;
  }

  private static void registerFileSystems(Printed printed) {
    String[] beamFlags =
        Arrays.stream(printed.flags.split(" "))
            .filter(f -> f.startsWith("--") && f.contains("="))
            .toArray(String[]::new);
    FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.fromArgs(beamFlags).create());
  }

  /** What {@code imednet emulator s3} printed, parsed. */
  private static final class Printed {
    final String text;
    final List<String> lines;
    final Map<String, String> env = new LinkedHashMap<>();
    final String flags;
    final String lake;
    final String endpoint;
    final String port;

    Printed(String text) {
      this.text = text;
      this.lines = List.of(text.split("\n"));
      Matcher flagsLine = null;
      for (String line : lines) {
        Matcher e = EXPORT_LINE.matcher(line);
        if (e.matches()) {
          env.put(e.group(1), e.group(2));
        }
        Matcher f = FLAGS_LINE.matcher(line);
        if (f.matches()) {
          assertEquals(null, flagsLine, text);
          flagsLine = f;
        }
      }
      assertTrue(flagsLine != null, text);
      flags = flagsLine.group(0).strip();
      lake = flagsLine.group(1);
      endpoint = flagsLine.group(2);
      port = flagsLine.group(3);
    }
  }
}
