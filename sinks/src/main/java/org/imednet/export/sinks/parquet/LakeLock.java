package org.imednet.export.sinks.parquet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.List;
import javax.annotation.Nullable;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.util.MimeTypes;
import org.imednet.export.sinks.ledger.LockHolder;
import org.imednet.export.sinks.ledger.TargetLockedException;
import org.imednet.export.sinks.staging.RemoteFiles;

/**
 * One run at a time per lake on an object store ({@code s3://…}, any Beam {@link FileSystems}
 * scheme): the object {@code <lake>/_imednet/lock.json} names the holder ({@link LockHolder}: run
 * id, process id, host, start) while a run goes on, and is deleted when it ends, whatever the
 * outcome. The same rules as a local target's lock file:
 *
 * <pre>{@code
 * try (LakeLock lock = LakeLock.acquire("s3://bucket/lake", runId, Duration.ofHours(12), options)) {
 *   // read the ledger, export, commit
 * }
 * }</pre>
 *
 * <ul>
 *   <li>A run that finds the object is refused at once ({@link TargetLockedException}, one line
 *       naming the holder and the object to delete if that run is known to be gone).
 *   <li>A lock of a process of this host that no longer exists (killed with {@code kill -9}) is
 *       taken over, and so is any lock older than {@code staleAfter} (for Kubernetes pods, whose
 *       host names change); a lock of another host is not, otherwise.
 *   <li>{@link #close()} and a shutdown hook (SIGTERM, Ctrl-C) delete the object if it still names
 *       this run; only SIGKILL leaves it.
 * </ul>
 *
 * <h2>Not atomic: the race window</h2>
 *
 * Beam's {@code FileSystems} has no create-if-absent, and the S3 conditional write ({@code
 * If-None-Match: *} on a PUT) is out of reach: the AWS SDK on the class path (2.20) has no field
 * for it, Beam's S3 file system does not send it, and S3Proxy 2.6.0, which the tests run against,
 * honours {@code If-None-Match} on GET and HEAD only. So the lock is taken in three requests: read
 * the object (refuse if it names a live holder), write it, and read it back (refuse, naming the
 * winner, if another run's write replaced this one). Object stores such as S3 and GCS read their
 * own writes strongly, so two runs both go on only if each reads the object back before the other
 * has written it: both must start within the same few round trips (well under a second). A
 * scheduler that never starts two runs at once (cron, a Kubernetes CronJob with {@code
 * concurrencyPolicy: Forbid}) closes that window; the lock catches the overlap of a late run with
 * the next one, which is what happens in practice.
 */
public final class LakeLock implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String lake;
  private final String object;
  private final LockHolder holder;
  private final PipelineOptions options;
  private final Thread releaseOnExit;

  private LakeLock(String lake, LockHolder holder, PipelineOptions options) {
    this.lake = lake;
    this.object = objectOf(lake);
    this.holder = holder;
    this.options = options;
    // SIGTERM or Ctrl-C run shutdown hooks: the lock goes with the process.
    this.releaseOnExit =
        new Thread(
            () -> {
              try {
                release();
              } catch (IOException | RuntimeException e) {
                // the process is ending; the next run judges the lock as stale
              }
            },
            "imednet-lake-lock-release");
    Runtime.getRuntime().addShutdownHook(releaseOnExit);
  }

  /** The lock object of a remote lake: {@code <lake>/_imednet/lock.json}. */
  public static String objectOf(String lake) {
    return LakeLocation.remoteFolder(lake) + "/_imednet/lock.json";
  }

  /**
   * Takes the lock of the remote lake {@code lake} for {@code runId}, or throws {@link
   * TargetLockedException}; also takes over a lock older than {@code staleAfter} if not null.
   * {@code options} configure {@code FileSystems} for the lake's scheme (endpoint, region).
   */
  public static LakeLock acquire(
      String lake, String runId, @Nullable Duration staleAfter, PipelineOptions options)
      throws IOException {
    return acquire(lake, runId, staleAfter, options, () -> {});
  }

  /** For tests: {@code afterWrite} runs between this run's write and its read-back. */
  static LakeLock acquire(
      String lake,
      String runId,
      @Nullable Duration staleAfter,
      PipelineOptions options,
      IoStep afterWrite)
      throws IOException {
    String folder = LakeLocation.remoteFolder(lake);
    String object = objectOf(folder);
    LockHolder mine = LockHolder.current(runId);
    for (int attempt = 0; attempt < 3; attempt++) {
      RemoteFiles.useOptions(options);
      LockHolder found = read(object);
      if (found != null && !found.isStale(staleAfter)) {
        throw new TargetLockedException(found.refusal(folder, "delete " + object));
      }
      write(object, mine);
      afterWrite.run();
      LockHolder back = read(object);
      if (mine.equals(back)) {
        return new LakeLock(folder, mine, options);
      }
      if (back != null) {
        // Another run wrote the object after this one: it holds the lock.
        throw new TargetLockedException(back.refusal(folder, "delete " + object));
      }
      // Deleted meanwhile (its holder released it): try again.
    }
    throw new TargetLockedException(
        "could not take the lock " + object + "; this run changed nothing");
  }

  /** A step that may do I/O. */
  interface IoStep {
    void run() throws IOException;
  }

  /** The holder this lock wrote. */
  public LockHolder holder() {
    return holder;
  }

  /** The lake this lock is for. */
  public String lake() {
    return lake;
  }

  @Override
  public void close() throws IOException {
    try {
      Runtime.getRuntime().removeShutdownHook(releaseOnExit);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or about to: it deletes the object
    }
    release();
  }

  /** Deletes the lock object if it still names this run (a stale lock may have been taken over). */
  private void release() throws IOException {
    RemoteFiles.useOptions(options);
    if (holder.equals(read(object))) {
      FileSystems.delete(
          List.of(FileSystems.matchNewResource(object, false)),
          StandardMoveOptions.IGNORE_MISSING_FILES);
    }
  }

  /** The holder the lock object names, or null if there is none. */
  static @Nullable LockHolder read(String object) throws IOException {
    MatchResult match = FileSystems.match(object, EmptyMatchTreatment.ALLOW);
    if (match.status() == MatchResult.Status.NOT_FOUND || match.metadata().isEmpty()) {
      return null;
    }
    ResourceId id = match.metadata().get(0).resourceId();
    JsonNode json;
    try (InputStream in = Channels.newInputStream(FileSystems.open(id))) {
      json = JSON.readTree(in);
    } catch (FileNotFoundException | NoSuchFileException gone) {
      return null;
    }
    return new LockHolder(
        json.path("run_id").asText("?"),
        json.path("pid").asText("?"),
        json.path("host").asText("?"),
        json.path("started").asText("?"));
  }

  static void write(String object, LockHolder holder) throws IOException {
    ObjectNode json = JSON.createObjectNode();
    json.put("run_id", holder.runId());
    json.put("pid", holder.pid());
    json.put("host", holder.host());
    json.put("started", holder.started());
    try (OutputStream out =
        Channels.newOutputStream(
            FileSystems.create(FileSystems.matchNewResource(object, false), MimeTypes.TEXT))) {
      out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
    }
  }
}
