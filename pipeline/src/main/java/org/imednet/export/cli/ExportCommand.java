package org.imednet.export.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.HttpImednetClient;
import org.imednet.export.api.ImednetApi;
import org.imednet.export.metrics.LiveTally;
import org.imednet.export.pipeline.ExportJob;
import org.imednet.export.pipeline.ExportSpec;
import org.imednet.export.pipeline.RunSummary;
import org.imednet.export.pipeline.TargetLock;
import org.imednet.export.read.StudySelection;
import org.imednet.export.sinks.duckdb.DuckDbLedger;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.parquet.LakeLedger;
import org.imednet.export.sinks.parquet.LakeLock;
import org.imednet.export.sinks.parquet.WriteHiveParquet;
import org.imednet.export.sinks.staging.RemoteFiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/** {@code imednet export parquet|duckdb|snowflake}. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = "Export studies from the iMednet API.",
    subcommands = {
      ExportCommand.Parquet.class,
      ExportCommand.DuckDb.class,
      ExportSnowflakeCommand.class
    })
final class ExportCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Runs a spec with progress, prints the summary, and maps the outcome to an exit code. */
  static int runAndSummarize(ExportSpec spec, CommonExportOptions common, PrintStream out)
      throws IOException {
    RunReport runReport = common.runReport;
    if (runReport != null) {
      runReport.planned(spec.studies(), RunSummary.destinationsOf(spec));
    }
    if (common.dryRun) {
      out.println(ExportJob.dryRun(spec, common.runner.name()));
      return ImednetCli.EXIT_OK;
    }
    // A mistyped study key, form or variable is one line before any runner starts.
    try (ImednetApi api = HttpImednetClient.create(spec.api())) {
      StudySelection.check(api, spec.studies(), spec.forms(), spec.variables(), common.allStudies);
    }
    RunSummary summary;
    LiveTally.reset();
    try (ProgressReporter progress = common.progress(System.err)) {
      summary = ExportJob.run(spec);
    } catch (RuntimeException e) {
      if (runReport != null) {
        // What this JVM saw done before the failure (a remote cluster's workers are not in it).
        runReport.counted(
            RunSummary.fromCounters(LiveTally.snapshot(), RunSummary.destinationsOf(spec)), false);
      }
      throw e;
    }
    if (runReport != null) {
      runReport.counted(summary, true);
    }
    return report(summary, out);
  }

  static int report(RunSummary summary, PrintStream out) {
    out.println();
    summary.print(out);
    List<String> mismatches = summary.mismatches();
    if (!mismatches.isEmpty()) {
      out.println();
      out.println("NOT RECONCILED: rows written differ from the API's totals:");
      mismatches.forEach(m -> out.println("  " + m));
      return ImednetCli.EXIT_MISMATCH;
    }
    return ImednetCli.EXIT_OK;
  }

  @Command(
      name = "parquet",
      mixinStandardHelpOptions = true,
      exitCodeListHeading = "Exit codes:%n",
      exitCodeList = {
        "0:done; every form's rows reconcile with the API's totals",
        "1:error (the API, a destination, records that would be lost)",
        "2:usage: bad arguments; a study key, --forms or --vars the API lacks",
        "3:finished, but rows written differ from the API's totals"
      },
      header = "Export studies into a Hive-partitioned Parquet lake.",
      description = {
        "Export studies into a Hive-partitioned Parquet lake:",
        "  LAKE/study_key=<key>/form_key=<key>/part-*.parquet",
        "Each study's partitions are replaced atomically; other studies are untouched.",
        "Credentials come from IMEDNET_API_KEY and IMEDNET_SECURITY_KEY (or --env-file)."
      })
  static class Parquet implements Callable<Integer> {
    @Parameters(paramLabel = "STUDY", arity = "0..*", description = "Study keys.")
    List<String> studies = new ArrayList<>();

    @Option(
        names = "--lake",
        required = true,
        paramLabel = "DIR",
        description = "Lake directory, or a folder such as s3://bucket/lake (see README).")
    String lake;

    @Option(
        names = "--metadata-dir",
        paramLabel = "DIR",
        description = "Study metadata tables (default: <lake>_metadata beside the lake).")
    String metadataDir;

    @Option(
        names = "--duckdb",
        paramLabel = "DB_PATH",
        description = "Also load the rows into this DuckDB file (one table per form).")
    Path duckDb;

    @Mixin CommonExportOptions common;

    @Unmatched List<String> beamArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      if (lake.startsWith("s3://")
          && beamArgs.stream().noneMatch(a -> a.startsWith("--s3UploadBufferSizeBytes"))) {
        // Beam buffers each S3 upload in one part of 64 MiB (with a heap of 512 MiB or more);
        // staged files are a few MiB, and the launcher's heap is 1 GiB. 5 MiB is S3's minimum.
        beamArgs.add("--s3UploadBufferSizeBytes=5242880");
      }
      common.beamArgs = beamArgs;
      return common.reporting(commandName(), this::export);
    }

    String commandName() {
      return "export parquet";
    }

    private int export() throws Exception {
      ApiConfig api = common.apiConfig();
      List<String> studyKeys = common.studies(studies, api);
      String runId = LedgerRun.newRunId();
      if (WriteHiveParquet.isRemote(lake)) {
        // The lock and the ledger are objects in the lake, read and written through Beam's
        // FileSystems with the run's own options (endpoint, region, S3 client factory).
        PipelineOptions options =
            PipelineOptionsFactory.fromArgs(common.beamArgs.toArray(new String[0]))
                .withoutStrictParsing()
                .create();
        RemoteFiles.useOptions(options);
        try (LakeLock lock =
            common.dryRun ? null : LakeLock.acquire(lake, runId, common.lockStaleAfter, options)) {
          return exportLocked(api, studyKeys, runId, lake);
        }
      }
      // The lock is taken before the ledger is read, so no other run moves the mark meanwhile.
      try (TargetLock lock =
          common.dryRun ? null : TargetLock.acquire(Path.of(lake), runId, common.lockStaleAfter)) {
        return exportLocked(api, studyKeys, runId, lake);
      }
    }

    /**
     * The export into the lake {@code lakeLocation} (a local path or {@code s3://…}), once it is
     * locked and before its ledger is read.
     */
    int exportLocked(ApiConfig api, List<String> studyKeys, String runId, String lakeLocation)
        throws Exception {
      // A dry run touches no target: it neither locks nor reads the lake (on gs:// or s3:// that
      // would need the bucket).
      LedgerRun run =
          common.ledgerRun(
              runId,
              studyKeys,
              common.dryRun ? java.util.Map.of() : LakeLedger.read(lakeLocation),
              System.out);
      return runAndSummarize(spec(api, studyKeys, run), common, System.out);
    }

    /** The export of {@code studyKeys} as {@code run} says. */
    ExportSpec spec(ApiConfig api, List<String> studyKeys, LedgerRun run) {
      ExportSpec.Builder b = common.spec(api, studyKeys).lake(lake).metadataDir(metadataDir);
      if (duckDb != null) {
        b.duckDb(duckDb, null, ExportSpec.DuckDbLayout.BY_FORM);
      }
      return b.ledger(run).build();
    }
  }

  @Command(
      name = "duckdb",
      mixinStandardHelpOptions = true,
      exitCodeListHeading = "Exit codes:%n",
      exitCodeList = {
        "0:done; every form's rows reconcile with the API's totals",
        "1:error (the API, a destination, records that would be lost)",
        "2:usage: bad arguments; a study key, --forms or --vars the API lacks",
        "3:finished, but rows written differ from the API's totals"
      },
      header = "Export studies into a DuckDB file.",
      customSynopsis = {
        "imednet export duckdb [OPTIONS] STUDY... TABLE DB_PATH",
        "   or: imednet export duckdb [OPTIONS] --all-studies TABLE DB_PATH"
      },
      description = {
        "Export studies into a DuckDB file: one table holding every form's records (the",
        "wide union of their columns), or one table per form key with --by-form; plus",
        "metadata tables. Tables are replaced in one transaction; other tables in the",
        "file are untouched. The last two arguments are TABLE and DB_PATH; the study",
        "keys come before them.",
        "Examples:",
        "  imednet export duckdb MY_STUDY records clinical.duckdb --vars AGE,SEX,WEIGHT",
        "  imednet export duckdb MY_STUDY records clinical.duckdb --forms 10,20,30",
        "  imednet export duckdb MY_STUDY records clinical.duckdb --use-labels",
        "  imednet export duckdb MY_STUDY OTHER_STUDY - clinical.duckdb --by-form",
        "  imednet export duckdb --all-studies records clinical.duckdb"
      })
  static class DuckDb implements Callable<Integer> {
    @Parameters(
        paramLabel = "[STUDY...] TABLE DB_PATH",
        hideParamSyntax = true,
        arity = "2..*",
        description = {
          "Study keys (none with --all-studies), then the table name (ignored with --by-form;"
              + " pass - there), then the DuckDB database file."
        })
    List<String> positional = new ArrayList<>();

    @Option(names = "--by-form", description = "One table per form key instead of one table.")
    boolean byForm;

    @Mixin CommonExportOptions common;

    @Unmatched List<String> beamArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      common.beamArgs = beamArgs;
      return common.reporting(commandName(), this::export);
    }

    String commandName() {
      return "export duckdb";
    }

    private int export() throws Exception {
      // STUDY... TABLE DB_PATH: the last two are the table and the file, whatever comes before.
      int n = positional.size();
      String table = positional.get(n - 2);
      Path db = Path.of(positional.get(n - 1));
      ApiConfig api = common.apiConfig();
      List<String> studies = common.studies(positional.subList(0, n - 2), api);
      String runId = LedgerRun.newRunId();
      // The lock is taken before the ledger is read, so no other run moves the mark meanwhile.
      try (TargetLock lock =
          common.dryRun ? null : TargetLock.acquire(db, runId, common.lockStaleAfter)) {
        return exportLocked(
            api, studies, runId, DuckDbLedger.target(byForm ? null : table), db, table);
      }
    }

    /** The export, once the target is locked and before its ledger is read. */
    int exportLocked(
        ApiConfig api, List<String> studies, String runId, String target, Path db, String table)
        throws Exception {
      LedgerRun run = common.ledgerRun(runId, studies, DuckDbLedger.read(db, target), System.out);
      return runAndSummarize(spec(api, studies, db, table, run), common, System.out);
    }

    /** The export of {@code studies} into {@code db} as {@code run} says. */
    ExportSpec spec(ApiConfig api, List<String> studies, Path db, String table, LedgerRun run) {
      return common
          .spec(api, studies)
          .duckDb(
              db,
              byForm ? null : table,
              byForm ? ExportSpec.DuckDbLayout.BY_FORM : ExportSpec.DuckDbLayout.SINGLE_TABLE)
          .ledger(run)
          .build();
    }
  }
}
