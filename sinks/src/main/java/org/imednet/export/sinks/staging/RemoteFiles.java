package org.imednet.export.sinks.staging;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.util.MimeTypes;

/**
 * Files on a Beam {@link FileSystems} scheme other than the local one ({@code s3://}, {@code
 * gs://}, {@code hdfs://}, …): telling such a location from a local path, checking that its scheme
 * has a FileSystem, uploading a finished local file as one object, telling whether an object
 * exists, deleting one, and copying a folder's objects to a local folder.
 */
public final class RemoteFiles {
  private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://.*");
  private static final int BUFFER = 1 << 16;
  // Far from Beam's own ids, which count up from 0.
  private static final AtomicLong NEXT_OPTIONS_ID = new AtomicLong(Long.MIN_VALUE / 2);
  private static final Map<PipelineOptions, Boolean> REGISTERED = new WeakHashMap<>();

  private RemoteFiles() {}

  /**
   * Makes {@link FileSystems} use {@code options} (this job's {@code --endpoint}, {@code
   * --awsRegion}, S3 client factory, …) in this JVM; call it right before each remote operation.
   *
   * <p>{@code FileSystems} is one registry per JVM, replaced by every {@code
   * setDefaultPipelineOptions} call, and the Flink runner makes such calls from every operator it
   * deploys, some with options of their own that carry none of the job's settings (found with a
   * registrar that logged each call: ids 6, 7, 8 with no region beside the job's id 5). A
   * registration from one of those made the next S3 request fail ("Unable to load region") or go to
   * AWS instead of {@code --endpoint}. So each copy of the options gets an id of its own once, and
   * this call re-registers it whenever another registration has replaced it since (and returns at
   * once otherwise). On Dataflow and real S3 (region and credentials from the environment) the
   * foreign registrations are harmless; with {@code --endpoint} they are not.
   */
  public static void useOptions(PipelineOptions options) {
    synchronized (REGISTERED) {
      if (!REGISTERED.containsKey(options)) {
        options.setOptionsId(NEXT_OPTIONS_ID.getAndIncrement());
        REGISTERED.put(options, Boolean.TRUE);
      }
    }
    FileSystems.setDefaultPipelineOptions(options);
  }

  /** Whether {@code location} is {@code scheme://…} with a scheme other than {@code file}. */
  public static boolean isRemote(String location) {
    return SCHEME.matcher(location).matches() && !location.regionMatches(true, 0, "file:", 0, 5);
  }

  /**
   * Checks that a Beam FileSystem is registered for {@code location}'s scheme in the current {@link
   * FileSystems} registry (the job's, once {@code Pipeline.create} or {@link #useOptions} ran).
   *
   * @throws IllegalArgumentException with a one-line message naming the scheme and the module that
   *     provides it, without a cause (a runner or CLI shows the innermost message)
   */
  public static void checkScheme(String location) {
    try {
      FileSystems.matchNewResource(location, true);
    } catch (IllegalArgumentException e) {
      int colon = location.indexOf(':');
      String scheme = colon > 0 ? location.substring(0, colon) : location;
      throw new IllegalArgumentException(
          "No Beam FileSystem for "
              + scheme
              + ":// is registered (for "
              + location
              + "): s3:// needs beam-sdks-java-io-amazon-web-services2 on the classpath,"
              + " gs:// beam-sdks-java-extensions-google-cloud-platform-core, azfs://"
              + " beam-sdks-java-io-azure, hdfs:// beam-sdks-java-io-hadoop-file-system");
    }
  }

  /**
   * Whether the object {@code target} exists (a {@code FileSystems.match} of its exact name, so it
   * must hold no glob characters).
   */
  public static boolean exists(String target) throws IOException {
    MatchResult match = FileSystems.match(target, EmptyMatchTreatment.ALLOW);
    if (match.status() == MatchResult.Status.NOT_FOUND) {
      return false;
    }
    return !match.metadata().isEmpty(); // an ERROR status throws its IOException here
  }

  /** Deletes the object {@code target}; one that does not exist is no error. */
  public static void delete(String target) throws IOException {
    FileSystems.delete(
        List.of(FileSystems.matchNewResource(target, false)),
        MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
  }

  /**
   * Writes the local file {@code local} as the object {@code target}. Object stores make the object
   * visible only once it is complete (S3 completes its multipart upload on close), so a failed
   * upload leaves no partial object.
   */
  public static void upload(Path local, String target) throws IOException {
    ResourceId id = FileSystems.matchNewResource(target, false);
    try (FileChannel in = FileChannel.open(local, StandardOpenOption.READ);
        WritableByteChannel out = FileSystems.create(id, MimeTypes.BINARY)) {
      ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
      while (in.read(buffer) >= 0) {
        buffer.flip();
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        buffer.clear();
      }
    }
  }

  /**
   * Copies every object under {@code folder} to the same relative path under {@code localDir}, and
   * returns the relative paths, sorted. Objects whose relative path would leave {@code localDir}
   * are refused.
   */
  public static List<String> download(String folder, Path localDir) throws IOException {
    String base = folder.endsWith("/") ? folder : folder + "/";
    MatchResult match = FileSystems.match(base + "**", EmptyMatchTreatment.ALLOW);
    List<String> names = new ArrayList<>();
    if (match.status() == MatchResult.Status.NOT_FOUND) {
      return names;
    }
    Path root = localDir.toAbsolutePath().normalize();
    for (MatchResult.Metadata m : match.metadata()) {
      String object = m.resourceId().toString();
      if (!object.startsWith(base) || object.endsWith("/")) {
        continue;
      }
      String relative = object.substring(base.length());
      Path target = root.resolve(relative).normalize();
      if (!target.startsWith(root) || target.equals(root)) {
        throw new IOException("Refusing to copy " + object + " outside " + localDir);
      }
      Files.createDirectories(target.getParent());
      try (ReadableByteChannel in = FileSystems.open(m.resourceId());
          FileChannel out =
              FileChannel.open(
                  target,
                  StandardOpenOption.CREATE,
                  StandardOpenOption.WRITE,
                  StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
        while (in.read(buffer) >= 0) {
          buffer.flip();
          while (buffer.hasRemaining()) {
            out.write(buffer);
          }
          buffer.clear();
        }
      }
      names.add(relative);
    }
    names.sort(null);
    return names;
  }
}
