package org.imednet.export.pipeline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import javax.annotation.Nullable;
import org.imednet.export.sinks.ledger.LockHolder;
import org.imednet.export.sinks.ledger.TargetLockedException;

/**
 * One run at a time per target: a lock file beside the target ({@code .<name>.lock} next to a
 * DuckDB file or a lake folder), created atomically, holding the run id, the process id, the host
 * and the start time ({@link LockHolder}), and removed when the run ends, whatever the outcome.
 *
 * <p>A second run that finds the lock is refused at once ({@link TargetLockedException}, one line
 * naming the holder). A lock left by a process that is gone (killed with {@code kill -9}, a power
 * cut) is taken over when it names this host and its process no longer exists; a lock of another
 * host is never taken over, since its process cannot be checked from here (remove the file if that
 * run is known to be gone).
 */
public final class TargetLock implements AutoCloseable {
  private final Path file;
  private final Thread releaseOnExit;

  private TargetLock(Path file) {
    this.file = file;
    // SIGTERM or Ctrl-C (a scheduler's timeout, a pod being stopped) runs shutdown hooks: the lock
    // goes with the process. Only SIGKILL or a crash leaves it, to be taken over as stale.
    this.releaseOnExit =
        new Thread(
            () -> {
              try {
                Files.deleteIfExists(file);
              } catch (IOException e) {
                // the process is ending; the next run judges the lock as stale
              }
            },
            "imednet-lock-release");
    Runtime.getRuntime().addShutdownHook(releaseOnExit);
  }

  /** The lock file of {@code target} (a file or folder): {@code .<name>.lock} beside it. */
  public static Path lockFileOf(Path target) {
    Path t = target.toAbsolutePath().normalize();
    return t.resolveSibling("." + t.getFileName() + ".lock");
  }

  /**
   * Takes the lock of {@code target} for {@code runId}, or throws {@link TargetLockedException}.
   */
  public static TargetLock acquire(Path target, String runId) throws IOException {
    return acquire(target, runId, null);
  }

  /**
   * As {@link #acquire(Path, String)}, also taking over a lock older than {@code staleAfter}
   * (whatever its host), if not null.
   */
  public static TargetLock acquire(Path target, String runId, @Nullable Duration staleAfter)
      throws IOException {
    Path file = lockFileOf(target);
    Files.createDirectories(file.getParent());
    String content = LockHolder.current(runId).toLines();
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        Files.writeString(file, content, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
        return new TargetLock(file);
      } catch (FileAlreadyExistsException e) {
        LockHolder holder;
        try {
          holder = LockHolder.parse(Files.readAllLines(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException gone) {
          continue; // released meanwhile: try again
        }
        if (!holder.isStale(staleAfter)) {
          throw new TargetLockedException(holder.refusal(target.toString(), "remove " + file));
        }
        Files.deleteIfExists(file);
      }
    }
    throw new TargetLockedException(
        "could not take the lock " + file + "; this run changed nothing");
  }

  @Override
  public void close() throws IOException {
    try {
      Runtime.getRuntime().removeShutdownHook(releaseOnExit);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or about to: it removes the file
    }
    Files.deleteIfExists(file);
  }
}
