package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class CommonExportOptionsTest {

  private static CommonExportOptions flink(String... beamArgs) {
    CommonExportOptions o = new CommonExportOptions();
    o.runner = CommonExportOptions.Runner.FLINK;
    o.beamArgs = List.of(beamArgs);
    return o;
  }

  private static List<String> confDirs(List<String> args) {
    return args.stream().filter(a -> a.startsWith("--flinkConfDir=")).collect(Collectors.toList());
  }

  @Test
  void embeddedFlinkGetsTwiceTheParallelismInTaskSlots() throws Exception {
    List<String> args = flink("--parallelism=3").beamArguments();

    List<String> confDirs = confDirs(args);
    assertEquals(1, confDirs.size(), args.toString());
    Path yaml =
        Path.of(confDirs.get(0).substring("--flinkConfDir=".length())).resolve("config.yaml");
    List<String> settings =
        Files.readAllLines(yaml).stream()
            .filter(l -> !l.startsWith("#"))
            .collect(Collectors.toList());
    assertEquals(
        List.of("taskmanager.numberOfTaskSlots: 6", "security.delegation.tokens.enabled: false"),
        settings);
    assertTrue(args.contains("--flinkMaster=[local]"), args.toString());
  }

  @Test
  void aUsersConfigurationOrARemoteClusterIsLeftAlone() {
    List<String> own = flink("--flinkConfDir=/etc/flink").beamArguments();
    assertEquals(List.of("--flinkConfDir=/etc/flink"), confDirs(own));

    List<String> remote = flink("--flinkMaster=flink-jm:8081").beamArguments();
    assertEquals(List.of(), confDirs(remote));
  }

  @Test
  void aRemoteClusterGetsThirtySecondBundlesAndANamedJobUnlessTheUserChose() {
    CommonExportOptions remote = flink("--flinkMaster=flink-jm:8081");
    List<String> args = remote.beamArguments();
    assertTrue(args.contains("--maxBundleTimeMills=30000"), args.toString());
    String name = remote.flinkJobName();
    assertTrue(name.matches("imednet-\\d{8}-\\d{6}-[0-9a-f]{8}"), name);
    assertTrue(args.contains("--jobName=" + name), args.toString());
    // One name per command: the progress poller looks for the job the runner submits.
    assertEquals(args, remote.beamArguments());

    List<String> chosen =
        flink("--flinkMaster=flink-jm:8081", "--maxBundleTimeMills=10000", "--jobName=nightly")
            .beamArguments();
    assertEquals(
        List.of("--maxBundleTimeMills=10000", "--jobName=nightly"),
        chosen.stream()
            .filter(a -> a.startsWith("--maxBundleTimeMills") || a.startsWith("--jobName"))
            .collect(Collectors.toList()));

    List<String> local = flink().beamArguments();
    assertTrue(local.contains("--maxBundleTimeMills=3600000"), local.toString());
    assertTrue(local.stream().noneMatch(a -> a.startsWith("--jobName")), local.toString());
  }
}
