package org.imednet.export.sinks.parquet;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;
import org.imednet.export.sinks.staging.RemoteFiles;

/**
 * Where a lake (or its metadata folder) lives: a local folder, written with hard links and renames
 * ({@link LakeCommit}), or a folder of an object store or any other Beam {@link
 * org.apache.beam.sdk.io.FileSystems} scheme ({@code s3://bucket/lake}, {@code gs://bucket/lake},
 * {@code hdfs://…}), written through {@code FileSystems} ({@link ObjectStoreLakeCommit}).
 *
 * <p>A location without a scheme, or with {@code file:}, is a local path. Anything of the form
 * {@code scheme://authority/path} is a remote folder: kept as written, without a trailing {@code
 * /}, with {@code //} and {@code .}/{@code ..} segments and glob characters ({@code * ? [ ] { }})
 * refused, since the commit lists objects with globs under it.
 */
public final class LakeLocation {
  private static final Pattern REMOTE = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*)://(.+)");
  private static final String GLOB_CHARACTERS = "*?[]{}";

  private LakeLocation() {}

  /** Whether {@code location} names a remote folder (a {@code scheme://} other than file). */
  public static boolean isRemote(String location) {
    return RemoteFiles.isRemote(location);
  }

  /** The local path of a location that is not remote ({@code file:} URIs included). */
  public static Path localPath(String location) {
    if (isRemote(location)) {
      throw new IllegalArgumentException(location + " is not a local path");
    }
    if (location.regionMatches(true, 0, "file:", 0, 5)) {
      return Path.of(URI.create(location));
    }
    return Path.of(location);
  }

  /**
   * Checks and normalises a remote folder: {@code s3://bucket/a/lake/} becomes {@code
   * s3://bucket/a/lake}. The folder must be below the bucket (or host), so that staging can live
   * beside it.
   *
   * @throws IllegalArgumentException with a one-line message naming what is wrong
   */
  public static String remoteFolder(String location) {
    java.util.regex.Matcher m = REMOTE.matcher(location);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a scheme://bucket/folder location: " + location);
    }
    String scheme = m.group(1).toLowerCase(Locale.ROOT);
    String rest = m.group(2);
    while (rest.endsWith("/")) {
      rest = rest.substring(0, rest.length() - 1);
    }
    int slash = rest.indexOf('/');
    if (slash <= 0 || slash == rest.length() - 1) {
      throw new IllegalArgumentException(
          "A lake on "
              + scheme
              + ":// must be a folder inside the bucket, such as "
              + scheme
              + "://bucket/lake, was "
              + location);
    }
    for (String segment : rest.substring(slash + 1).split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw new IllegalArgumentException(
            "A lake location must not contain empty, '.' or '..' segments: " + location);
      }
    }
    for (int i = 0; i < rest.length(); i++) {
      if (GLOB_CHARACTERS.indexOf(rest.charAt(i)) >= 0) {
        throw new IllegalArgumentException(
            "A lake location must not contain glob characters (* ? [ ] { }): " + location);
      }
    }
    return scheme + "://" + rest;
  }

  /** The folder holding {@code folder}: {@code s3://b/x/lake} gives {@code s3://b/x}. */
  static String parent(String folder) {
    return folder.substring(0, folder.lastIndexOf('/'));
  }

  /** The last segment of {@code folder}: {@code s3://b/x/lake} gives {@code lake}. */
  static String name(String folder) {
    return folder.substring(folder.lastIndexOf('/') + 1);
  }

  /** {@code s3://b/x/lake} gives {@code s3://b/x/.lake.staging}, as for local lakes. */
  static String stagingRoot(String folder) {
    return parent(folder) + "/." + name(folder) + ".staging";
  }

  /** Whether {@code a} is {@code b} or inside it (or the other way round). */
  static boolean nested(String a, String b) {
    return a.equals(b) || a.startsWith(b + "/") || b.startsWith(a + "/");
  }
}
