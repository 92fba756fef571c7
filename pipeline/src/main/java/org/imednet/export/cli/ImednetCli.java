package org.imednet.export.cli;

import java.io.PrintWriter;
import org.imednet.export.sinks.ledger.TargetLockedException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code imednet} command. {@link #execute} runs one command line and returns its exit code: 0
 * success, 1 error, 2 usage error (also a study key, form or variable the API does not have), 3 the
 * export finished but its rows do not reconcile with the API's totals.
 */
@Command(
    name = "imednet",
    mixinStandardHelpOptions = true,
    versionProvider = ImednetCli.Version.class,
    description = "Export iMednet EDC studies into a Parquet lake, DuckDB or Snowflake.",
    subcommands = {
      ExportCommand.class,
      BackfillCommand.class,
      LakeCommand.class,
      IngestRevisionsCommand.class,
      BuildSilverCommand.class,
      SqlCommand.class,
      EmulatorCommand.class,
      DemoCommand.class,
      CommandLine.HelpCommand.class
    })
public final class ImednetCli implements Runnable {
  public static final int EXIT_OK = 0;
  public static final int EXIT_ERROR = 1;
  public static final int EXIT_USAGE = 2;
  public static final int EXIT_MISMATCH = 3;

  /** Another run holds the target's lock; this run changed nothing. */
  public static final int EXIT_LOCKED = 4;

  /** A backfill finished with some studies failed (named in its summary). */
  public static final int EXIT_PARTIAL = 5;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    keepApiConnectionsAlive();
    System.exit(execute(args));
  }

  /**
   * The API client's connections ({@code HttpURLConnection}) are kept alive for reuse, but by
   * default at most 5 idle ones per host: with {@code --max-concurrent-requests} above 5, every
   * request beyond would open (and, against the real API, TLS-handshake) a new connection. A value
   * the user set is kept. Must run before the first request.
   */
  private static void keepApiConnectionsAlive() {
    if (System.getProperty("http.maxConnections") == null) {
      System.setProperty("http.maxConnections", "1000");
    }
  }

  /** Runs one command line; never calls {@link System#exit}. */
  public static int execute(String... args) {
    return newCommandLine().execute(args);
  }

  static CommandLine newCommandLine() {
    CommandLine cl = new CommandLine(new ImednetCli());
    cl.setExecutionExceptionHandler(new ErrorReporter());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    return cl;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Prints a one-line error a user can act on, and the exit code; stack traces only on request. */
  static final class ErrorReporter implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(
        Exception ex, CommandLine commandLine, CommandLine.ParseResult parseResult) {
      PrintWriter err = commandLine.getErr();
      if (ex instanceof TargetLockedException) {
        // Another run is at work on the target: a scheduler's expected outcome, one line.
        err.println("error: " + ex.getMessage());
        err.flush();
        return EXIT_LOCKED;
      }
      String userError = Errors.userError(ex);
      if (userError != null) {
        // The user named something the API does not have: one line, no stack trace to offer.
        err.println("error: " + userError);
        if ("1".equals(System.getenv("IMEDNET_DEBUG"))) {
          ex.printStackTrace(err);
        }
        err.flush();
        return EXIT_USAGE;
      }
      err.println("error: " + Errors.describe(ex));
      if ("1".equals(System.getenv("IMEDNET_DEBUG"))) {
        ex.printStackTrace(err);
      } else {
        err.println("(set IMEDNET_DEBUG=1 for the stack trace)");
      }
      err.flush();
      return EXIT_ERROR;
    }
  }

  /** The version from the jar manifest, if any. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = ImednetCli.class.getPackage().getImplementationVersion();
      return new String[] {"imednet " + (v == null ? "0.1.0-SNAPSHOT" : v)};
    }
  }
}
