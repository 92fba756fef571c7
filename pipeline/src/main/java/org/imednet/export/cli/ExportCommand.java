package org.imednet.export.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.pipeline.ExportJob;
import org.imednet.export.pipeline.ExportSpec;
import org.imednet.export.pipeline.RunSummary;
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
  static int runAndSummarize(ExportSpec spec, CommonExportOptions common, PrintStream out) {
    if (common.dryRun) {
      out.println(ExportJob.dryRun(spec, common.runner.name()));
      return ImednetCli.EXIT_OK;
    }
    RunSummary summary;
    try (ProgressReporter progress = common.progress(System.err)) {
      summary = ExportJob.run(spec);
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
      header = "Export studies into a Hive-partitioned Parquet lake.",
      description = {
        "Export studies into a Hive-partitioned Parquet lake:",
        "  LAKE/study_key=<key>/form_key=<key>/part-*.parquet",
        "Each study's partitions are replaced atomically; other studies are untouched.",
        "Credentials come from IMEDNET_API_KEY and IMEDNET_SECURITY_KEY (or --env-file)."
      })
  static final class Parquet implements Callable<Integer> {
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
      ApiConfig api = common.apiConfig();
      ExportSpec.Builder b =
          common.spec(api, common.studies(studies, api)).lake(lake).metadataDir(metadataDir);
      if (duckDb != null) {
        b.duckDb(duckDb, null, ExportSpec.DuckDbLayout.BY_FORM);
      }
      return runAndSummarize(b.build(), common, System.out);
    }
  }

  @Command(
      name = "duckdb",
      mixinStandardHelpOptions = true,
      header = "Export one study into a DuckDB file.",
      description = {
        "Export one study into a DuckDB file: one table holding every form's records (the wide",
        "union of their columns), or one table per form key with --by-form; plus metadata tables.",
        "Tables are replaced in one transaction; other tables in the file are untouched.",
        "Examples:",
        "  imednet export duckdb MY_STUDY study_records ./clinical.duckdb --vars AGE,SEX,WEIGHT",
        "  imednet export duckdb MY_STUDY study_records ./clinical.duckdb --forms 10,20,30",
        "  imednet export duckdb MY_STUDY study_records ./clinical.duckdb --use-labels",
        "  imednet export duckdb MY_STUDY - ./clinical.duckdb --by-form"
      })
  static final class DuckDb implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "STUDY", description = "Study key.")
    String study;

    @Parameters(
        index = "1",
        paramLabel = "TABLE",
        description = "Table name (ignored with --by-form; pass - there).")
    String table;

    @Parameters(index = "2", paramLabel = "DB_PATH", description = "DuckDB database file.")
    Path db;

    @Option(names = "--by-form", description = "One table per form key instead of one table.")
    boolean byForm;

    @Mixin CommonExportOptions common;

    @Unmatched List<String> beamArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      common.beamArgs = beamArgs;
      ApiConfig api = common.apiConfig();
      List<String> studies = common.allStudies ? common.studies(List.of(), api) : List.of(study);
      ExportSpec spec =
          common
              .spec(api, studies)
              .duckDb(
                  db,
                  byForm ? null : table,
                  byForm ? ExportSpec.DuckDbLayout.BY_FORM : ExportSpec.DuckDbLayout.SINGLE_TABLE)
              .build();
      return runAndSummarize(spec, common, System.out);
    }
  }
}
