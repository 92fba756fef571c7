package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A long-running command ({@code imednet emulator …}) on its own thread, its output captured;
 * {@link #stop()} is Ctrl-C.
 */
final class StartedCommand {
  private final CountDownLatch ready = new CountDownLatch(1);
  private final StringWriter out =
      new StringWriter() {
        @Override
        public void flush() {
          // The command flushes after its last line, "Ctrl-C to stop.".
          if (toString().contains("Ctrl-C to stop.")) {
            ready.countDown();
          }
        }
      };
  private final StringWriter err = new StringWriter();
  private final AtomicInteger exit = new AtomicInteger(-1);
  private final String[] args;
  private final Thread thread;

  private StartedCommand(String... args) {
    this.args = args.clone();
    thread =
        new Thread(
            () -> {
              try {
                exit.set(
                    ImednetCli.newCommandLine()
                        .setOut(new PrintWriter(out, true))
                        .setErr(new PrintWriter(err, true))
                        .execute(args));
              } finally {
                ready.countDown();
              }
            },
            "imednet-command");
    thread.setDaemon(true);
  }

  static StartedCommand start(String... args) {
    StartedCommand s = new StartedCommand(args);
    s.thread.start();
    return s;
  }

  /** What the command printed once it is ready ("Ctrl-C to stop."); fails if it ended first. */
  String awaitReady() throws InterruptedException {
    if (!ready.await(120, TimeUnit.SECONDS)) {
      throw new AssertionError("the command printed no settings in time:\n" + out + err);
    }
    String printed = out.toString();
    if (!printed.contains("Ctrl-C to stop.")) {
      throw new AssertionError("the command ended (" + exit.get() + "):\n" + printed + err);
    }
    System.out.println("imednet " + String.join(" ", args) + " printed:\n" + printed);
    return printed;
  }

  void stop() throws InterruptedException {
    thread.interrupt();
    thread.join(60_000);
    assertFalse(thread.isAlive(), "the command did not stop");
  }

  int exitCode() {
    return exit.get();
  }

  String err() {
    return err.toString();
  }
}
