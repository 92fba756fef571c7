package org.imednet.export.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.imednet.export.sinks.duckdb.DuckDbHistory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code imednet build-silver STUDY DB} or {@code imednet build-silver --all-studies DB}. */
@Command(
    name = "build-silver",
    mixinStandardHelpOptions = true,
    header = "Rebuild silver current state and value audit from bronze.",
    description = {
      "Rebuild, in one transaction, from the bronze tables of a DuckDB file:",
      "  silver_current_state  the latest observed version of each record, one row per non-blank",
      "                        value, records deleted in the API left out (all studies ingested;",
      "                        with STUDY only that study's rows are rebuilt)",
      "  audit_value_changes   each value that differs between consecutive observed versions,",
      "                        with old and new value and the matching revision's user, role and",
      "                        reason for change",
      "Reads nothing from the API. Example:",
      "  imednet build-silver MY_STUDY ./central.duckdb",
      "  duckdb ./central.duckdb \"SELECT record_id, variable_name, value FROM"
          + " silver_current_state ORDER BY record_id, variable_name LIMIT 10\""
    })
final class BuildSilverCommand implements Callable<Integer> {
  @Parameters(
      arity = "1..2",
      paramLabel = "STUDY DB",
      description = "Study key and DuckDB file; with --all-studies only the DuckDB file.")
  List<String> positional = new ArrayList<>();

  @Option(names = "--all-studies", description = "Rebuild every ingested study.")
  boolean allStudies;

  @Override
  public Integer call() throws Exception {
    StudyAndDatabase args = StudyAndDatabase.parse(positional, allStudies);
    List<String> studies = args.study == null ? null : List.of(args.study);
    Path db = args.database;
    if (!Files.isRegularFile(db)) {
      throw new IllegalArgumentException(db + " does not exist: run ingest-revisions first");
    }
    long rows = DuckDbHistory.buildSilver(db, studies);
    System.out.println(
        "Built "
            + DuckDbHistory.SILVER
            + " and "
            + DuckDbHistory.AUDIT
            + " for "
            + (studies == null ? "every ingested study" : studies.get(0))
            + ": "
            + rows
            + " current values");
    return ImednetCli.EXIT_OK;
  }
}
