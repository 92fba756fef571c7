package org.imednet.export.sinks.duckdb;

import static org.imednet.export.sinks.duckdb.DuckDbTableNames.literal;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One commit into a DuckDB file: a connection opened for it (DuckDB allows one writer per file, so
 * none is held longer), memory capped and spilling into the run's staging folder, the work done in
 * one transaction (rolled back on failure, so the file stays as it was), and the staging folder
 * removed after a successful commit.
 */
final class DuckDbCommit {
  /** DuckDB's memory limit during a commit. */
  static final String DEFAULT_MEMORY_LIMIT = "1GB";

  /** The SQL of a commit. */
  interface Work<T> {
    T run(Statement st) throws SQLException;
  }

  private DuckDbCommit() {}

  static <T> T inOneTransaction(Path db, Path runDir, Work<T> work)
      throws IOException, SQLException {
    return inOneTransaction(db, runDir, DEFAULT_MEMORY_LIMIT, work);
  }

  static <T> T inOneTransaction(Path db, Path runDir, String memoryLimit, Work<T> work)
      throws IOException, SQLException {
    Files.createDirectories(db.getParent());
    // Several pipelines of one JVM (a backfill's windows) may commit into one file: one at a time.
    synchronized (COMMITS.computeIfAbsent(db.toAbsolutePath().normalize(), k -> new Object())) {
      return commit(db, runDir, memoryLimit, work);
    }
  }

  private static final java.util.concurrent.ConcurrentMap<Path, Object> COMMITS =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static <T> T commit(Path db, Path runDir, String memoryLimit, Work<T> work)
      throws IOException, SQLException {
    T result;
    try (Connection connection = DriverManager.getConnection("jdbc:duckdb:" + db);
        Statement st = connection.createStatement()) {
      // Spill to the staging folder instead of growing the worker's memory with the data.
      st.execute("SET memory_limit = " + literal(memoryLimit));
      st.execute("SET temp_directory = " + literal(runDir.resolve("duckdb-tmp").toString()));
      st.execute("SET preserve_insertion_order = false");
      connection.setAutoCommit(false);
      try {
        result = work.run(st);
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw new SQLException(
            "Loading into "
                + db
                + " failed and was rolled back; the file is unchanged: "
                + e.getMessage(),
            e);
      }
    }
    deleteTree(runDir);
    try {
      Files.deleteIfExists(runDir.getParent());
    } catch (DirectoryNotEmptyException e) {
      // Another run's staging (concurrent or failed) is still there; it is not ours to remove.
    }
    return result;
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      List<Path> paths = walk.sorted(Comparator.reverseOrder()).collect(Collectors.toList());
      for (Path p : paths) {
        Files.delete(p);
      }
    }
  }
}
