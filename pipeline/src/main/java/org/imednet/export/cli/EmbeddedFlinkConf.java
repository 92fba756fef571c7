package org.imednet.export.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The Flink configuration directory of the embedded (in-process) Flink cluster, written once per
 * JVM and parallelism into a temporary directory that is deleted at exit, and passed to Beam as
 * {@code --flinkConfDir}.
 *
 * <p>Flink schedules a batch job region by region, and regions do not share task slots. With one
 * slot per parallel instance (Flink's default for an embedded cluster), the record fetch (one
 * region, {@code parallelism} wide) could only start once the metadata reader (a region of its own)
 * had finished: on a 1 M-record study the API sat idle for records for 4 s while subjects and
 * visits were read. Twice the parallelism lets both run side by side; the slots are threads, not
 * memory, so the extra ones cost nothing while idle.
 */
final class EmbeddedFlinkConf {
  private static final Map<Integer, Path> DIRECTORIES = new HashMap<>();

  private EmbeddedFlinkConf() {}

  /** The directory holding {@code config.yaml} for an embedded cluster of this parallelism. */
  static synchronized Path directory(int parallelism) {
    return DIRECTORIES.computeIfAbsent(parallelism, EmbeddedFlinkConf::write);
  }

  private static Path write(int parallelism) {
    try {
      Path dir = Files.createTempDirectory("imednet-flink-conf");
      Path file = dir.resolve("config.yaml");
      String yaml =
          "# Written by imednet for its embedded Flink cluster; deleted when the JVM exits.\n"
              + "taskmanager.numberOfTaskSlots: "
              + (2 * parallelism)
              + "\n"
              // Hadoop is on the classpath for Parquet; without this Flink asks Hadoop for
              // Kerberos delegation tokens that a local run never needs.
              + "security.delegation.tokens.enabled: false\n";
      Files.writeString(file, yaml, StandardCharsets.UTF_8);
      // Deleted in reverse order of registration: the file, then the directory.
      dir.toFile().deleteOnExit();
      file.toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot write the embedded Flink configuration to the temporary directory", e);
    }
  }
}
