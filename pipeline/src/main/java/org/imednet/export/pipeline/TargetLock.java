package org.imednet.export.pipeline;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One run at a time per target: a lock file beside the target ({@code .<name>.lock} next to a
 * DuckDB file or a lake folder), created atomically, holding the run id, the process id, the host
 * and the start time, and removed when the run ends, whatever the outcome.
 *
 * <p>A second run that finds the lock is refused at once ({@link LockedException}, one line naming
 * the holder). A lock left by a process that is gone (killed with {@code kill -9}, a power cut) is
 * taken over when it names this host and its process no longer exists; a lock of another host is
 * never taken over, since its process cannot be checked from here (remove the file if that run is
 * known to be gone).
 */
public final class TargetLock implements AutoCloseable {
  private final Path file;

  private TargetLock(Path file) {
    this.file = file;
  }

  /** The lock file of {@code target} (a file or folder): {@code .<name>.lock} beside it. */
  public static Path lockFileOf(Path target) {
    Path t = target.toAbsolutePath().normalize();
    return t.resolveSibling("." + t.getFileName() + ".lock");
  }

  /** Takes the lock of {@code target} for {@code runId}, or throws {@link LockedException}. */
  public static TargetLock acquire(Path target, String runId) throws IOException {
    Path file = lockFileOf(target);
    Files.createDirectories(file.getParent());
    String content =
        String.join(
                "\n",
                "run_id=" + runId,
                "pid=" + ProcessHandle.current().pid(),
                "host=" + host(),
                "started=" + Instant.now())
            + "\n";
    for (int attempt = 0; attempt < 2; attempt++) {
      try {
        Files.writeString(
            file, content, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE_NEW);
        return new TargetLock(file);
      } catch (FileAlreadyExistsException e) {
        List<String> holder;
        try {
          holder = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException gone) {
          continue; // released meanwhile: try again
        }
        if (attempt == 0 && isStale(holder)) {
          Files.deleteIfExists(file);
          continue;
        }
        throw new LockedException(
            "another run holds "
                + target
                + " ("
                + value(holder, "run_id").orElse("?")
                + ", pid "
                + value(holder, "pid").orElse("?")
                + " on "
                + value(holder, "host").orElse("?")
                + " since "
                + value(holder, "started").orElse("?")
                + "); this run changed nothing. If that run is gone, remove "
                + file);
      }
    }
    throw new LockedException("could not take the lock " + file + "; this run changed nothing");
  }

  /** A lock of this host whose process no longer exists. */
  private static boolean isStale(List<String> holder) {
    Optional<String> host = value(holder, "host");
    Optional<String> pid = value(holder, "pid");
    if (host.isEmpty() || pid.isEmpty() || !host.get().equals(host())) {
      return false;
    }
    try {
      return ProcessHandle.of(Long.parseLong(pid.get())).map(p -> !p.isAlive()).orElse(true);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static Optional<String> value(List<String> lines, String key) {
    return lines.stream()
        .filter(l -> l.startsWith(key + "="))
        .map(l -> l.substring(key.length() + 1))
        .findFirst();
  }

  private static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }

  @Override
  public void close() throws IOException {
    Files.deleteIfExists(file);
  }

  /** The target is locked by another run. */
  public static final class LockedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public LockedException(String message) {
      super(message);
    }
  }
}
