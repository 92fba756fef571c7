package org.imednet.export.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import javax.annotation.Nullable;

/**
 * Stops a local emulator started by an {@code imednet emulator …} command once, from the shutdown
 * hook or the command, whichever comes first, and removes its temporary folder.
 */
final class EmulatorStop {
  /** What stops the emulator. */
  interface Close {
    void close() throws Exception;
  }

  final CountDownLatch stopped = new CountDownLatch(1);
  private final Close close;
  private final @Nullable Path removeOnStop;
  private boolean done;

  EmulatorStop(Close close, @Nullable Path removeOnStop) {
    this.close = close;
    this.removeOnStop = removeOnStop;
  }

  synchronized void stop() {
    if (done) {
      return;
    }
    done = true;
    try {
      close.close();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the emulator", e);
    } finally {
      if (removeOnStop != null) {
        deleteTree(removeOnStop);
      }
      stopped.countDown();
    }
  }

  /** Removes {@code dir} and everything under it, if it exists. */
  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the emulator's temporary folder " + dir, e);
    }
  }
}
