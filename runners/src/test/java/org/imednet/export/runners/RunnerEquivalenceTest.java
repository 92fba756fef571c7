package org.imednet.export.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.imednet.export.cli.ImednetCli;
import org.imednet.export.runners.flink.FlinkSessionCluster;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same export of the bundled sample studies on the DirectRunner, on Flink's embedded
 * MiniCluster and on a real Flink session cluster (two JVMs this test starts and stops) gives
 * identical rows: the lakes and the DuckDB files are compared with DuckDB's {@code EXCEPT ALL} in
 * both directions, not by counts alone.
 */
@Tag("heavy")
class RunnerEquivalenceTest {
  private static final String API_KEY = "runner-test-api-key";
  private static final String SECURITY_KEY = "runner-test-security-key";

  @TempDir static Path tmp;
  private static ImednetEmulator api;
  private static FlinkSessionCluster cluster;

  @BeforeAll
  static void start() {
    api =
        ImednetEmulator.builder()
            .data(FolderStudyData.load(SampleStudies.root()))
            .credentials(API_KEY, SECURITY_KEY)
            .port(0)
            .build()
            .start();
    cluster = FlinkSessionCluster.start();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
    if (api != null) {
      api.close();
    }
  }

  private static int export(String name, List<String> runnerArgs) throws Exception {
    Path env = tmp.resolve("imednet.env");
    Files.writeString(
        env,
        "IMEDNET_BASE_URL="
            + api.baseUrl()
            + "\nIMEDNET_API_KEY="
            + API_KEY
            + "\nIMEDNET_SECURITY_KEY="
            + SECURITY_KEY
            + "\n");
    List<String> args =
        new ArrayList<>(
            List.of(
                "export",
                "parquet",
                "CARDIO01",
                "ONCO-22",
                "--lake",
                tmp.resolve(name + "-lake").toString(),
                "--duckdb",
                tmp.resolve(name + ".duckdb").toString(),
                "--env-file",
                env.toString(),
                "--progress",
                "none"));
    args.addAll(runnerArgs);
    return ImednetCli.execute(args.toArray(new String[0]));
  }

  @Test
  void directFlinkLocalAndTheSessionClusterWriteIdenticalRows() throws Exception {
    assertEquals(0, export("direct", List.of("--runner", "direct")));
    assertEquals(0, export("local", List.of("--runner", "flink", "--parallelism=2")));

    Path temp = Files.createDirectories(tmp.resolve("beam-temp"));
    List<String> clusterArgs = new ArrayList<>(List.of("--runner", "flink"));
    for (String a : cluster.submitArgs(FlinkSessionCluster.jobFiles())) {
      if (!a.startsWith("--runner=")) {
        clusterArgs.add(a);
      }
    }
    clusterArgs.add("--tempLocation=" + temp);
    assertEquals(0, export("cluster", clusterArgs));

    Map<String, Long> perForm = lakeCounts(tmp.resolve("direct-lake"));
    assertEquals(
        new TreeMap<>(
            Map.of(
                "CARDIO01/AE LOG",
                32L,
                "CARDIO01/DM",
                15L,
                "CARDIO01/LB",
                69L,
                "CARDIO01/VS",
                75L,
                "ONCO-22/DM",
                20L,
                "ONCO-22/EX",
                60L,
                "ONCO-22/TR",
                80L,
                "ONCO-22/TU",
                40L)),
        perForm);
    for (String other : List.of("local", "cluster")) {
      assertEquals(
          List.of(0L, 0L),
          symmetricDifference(lake(tmp.resolve("direct-lake")), lake(tmp.resolve(other + "-lake"))),
          "lake rows differ between direct and " + other);
      for (String table : List.of("VS", "DM", "TR", "imednet_variables", "imednet_columns")) {
        assertEquals(
            List.of(0L, 0L),
            symmetricDifference(
                duck(tmp.resolve("direct.duckdb"), table),
                duck(tmp.resolve(other + ".duckdb"), table)),
            "DuckDB table " + table + " differs between direct and " + other);
      }
    }
  }

  private static String lake(Path dir) {
    return "(SELECT * FROM read_parquet('"
        + dir
        + "/**/*.parquet', hive_partitioning = true,"
        + " union_by_name = true))";
  }

  private static String duck(Path db, String table) {
    return "(SELECT * FROM \"" + alias(db) + "\".main.\"" + table + "\")";
  }

  private static String alias(Path db) {
    return db.getFileName().toString().replace(".duckdb", "");
  }

  /** Rows only on the left, rows only on the right (multiset semantics). */
  private static List<Long> symmetricDifference(String left, String right) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      for (String name : List.of("direct", "local", "cluster")) {
        st.execute(
            "ATTACH '" + tmp.resolve(name + ".duckdb") + "' AS \"" + name + "\" (READ_ONLY)");
      }
      // union_by_name orders columns by file discovery, so compare on one sorted column list.
      List<String> columns = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("DESCRIBE SELECT * FROM " + left)) {
        while (rs.next()) {
          columns.add("\"" + rs.getString(1) + "\"");
        }
      }
      columns.sort(null);
      String cols = String.join(", ", columns);
      String l = "(SELECT " + cols + " FROM " + left + ")";
      String r = "(SELECT " + cols + " FROM " + right + ")";
      List<Long> out = new ArrayList<>();
      for (String sql :
          List.of(
              "SELECT count(*) FROM (" + l + " EXCEPT ALL " + r + ")",
              "SELECT count(*) FROM (" + r + " EXCEPT ALL " + l + ")")) {
        try (ResultSet rs = st.executeQuery(sql)) {
          rs.next();
          out.add(rs.getLong(1));
        }
      }
      return out;
    }
  }

  private static Map<String, Long> lakeCounts(Path dir) throws Exception {
    Map<String, Long> out = new TreeMap<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT study_key || '/' || form_key, count(*) FROM "
                    + lake(dir)
                    + " GROUP BY ALL")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getLong(2));
      }
    }
    return out;
  }
}
