package org.imednet.export.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.pipeline.Backfill;
import org.imednet.export.pipeline.ExportJob;
import org.imednet.export.pipeline.RunSummary;
import org.imednet.export.sinks.duckdb.DuckDbLedger;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.ledger.Shard;
import org.imednet.export.sinks.parquet.LakeLedger;
import org.imednet.export.sinks.parquet.WriteHiveParquet;
import org.imednet.export.sinks.snowflake.LoadIntoSnowflake;
import org.imednet.export.sinks.snowflake.SnowflakeLedger;
import org.imednet.export.sinks.snowflake.SnowflakeSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code imednet backfill parquet|duckdb|snowflake}: the export commands' targets and options, read
 * as resumable study × {@code dateModified}-window shards ({@link Backfill}).
 */
@Command(
    name = "backfill",
    mixinStandardHelpOptions = true,
    header = "Load studies in resumable dateModified windows.",
    description = {
      "Load studies into a lake, DuckDB or Snowflake in shards of study x dateModified",
      "window (--from, --to, --window), in runs of a few studies of one window, each run",
      "merged into the target and recorded in its ledger. Run again after a kill or a",
      "failure: only the shards the ledger does not show are fetched. A study that fails is",
      "reported and left out of later windows; the other studies go on.",
      "Exit codes: 0 every shard done, 5 some studies failed (named), 4 target locked,",
      "1 error, 2 usage."
    },
    subcommands = {
      BackfillCommand.Parquet.class,
      BackfillCommand.DuckDb.class,
      BackfillCommand.Snowflake.class
    })
final class BackfillCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code api} with its requests at {@code priority} among the runs in flight. */
  static ApiConfig prioritized(ApiConfig api, int priority) {
    return api.toBuilder().requestPriority(priority).build();
  }

  /** The options every backfill adds to its export command's. */
  static final class Window {
    @Option(
        names = "--from",
        required = true,
        paramLabel = "DATE",
        description = "First UTC day of dateModified to load (YYYY-MM-DD).")
    String from;

    @Option(
        names = "--to",
        required = true,
        paramLabel = "DATE",
        description = "Last UTC day of dateModified to load, included (YYYY-MM-DD).")
    String to;

    @Option(
        names = "--window",
        paramLabel = "DURATION",
        defaultValue = "30d",
        converter = CommonExportOptions.LookBackConverter.class,
        description = "Length of each window, e.g. 7d, 30d, 12h (default: ${DEFAULT-VALUE}).")
    Duration window;

    @Option(
        names = "--runs-ahead",
        paramLabel = "N",
        defaultValue = "" + Backfill.RUNS_AHEAD,
        description =
            "Runs in flight at once (default: ${DEFAULT-VALUE}). The earliest run has the request"
                + " budget; the others use what it leaves while it starts and commits. A killed"
                + " backfill repeats the partial work of the runs in flight. Snowflake: always 1.")
    int runsAhead;

    @Option(
        names = "--studies-per-run",
        paramLabel = "N",
        description =
            "Studies of a window exported and committed together (default: the window's studies"
                + " when there are at least "
                + Backfill.MIN_RUNS
                + " windows, else fewer so the backfill has about "
                + Backfill.MIN_RUNS
                + " runs).")
    Integer studiesPerRun;

    /** Plans and runs the backfill; prints one line per window and a summary. */
    int run(List<String> studies, Backfill.Target target, PrintStream out) throws Exception {
      List<Shard> plan;
      try {
        plan = Backfill.plan(studies, date("--from", from), date("--to", to), window);
      } catch (IllegalArgumentException e) {
        throw e instanceof UsageError ? e : new UsageError(e.getMessage());
      }
      Backfill.Schedule schedule;
      try {
        schedule = Backfill.Schedule.of(runsAhead, studiesPerRun == null ? 0 : studiesPerRun);
        if (studiesPerRun != null && studiesPerRun < 1) {
          throw new IllegalArgumentException(
              "--studies-per-run must be at least 1, was " + studiesPerRun);
        }
      } catch (IllegalArgumentException e) {
        throw new UsageError(e.getMessage());
      }
      Backfill.Outcome outcome = Backfill.run(plan, target, out, schedule);
      out.println();
      out.println(
          "Backfill: "
              + outcome.committed().size()
              + " shards loaded now ("
              + outcome.records()
              + " records), "
              + outcome.alreadyDone().size()
              + " already in the ledger, "
              + plan.size()
              + " planned");
      if (outcome.failed().isEmpty()) {
        return ImednetCli.EXIT_OK;
      }
      out.println("FAILED studies (re-run the same command to retry them):");
      for (Map.Entry<String, Throwable> f : outcome.failed().entrySet()) {
        out.println("  " + f.getKey() + ": " + Errors.describe(f.getValue()));
      }
      return ImednetCli.EXIT_PARTIAL;
    }

    private static LocalDate date(String option, String value) {
      try {
        return LocalDate.parse(value.strip());
      } catch (DateTimeParseException e) {
        throw new UsageError(option + " must be a date YYYY-MM-DD, was '" + value + "'");
      }
    }
  }

  @Command(
      name = "parquet",
      mixinStandardHelpOptions = true,
      header = "Backfill studies into a Hive Parquet lake, window by window.",
      description = {
        "The export parquet command's lake and options, loaded in shards of study x",
        "dateModified window, upserted into the partitions and recorded in the lake's ledger",
        "(LAKE/_imednet/ledger/), local or on an object store (s3://bucket/lake).",
        "Example:",
        "  imednet backfill parquet --all-studies --lake ./lake \\",
        "      --from 2020-01-01 --to 2026-12-01 --window 30d"
      })
  static final class Parquet extends ExportCommand.Parquet {
    @Mixin Window window;

    @Override
    String commandName() {
      return "backfill parquet";
    }

    @Override
    int exportLocked(ApiConfig api, List<String> studyKeys, String runId, String lakeLocation)
        throws Exception {
      // Commits into one lake are serialized per JVM; runs whose commits may run in other JVMs
      // (a Flink cluster's task managers, Dataflow workers) must not overlap on an object store,
      // where a commit finishes any plan it finds unfinished.
      boolean commitsInThisJvm =
          common.runner == CommonExportOptions.Runner.DIRECT
              || (common.runner == CommonExportOptions.Runner.FLINK
                  && common.remoteMaster() == null);
      int maxAhead =
          WriteHiveParquet.isRemote(lakeLocation) && !commitsInThisJvm ? 1 : Integer.MAX_VALUE;
      return window.run(
          studyKeys,
          new Backfill.Target() {
            @Override
            public Set<Shard> finishedShards() throws Exception {
              return LakeLedger.finishedShards(lakeLocation);
            }

            @Override
            public RunSummary export(List<String> runStudies, LedgerRun run, int priority) {
              return ExportJob.run(spec(prioritized(api, priority), runStudies, run));
            }

            @Override
            public int maxRunsAhead() {
              return maxAhead;
            }
          },
          System.out);
    }
  }

  @Command(
      name = "duckdb",
      mixinStandardHelpOptions = true,
      header = "Backfill studies into a DuckDB file, window by window.",
      customSynopsis = {
        "imednet backfill duckdb [OPTIONS] --from DATE --to DATE STUDY... TABLE DB_PATH",
        "   or: imednet backfill duckdb [OPTIONS] --from DATE --to DATE --all-studies TABLE"
            + " DB_PATH"
      },
      description = {
        "The export duckdb command's target and options, loaded in shards of study x",
        "dateModified window and recorded in the file's imednet_export_ledger.",
        "Example:",
        "  imednet backfill duckdb --all-studies records central.duckdb \\",
        "      --from 2020-01-01 --to 2026-12-01 --window 30d"
      })
  static final class DuckDb extends ExportCommand.DuckDb {
    @Mixin Window window;

    @Override
    String commandName() {
      return "backfill duckdb";
    }

    @Override
    int exportLocked(
        ApiConfig api, List<String> studies, String runId, String target, Path db, String table)
        throws Exception {
      return window.run(
          studies,
          new Backfill.Target() {
            @Override
            public Set<Shard> finishedShards() throws Exception {
              return DuckDbLedger.finishedShards(db, target);
            }

            @Override
            public RunSummary export(List<String> runStudies, LedgerRun run, int priority) {
              return ExportJob.run(spec(prioritized(api, priority), runStudies, db, table, run));
            }
          },
          System.out);
    }
  }

  @Command(
      name = "snowflake",
      mixinStandardHelpOptions = true,
      header = "Backfill studies into Snowflake, window by window.",
      description = {
        "The export snowflake command's connection, target and options, loaded in shards of",
        "study x dateModified window and recorded in the schema's IMEDNET_EXPORT_LEDGER.",
        "Example:",
        "  SNOWFLAKE_PASSWORD=... imednet backfill snowflake --all-studies --connection prod \\",
        "      --from 2020-01-01 --to 2026-12-01 --window 30d"
      })
  static final class Snowflake extends ExportSnowflakeCommand {
    @Mixin Window window;

    @Override
    String commandName() {
      return "backfill snowflake";
    }

    @Override
    int exportLocked(
        SnowflakeSettings settings,
        ApiConfig api,
        LoadIntoSnowflake load,
        List<String> studyKeys,
        String runId)
        throws Exception {
      String target = SnowflakeLedger.target(table);
      return window.run(
          studyKeys,
          new Backfill.Target() {
            @Override
            public Set<Shard> finishedShards() {
              return SnowflakeLedger.finishedShards(settings, target);
            }

            @Override
            public RunSummary export(List<String> runStudies, LedgerRun run, int priority) {
              return ExportJob.run(
                  common
                      .spec(prioritized(api, priority), runStudies)
                      .snowflake(load)
                      .ledger(run)
                      .build());
            }

            @Override
            public int maxRunsAhead() {
              return 1;
            }
          },
          System.out);
    }
  }
}
