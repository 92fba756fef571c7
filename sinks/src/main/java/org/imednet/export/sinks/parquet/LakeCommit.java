package org.imednet.export.sinks.parquet;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.annotation.Nullable;
import org.imednet.export.read.ReadStudyMetadataTables;
import org.imednet.export.rows.TableSchema;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.staging.StagedFile;

/**
 * The commit of one run of {@link WriteHiveParquet}: builds each study's new folders next to the
 * lake, then swaps them in by rename. Plain file-system logic, so it can be tested without Beam.
 *
 * <p>Staged files are hard-linked (copied where links are not supported) into the new trees, never
 * moved, so the whole commit can be repeated after a crash: a repeated commit rebuilds the trees
 * from the staged files and swaps again, and a study whose old folder was moved aside but whose new
 * folder was not yet moved in is first restored.
 */
final class LakeCommit {
  private final Path lake;
  private final Path lakeRun;
  private final Path metadata;
  private final Path metadataRun;

  /** What the commit replaced: committed rows per study and form (form tables only). */
  final Map<String, Map<String, Long>> formRows = new TreeMap<>();

  /** The partition folders the commit wrote, absolute. */
  final List<String> committed = new ArrayList<>();

  /** The run as the lake's ledger records it, or null; with {@link LedgerRun#merge()}, upserts. */
  private final @Nullable LedgerRun ledger;

  LakeCommit(Path lake, Path lakeRun, Path metadata, Path metadataRun) {
    this(lake, lakeRun, metadata, metadataRun, null);
  }

  LakeCommit(Path lake, Path lakeRun, Path metadata, Path metadataRun, @Nullable LedgerRun ledger) {
    this.lake = lake;
    this.lakeRun = lakeRun;
    this.metadata = metadata;
    this.metadataRun = metadataRun;
    this.ledger = ledger;
  }

  /** Whether {@code study}'s rows are a window to upsert rather than the study whole. */
  private boolean upserts(String study) {
    return ledger != null && ledger.merge() && ledger.windowFrom(study) != null;
  }

  void commit(Iterable<StagedFile> staged) throws IOException {
    // study -> form -> files, and table -> study -> files; sorted so part numbers are stable.
    Map<String, Map<String, List<StagedFile>>> forms = new TreeMap<>();
    Map<String, Map<String, List<StagedFile>>> tables = new TreeMap<>();
    for (StagedFile f : staged) {
      Map<String, Map<String, List<StagedFile>>> target =
          f.kind() == TableSchema.Kind.FORM ? forms : tables;
      String outer = f.kind() == TableSchema.Kind.FORM ? f.studyKey() : f.tableKey();
      String inner = f.kind() == TableSchema.Kind.FORM ? f.tableKey() : f.studyKey();
      target
          .computeIfAbsent(outer, k -> new TreeMap<>())
          .computeIfAbsent(inner, k -> new ArrayList<>())
          .add(f);
    }

    // Phase 1: build every new folder; the lake is not touched yet.
    List<Path[]> swaps = new ArrayList<>();
    Path lakeBuild = lakeRun.resolve("commit");
    for (Map.Entry<String, Map<String, List<StagedFile>>> study : forms.entrySet()) {
      String studyFolder = HiveParquet.studyFolder(study.getKey());
      Path live = lake.resolve(studyFolder);
      Path aside = lakeRun.resolve("replaced").resolve(studyFolder);
      restoreIfInterrupted(live, aside);
      Path build = lakeBuild.resolve(studyFolder);
      deleteTree(build);
      Files.createDirectories(build);
      Map<String, Long> rows = formRows.computeIfAbsent(study.getKey(), k -> new TreeMap<>());
      for (Map.Entry<String, List<StagedFile>> form : study.getValue().entrySet()) {
        String formFolder = HiveParquet.formFolder(form.getKey());
        if (upserts(study.getKey())) {
          if (rowCount(form.getValue()) == 0 && Files.isDirectory(live.resolve(formFolder))) {
            rows.put(form.getKey(), 0L); // nothing changed: the live partition is kept below
            continue;
          }
          carryOver(
              live.resolve(formFolder), form.getValue(), build.resolve(formFolder), "record_id");
        }
        rows.put(form.getKey(), linkParts(form.getValue(), build.resolve(formFolder)));
        committed.add(live.resolve(formFolder).toString());
      }
      if (Files.isDirectory(live)) {
        // Forms this run did not export keep their current files.
        try (Stream<Path> children = Files.list(live)) {
          for (Path child : (Iterable<Path>) children.sorted()::iterator) {
            Path target = build.resolve(child.getFileName().toString());
            if (!Files.exists(target)) {
              linkTree(child, target);
            }
          }
        }
      }
      swaps.add(new Path[] {build, live, aside});
    }
    Path metadataBuild = metadataRun.resolve("commit");
    for (Map.Entry<String, Map<String, List<StagedFile>>> table : tables.entrySet()) {
      String tableFolder = HiveParquet.tableFolder(table.getKey());
      for (Map.Entry<String, List<StagedFile>> study : table.getValue().entrySet()) {
        String studyFolder = HiveParquet.studyFolder(study.getKey());
        Path live = metadata.resolve(tableFolder).resolve(studyFolder);
        Path aside = metadataRun.resolve("replaced").resolve(tableFolder).resolve(studyFolder);
        restoreIfInterrupted(live, aside);
        Path build = metadataBuild.resolve(tableFolder).resolve(studyFolder);
        deleteTree(build);
        String key = ReadStudyMetadataTables.windowKey(table.getKey());
        if (key != null && upserts(study.getKey())) {
          // A windowed table (subjects, visits, revisions) of a window: upserted by its id.
          carryOver(live, study.getValue(), build, key);
        }
        linkParts(study.getValue(), build);
        committed.add(live.toString());
        swaps.add(new Path[] {build, live, aside});
      }
    }

    // Phase 2: swap; each study (or metadata table of a study) is two renames.
    for (Path[] swap : swaps) {
      Path build = swap[0];
      Path live = swap[1];
      Path aside = swap[2];
      Files.createDirectories(live.getParent());
      if (Files.exists(live)) {
        Files.createDirectories(aside.getParent());
        deleteTree(aside);
        Files.move(live, aside, StandardCopyOption.ATOMIC_MOVE);
      }
      Files.move(build, live, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  /** Removes this run's staging folders and, if nothing else is in them, the staging roots. */
  void cleanUp() throws IOException {
    for (Path run : new Path[] {lakeRun, metadataRun}) {
      deleteTree(run);
      try {
        Files.deleteIfExists(run.getParent());
      } catch (DirectoryNotEmptyException e) {
        // Another run's staging (concurrent or failed) is still there; it is not ours to remove.
      }
    }
  }

  private static long rowCount(List<StagedFile> files) {
    return files.stream().mapToLong(StagedFile::rowCount).sum();
  }

  /**
   * Writes into {@code build} the rows of the live partition {@code live} whose {@code key} no
   * staged row has ({@code part-carried.parquet}; nothing if none is left), so the new partition is
   * the old rows with the staged rows replacing theirs. Read without Hive partitioning: the files
   * carry their own {@code study_key} and {@code form_key}.
   */
  private void carryOver(Path live, List<StagedFile> staged, Path build, String key)
      throws IOException {
    List<String> old = new ArrayList<>();
    if (Files.isDirectory(live)) {
      try (Stream<Path> files = Files.list(live)) {
        files
            .filter(f -> f.getFileName().toString().endsWith(".parquet"))
            .sorted()
            .forEach(f -> old.add(f.toString()));
      }
    }
    if (old.isEmpty()) {
      return;
    }
    Files.createDirectories(build);
    try {
      carry(
          duckDb(),
          old,
          staged.stream().map(StagedFile::path).toList(),
          build.resolve("part-carried.parquet"),
          key);
    } catch (java.sql.SQLException e) {
      throw new IOException("Merging the new rows into " + live + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Writes to {@code carried} the rows of the Parquet files {@code old} whose {@code key} no row of
   * the files {@code staged} has, and returns how many; writes nothing if none is left. Shared by
   * the local and the object-store commit (which runs it over local copies of the objects).
   */
  static long carry(
      java.sql.Connection duckDb, List<String> old, List<String> staged, Path carried, String key)
      throws java.sql.SQLException {
    String quotedKey = "\"" + key.replace("\"", "\"\"") + "\"";
    String select =
        "SELECT o.* FROM "
            + readParquet(old)
            + " o WHERE NOT EXISTS (SELECT 1 FROM "
            + readParquet(staged)
            + " n WHERE n."
            + quotedKey
            + " = o."
            + quotedKey
            + ")";
    try (java.sql.Statement st = duckDb.createStatement()) {
      long kept;
      try (java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM (" + select + ")")) {
        rs.next();
        kept = rs.getLong(1);
      }
      if (kept > 0) {
        st.execute(
            "COPY ("
                + select
                + ") TO "
                + literal(carried.toString())
                + " (FORMAT parquet, COMPRESSION snappy)");
      }
      return kept;
    }
  }

  private @Nullable java.sql.Connection duckDb;

  private java.sql.Connection duckDb() throws java.sql.SQLException {
    if (duckDb == null) {
      duckDb = java.sql.DriverManager.getConnection("jdbc:duckdb:");
    }
    return duckDb;
  }

  /**
   * The new high-water marks among the staged rows: of the form rows per study into {@code forms},
   * of the windowed metadata tables per study and table into {@code tables}.
   */
  void marks(
      Iterable<StagedFile> staged,
      Map<String, java.time.LocalDateTime> forms,
      Map<String, Map<String, java.time.LocalDateTime>> tables)
      throws IOException {
    List<StagedFile> all = new ArrayList<>();
    staged.forEach(all::add);
    try (java.sql.Statement st = duckDb().createStatement()) {
      org.imednet.export.sinks.duckdb.DuckDbLedger.marks(st, all, forms, tables);
    } catch (java.sql.SQLException e) {
      throw new IOException(
          "Reading the staged rows' high-water marks failed: " + e.getMessage(), e);
    }
  }

  /** Closes the commit's DuckDB connection, if it opened one. */
  void closeDuckDb() {
    if (duckDb != null) {
      try {
        duckDb.close();
      } catch (java.sql.SQLException e) {
        // in-memory: nothing to lose
      }
      duckDb = null;
    }
  }

  private static String readParquet(List<String> files) {
    StringBuilder sb = new StringBuilder("read_parquet([");
    for (int i = 0; i < files.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(literal(files.get(i)));
    }
    return sb.append("], union_by_name = true, hive_partitioning = false)").toString();
  }

  private static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }

  private static void restoreIfInterrupted(Path live, Path aside) throws IOException {
    if (!Files.exists(live) && Files.isDirectory(aside)) {
      Files.createDirectories(live.getParent());
      Files.move(aside, live, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  private static long linkParts(List<StagedFile> files, Path dir) throws IOException {
    Files.createDirectories(dir);
    List<StagedFile> sorted = new ArrayList<>(files);
    sorted.sort(Comparator.comparing(StagedFile::path));
    long rows = 0;
    for (int i = 0; i < sorted.size(); i++) {
      link(Path.of(sorted.get(i).path()), dir.resolve(String.format("part-%05d.parquet", i)));
      rows += sorted.get(i).rowCount();
    }
    return rows;
  }

  private static void linkTree(Path source, Path target) throws IOException {
    if (Files.isDirectory(source)) {
      Files.createDirectories(target);
      try (Stream<Path> children = Files.list(source)) {
        for (Path child : (Iterable<Path>) children::iterator) {
          linkTree(child, target.resolve(child.getFileName().toString()));
        }
      }
    } else {
      link(source, target);
    }
  }

  private static void link(Path source, Path target) throws IOException {
    try {
      Files.createLink(target, source);
    } catch (FileAlreadyExistsException e) {
      throw e;
    } catch (UnsupportedOperationException | IOException e) {
      // Links are not supported on every file system (or across devices); a copy is equivalent.
      Files.copy(source, target);
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      List<Path> paths = new ArrayList<>();
      walk.forEach(paths::add);
      paths.sort(Comparator.reverseOrder());
      for (Path p : paths) {
        Files.delete(p);
      }
    }
  }
}
