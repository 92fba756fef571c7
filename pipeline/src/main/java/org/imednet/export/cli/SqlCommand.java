package org.imednet.export.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code imednet sql DB SQL}: a read-only query of a DuckDB file, for machines without DuckDB. */
@Command(
    name = "sql",
    mixinStandardHelpOptions = true,
    header = "Query a DuckDB file (read-only) and print the result.",
    description = {
      "Query a DuckDB file read-only with the bundled DuckDB and print the result as a table,",
      "as the duckdb command line would. Example:",
      "  imednet sql ./central.duckdb \"SELECT record_id, variable_name, value FROM"
          + " silver_current_state ORDER BY record_id, variable_name LIMIT 10\""
    })
final class SqlCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "DB", description = "DuckDB database file.")
  Path db;

  @Parameters(index = "1", paramLabel = "SQL", description = "The query.")
  String sql;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(db)) {
      throw new IllegalArgumentException("DuckDB file " + db + " does not exist");
    }
    Properties readOnly = new Properties();
    readOnly.setProperty("duckdb.read_only", "true");
    try (Connection c =
            DriverManager.getConnection("jdbc:duckdb:" + db.toAbsolutePath(), readOnly);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      LakeCommand.printTable(rs);
    }
    return ImednetCli.EXIT_OK;
  }
}
