package org.imednet.export.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.imednet.export.sinks.parquet.HiveParquet;
import org.imednet.export.sinks.parquet.WriteHiveParquet;
import org.imednet.export.sinks.staging.RemoteFiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/** {@code imednet lake query DIR|s3://bucket/lake [SQL]}. */
@Command(
    name = "lake",
    mixinStandardHelpOptions = true,
    description = "Work with a Hive Parquet lake.",
    subcommands = {LakeCommand.Query.class})
final class LakeCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "query",
      mixinStandardHelpOptions = true,
      header = "Query a lake with DuckDB (the lake is the view `lake`).",
      description = {
        "Query a lake with DuckDB. The lake is the view `lake`:",
        "  "
            + "SELECT * FROM read_parquet('DIR/**/*.parquet', hive_partitioning = true, union_by_name = true)",
        "Without SQL, prints the row count per study and form.",
        "A lake on s3:// (or another Beam FileSystems scheme) is first copied to a temporary",
        "folder; Beam options such as --awsRegion=... --endpoint=... pass through.",
        "Example: imednet lake query out/lake \"SELECT form_key, count(*) FROM lake GROUP BY ALL\""
      })
  static final class Query implements Callable<Integer> {
    @Parameters(
        index = "0",
        paramLabel = "DIR",
        description = "Lake directory, or a folder such as s3://bucket/lake.")
    String dir;

    @Parameters(
        index = "1",
        arity = "0..1",
        paramLabel = "SQL",
        description = "SQL over the view `lake` (default: rows per study and form).")
    String sql;

    @Unmatched List<String> beamArgs = new ArrayList<>();

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      if (!WriteHiveParquet.isRemote(dir)) {
        if (!beamArgs.isEmpty()) {
          // Beam options only make sense for a remote lake; anything else is a usage error.
          throw new CommandLine.ParameterException(
              spec.commandLine(), "Unknown option: '" + beamArgs.get(0) + "'");
        }
        return query(Path.of(dir));
      }
      PipelineOptions options =
          PipelineOptionsFactory.fromArgs(beamArgs.toArray(new String[0])).create();
      FileSystems.setDefaultPipelineOptions(options);
      Path copy = Files.createTempDirectory("imednet-lake-");
      try {
        if (RemoteFiles.download(dir, copy).isEmpty()) {
          throw new IllegalArgumentException("lake " + dir + " holds no objects");
        }
        return query(copy);
      } finally {
        try (Stream<Path> walk = Files.walk(copy)) {
          for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
            Files.deleteIfExists(p);
          }
        }
      }
    }

    private Integer query(Path dir) throws Exception {
      if (!Files.isDirectory(dir)) {
        throw new IllegalArgumentException("lake directory " + dir + " does not exist");
      }
      String query =
          sql != null
              ? sql
              : "SELECT study_key, form_key, count(*) AS records FROM lake GROUP BY ALL ORDER BY ALL";
      try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
          Statement st = c.createStatement()) {
        st.execute("CREATE VIEW lake AS " + HiveParquet.query(dir));
        try (ResultSet rs = st.executeQuery(query)) {
          printTable(rs);
        }
      }
      return ImednetCli.EXIT_OK;
    }
  }

  static void printTable(ResultSet rs) throws Exception {
    ResultSetMetaData md = rs.getMetaData();
    int n = md.getColumnCount();
    List<String[]> rows = new ArrayList<>();
    String[] header = new String[n];
    int[] w = new int[n];
    for (int i = 0; i < n; i++) {
      header[i] = md.getColumnLabel(i + 1);
      w[i] = header[i].length();
    }
    while (rs.next()) {
      String[] r = new String[n];
      for (int i = 0; i < n; i++) {
        Object v = rs.getObject(i + 1);
        r[i] = v == null ? "NULL" : v.toString();
        if (v instanceof java.sql.Timestamp && r[i].endsWith(".0")) {
          // Timestamp prints whole seconds as "…:00.0"; DuckDB's own shell prints "…:00".
          r[i] = r[i].substring(0, r[i].length() - 2);
        }
        w[i] = Math.max(w[i], r[i].length());
      }
      rows.add(r);
    }
    System.out.println(line(header, w));
    for (String[] r : rows) {
      System.out.println(line(r, w));
    }
    System.out.println("(" + rows.size() + " row" + (rows.size() == 1 ? "" : "s") + ")");
  }

  private static String line(String[] cells, int[] w) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      if (i > 0) {
        sb.append(" | ");
      }
      sb.append(cells[i]).append(" ".repeat(w[i] - cells[i].length()));
    }
    return sb.toString().stripTrailing();
  }
}
