package org.imednet.export.sinks.snowflake;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JSON-lines manifest: one {@link LoadResult} per line, appended as batches finish. It is also
 * the ledger re-runs consult: a batch whose content hash is already {@code LOADED} into the same
 * table is not sent again, however long ago (Snowflake's own load history ends after 64 days).
 *
 * <p>Appends are whole lines under a JVM lock and a file lock, so loaders in several threads or
 * processes on one machine may share a manifest. A line cut short by a crash is skipped on read.
 */
public final class LoadManifest {
  private static final Logger LOG = LoggerFactory.getLogger(LoadManifest.class);
  private static final ObjectMapper MAPPER =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final ConcurrentHashMap<Path, Object> LOCKS = new ConcurrentHashMap<>();

  private final Path path;

  public LoadManifest(Path path) {
    this.path = path.toAbsolutePath();
  }

  public Path path() {
    return path;
  }

  /** Every entry in the file, in order; an empty list when it does not exist. */
  public List<LoadResult> read() {
    List<LoadResult> out = new ArrayList<>();
    if (!Files.exists(path)) {
      return out;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the Snowflake load manifest " + path, e);
    }
    int skipped = 0;
    for (String line : lines) {
      if (line.isBlank()) {
        continue;
      }
      try {
        out.add(MAPPER.readValue(line, LoadResult.class));
      } catch (JsonProcessingException e) {
        skipped++;
      }
    }
    if (skipped > 0) {
      LOG.warn("Skipped {} unreadable line(s) of the load manifest {}", skipped, path);
    }
    return out;
  }

  /** Keys {@code <target table>|<sha256>} of the batches recorded as LOADED. */
  public Set<String> loadedKeys() {
    Set<String> keys = new HashSet<>();
    for (LoadResult r : read()) {
      if (r.status() == LoadResult.Status.LOADED) {
        keys.add(key(r.targetTable(), r.sha256()));
      }
    }
    return keys;
  }

  static String key(String targetTable, String sha256) {
    return targetTable + "|" + sha256;
  }

  /** Appends one line and forces it to disk. */
  public void append(LoadResult result) {
    byte[] line;
    try {
      line = (MAPPER.writeValueAsString(result) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot encode manifest entry " + result, e);
    }
    synchronized (LOCKS.computeIfAbsent(path, p -> new Object())) {
      try {
        if (path.getParent() != null) {
          Files.createDirectories(path.getParent());
        }
        try (FileChannel ch =
                FileChannel.open(
                    path,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
            FileLock ignored = ch.lock()) {
          ByteBuffer buf = ByteBuffer.wrap(line);
          while (buf.hasRemaining()) {
            ch.write(buf);
          }
          ch.force(false);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot append to the Snowflake load manifest " + path, e);
      }
    }
  }

  /** One entry as its JSON line (without the newline). */
  static String toJson(LoadResult result) {
    try {
      return MAPPER.writeValueAsString(result);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
