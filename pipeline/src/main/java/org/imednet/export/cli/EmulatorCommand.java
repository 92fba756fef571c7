package org.imednet.export.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code imednet emulator}: serve a testdata folder as a local iMednet API, until Ctrl-C. {@code
 * imednet emulator imednet} is the same; {@code imednet emulator snowflake} runs the local
 * Snowflake emulator instead ({@link SnowflakeEmulatorCommand}), {@code imednet emulator s3} a
 * local S3-compatible server ({@link S3EmulatorCommand}).
 */
@Command(
    name = "emulator",
    mixinStandardHelpOptions = true,
    header = "Run an iMednet API, Snowflake or S3 emulator on 127.0.0.1.",
    description = {
      "Run the local iMednet API emulator on 127.0.0.1, serving a folder in the testdata format",
      "(default: the bundled sample studies). Prints the environment to point the exporter at it.",
      "",
      "`imednet emulator imednet` is the same; `imednet emulator snowflake` runs the",
      "local Snowflake emulator for `imednet export snowflake` instead, and",
      "`imednet emulator s3` a local S3-compatible server for s3:// lakes and stages."
    },
    subcommands = {
      EmulatorCommand.Imednet.class,
      SnowflakeEmulatorCommand.class,
      S3EmulatorCommand.class
    })
final class EmulatorCommand implements Callable<Integer> {
  @Mixin ImednetOptions options;

  @Override
  public Integer call() throws Exception {
    return options.serve();
  }

  /** {@code imednet emulator imednet}: the explicit name of {@code imednet emulator}. */
  @Command(
      name = "imednet",
      mixinStandardHelpOptions = true,
      header = "Run the local iMednet API emulator on 127.0.0.1 (the same as `imednet emulator`).",
      description = {
        "Run the local iMednet API emulator on 127.0.0.1, serving a folder in the testdata format",
        "(default: the bundled sample studies). Prints the environment to point the exporter at it."
      })
  static final class Imednet implements Callable<Integer> {
    @Mixin ImednetOptions options;

    @Override
    public Integer call() throws Exception {
      return options.serve();
    }
  }

  /** The iMednet emulator's options, shared by {@code emulator} and {@code emulator imednet}. */
  static final class ImednetOptions {
    @Option(
        names = "--data",
        paramLabel = "DIR",
        description = "Studies folder (default: bundled samples).")
    Path data;

    @Option(
        names = "--port",
        paramLabel = "N",
        description = "Port (default: ${DEFAULT-VALUE}).",
        defaultValue = "8089")
    int port;

    @Option(
        names = "--latency-ms",
        paramLabel = "MS",
        description = "Added latency per request.",
        defaultValue = "0")
    long latencyMs;

    @Option(
        names = "--rps",
        paramLabel = "R",
        description = "Request budget per second; more get 429 (default: unlimited).",
        defaultValue = "0")
    int rps;

    Integer serve() throws Exception {
      Path root = data != null ? data : SampleStudies.root();
      ImednetEmulator.Builder b =
          ImednetEmulator.builder()
              .data(FolderStudyData.load(root))
              .port(port)
              .latency(Duration.ofMillis(latencyMs))
              // A long-running demo server must not keep every request in memory.
              .recordRequests(false);
      if (rps > 0) {
        b.requestsPerSecond(rps);
      }
      ImednetEmulator emu = b.build().start();
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    emu.close();
                    stopped.countDown();
                  }));
      System.out.println("iMednet API emulator serving " + root + " at " + emu.baseUrl());
      System.out.println("Point the exporter at it with:");
      System.out.println("  export IMEDNET_BASE_URL=" + emu.baseUrl());
      System.out.println("  export IMEDNET_API_KEY=" + ImednetEmulator.DEFAULT_API_KEY);
      System.out.println("  export IMEDNET_SECURITY_KEY=" + ImednetEmulator.DEFAULT_SECURITY_KEY);
      System.out.println("Ctrl-C to stop.");
      stopped.await();
      return ImednetCli.EXIT_OK;
    }
  }
}
