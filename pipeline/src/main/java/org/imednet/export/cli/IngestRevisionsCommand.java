package org.imednet.export.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.history.DateWindow;
import org.imednet.export.pipeline.Ingestion;
import org.imednet.export.sinks.duckdb.DuckDbHistory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/**
 * {@code imednet ingest-revisions STUDY DB --start-date D --end-date D [--mode append|replace]}.
 */
@Command(
    name = "ingest-revisions",
    mixinStandardHelpOptions = true,
    header = "Load a date window of record history into DuckDB bronze.",
    description = {
      "Load a date window (UTC days, both included) of one study's record history into DuckDB:",
      "  bronze_record_revisions  the record revisions created in the window (audit metadata)",
      "  bronze_record_values     every value of every record modified in the window, one row",
      "                           per variable and observed record version (raw text + typed)",
      "  bronze_ingest_runs       one row per study and run",
      "Everything a run writes is in one transaction. Then run build-silver.",
      "Examples:",
      "  imednet ingest-revisions MY_STUDY ./central.duckdb --start-date 2026-01-01"
          + " --end-date 2026-01-31",
      "  imednet ingest-revisions --all-studies ./central.duckdb --start-date 2026-02-01"
          + " --end-date 2026-02-28 --mode replace"
    })
final class IngestRevisionsCommand implements Callable<Integer> {
  @Parameters(
      arity = "1..2",
      paramLabel = "STUDY DB",
      description = "Study key and DuckDB file; with --all-studies only the DuckDB file.")
  List<String> positional = new ArrayList<>();

  @Option(
      names = "--start-date",
      required = true,
      paramLabel = "YYYY-MM-DD",
      description = "First day of the window (UTC).")
  String startDate;

  @Option(
      names = "--end-date",
      required = true,
      paramLabel = "YYYY-MM-DD",
      description = "Last day of the window (UTC), included.")
  String endDate;

  @Option(
      names = "--mode",
      paramLabel = "MODE",
      defaultValue = "append",
      description =
          "append (default: rows already in bronze are not inserted again, so a re-run inserts 0)"
              + " or replace (first remove what bronze holds for the window and study).")
  DuckDbHistory.Mode mode;

  @Mixin CommonExportOptions common;

  @Unmatched List<String> beamArgs = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    common.beamArgs = beamArgs;
    rejectExportOnlyOptions(common, "ingest-revisions");
    DateWindow window = DateWindow.parse(startDate, endDate);
    StudyAndDatabase args = StudyAndDatabase.parse(positional, common.allStudies);
    String study = args.study;
    Path db = args.database;
    ApiConfig api = common.apiConfig();
    List<String> studies = common.studies(study == null ? List.of() : List.of(study), api);
    Ingestion.Result r;
    try (ProgressReporter progress = common.progress(System.err)) {
      r =
          Ingestion.create(api, db)
              .withBeamArgs(common.beamArguments())
              .withErrorsDir(common.errorsDir)
              .ingest(studies, window, mode);
    }
    System.out.println();
    System.out.println(
        "Window "
            + window
            + " ("
            + mode.name().toLowerCase(java.util.Locale.ROOT)
            + "), run "
            + r.runId()
            + ", "
            + String.join(", ", studies));
    System.out.println(
        "Records modified in the window: "
            + r.apiTotal()
            + " in the API, "
            + r.recordsFetched()
            + " fetched");
    System.out.println(
        "bronze_record_values: inserted "
            + r.valuesInserted()
            + " value rows of "
            + r.recordVersionsInserted()
            + " record versions");
    System.out.println("Record revisions created in the window: " + r.revisionsFetched());
    System.out.println("Inserted " + r.revisionsInserted() + " revision rows");
    return ImednetCli.EXIT_OK;
  }

  /** The selection and naming options of the exports do not apply to the history tables. */
  static void rejectExportOnlyOptions(CommonExportOptions common, String command) {
    List<String> given = new ArrayList<>();
    if (!common.forms.isEmpty()) {
      given.add("--forms");
    }
    if (!common.vars.isEmpty()) {
      given.add("--vars");
    }
    if (common.useLabels) {
      given.add("--use-labels");
    }
    if (common.dryRun) {
      given.add("--dry-run");
    }
    if (!given.isEmpty()) {
      throw new IllegalArgumentException(
          String.join(", ", given)
              + (given.size() == 1 ? " does" : " do")
              + " not apply to "
              + command
              + ": the history keeps every form and variable, by variable name");
    }
  }
}
