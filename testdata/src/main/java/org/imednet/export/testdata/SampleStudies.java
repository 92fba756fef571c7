package org.imednet.export.testdata;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The bundled sample studies ({@code testdata/studies/<studyKey>/}, described with exact counts in
 * {@code testdata/studies/README.md}).
 *
 * <pre>{@code
 * ImednetEmulator emu = ImednetEmulator.builder()
 *     .data(FolderStudyData.load(SampleStudies.root()))
 *     .build().start();
 * }</pre>
 *
 * <p>{@link #root()} is the folder in the source tree when the working directory is inside it (any
 * module of this build); otherwise the {@code studies/} resources of the testdata jar are extracted
 * once per JVM to a temporary folder. Treat the folder as read-only.
 */
public final class SampleStudies {
  private static final String MARKER = "CARDIO01/study.json";
  private static Path root;

  private SampleStudies() {}

  /** The folder holding one sub-folder per sample study. */
  public static synchronized Path root() {
    if (root == null) {
      root = findSourceTree();
      if (root == null) {
        root = extractFromClasspath();
      }
    }
    return root;
  }

  /**
   * The sample studies as they are on the "next day" ({@code testdata/studies-next-day/}, written
   * by its {@code make-next-day.py}: CARDIO01 with two records edited, one deleted, one added and
   * two new revisions), for showing incremental loads. Only in the source tree.
   */
  public static synchronized Path nextDayRoot() {
    Path next = root().resolveSibling("studies-next-day");
    if (!Files.isRegularFile(next.resolve(MARKER))) {
      throw new IllegalStateException(
          "the next-day sample studies are not at " + next + " (they are not in the testdata jar)");
    }
    return next;
  }

  /** The sample study keys, sorted. */
  public static List<String> keys() {
    List<String> keys = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(root())) {
      dirs.filter(d -> Files.isRegularFile(d.resolve("study.json")))
          .map(d -> d.getFileName().toString())
          .sorted()
          .forEach(keys::add);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list sample studies in " + root(), e);
    }
    return keys;
  }

  private static Path findSourceTree() {
    Path dir = Paths.get(System.getProperty("user.dir")).toAbsolutePath();
    for (int up = 0; up < 3 && dir != null; up++, dir = dir.getParent()) {
      for (Path candidate : List.of(dir.resolve("studies"), dir.resolve("testdata/studies"))) {
        if (Files.isRegularFile(candidate.resolve(MARKER))
            && Files.isRegularFile(candidate.resolve("README.md"))) {
          return candidate;
        }
      }
    }
    return null;
  }

  private static Path extractFromClasspath() {
    URL marker = SampleStudies.class.getClassLoader().getResource("studies/" + MARKER);
    if (marker == null) {
      throw new IllegalStateException(
          "sample studies not found: no testdata/studies folder above "
              + System.getProperty("user.dir")
              + " and no studies/ resources on the classpath");
    }
    try {
      if ("file".equals(marker.getProtocol())) {
        return Paths.get(marker.toURI()).getParent().getParent();
      }
      Path target = Files.createTempDirectory("imednet-sample-studies");
      String jarPath = marker.getPath().substring("file:".length(), marker.getPath().indexOf('!'));
      try (JarFile jar = new JarFile(Paths.get(new java.net.URI("file:" + jarPath)).toFile())) {
        Enumeration<JarEntry> entries = jar.entries();
        while (entries.hasMoreElements()) {
          JarEntry e = entries.nextElement();
          if (!e.getName().startsWith("studies/") || e.isDirectory()) {
            continue;
          }
          Path out = target.resolve(e.getName().substring("studies/".length())).normalize();
          if (!out.startsWith(target)) {
            throw new IllegalStateException("bad entry " + e.getName());
          }
          Files.createDirectories(out.getParent());
          try (InputStream in = jar.getInputStream(e)) {
            Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract the sample studies", e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot locate the sample studies at " + marker, e);
    }
  }
}
