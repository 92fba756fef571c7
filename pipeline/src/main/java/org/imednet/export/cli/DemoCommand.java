package org.imednet.export.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.Secret;
import org.imednet.export.pipeline.ExportSpec;
import org.imednet.export.sinks.parquet.HiveParquet;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/**
 * {@code imednet demo}: the main job on embedded defaults. It starts the local API emulator with
 * the bundled sample studies (explicitly: the demo never talks to a real account) and exports every
 * study into a Parquet lake and a DuckDB file, then reads the lake back with DuckDB.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    header = "Export the sample studies through the local emulator.",
    description = {
      "Export the bundled sample studies through the local API emulator into",
      "OUT/lake (Hive Parquet), OUT/lake_metadata and OUT/imednet.duckdb (table study_records),",
      "then print the per-form row counts read back from the lake with DuckDB."
    })
final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Output folder (default: ${DEFAULT-VALUE}).",
      defaultValue = "out")
  Path out;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description = "Studies folder (default: bundled samples).")
  Path data;

  @Mixin CommonExportOptions common;

  @Unmatched List<String> beamArgs = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    common.beamArgs = beamArgs;
    return common.reporting("demo", this::demo);
  }

  private int demo() throws Exception {
    Path root = data != null ? data : SampleStudies.root();
    Files.createDirectories(out);
    Path lake = out.resolve("lake");
    Path db = out.resolve("imednet.duckdb");
    try (ImednetEmulator emu =
        ImednetEmulator.builder().data(FolderStudyData.load(root)).port(0).build().start()) {
      System.out.println("demo: serving the sample studies in " + root + " at " + emu.baseUrl());
      // The emulator's own well-known demo credentials: not secrets, but handled as such anyway.
      ApiConfig api =
          ApiConfig.builder()
              .baseUrl(emu.baseUrl())
              .apiKey(Secret.of(ImednetEmulator.DEFAULT_API_KEY))
              .securityKey(Secret.of(ImednetEmulator.DEFAULT_SECURITY_KEY))
              .build();
      List<String> studies = CommonExportOptions.listStudies(api);
      ExportSpec spec =
          common
              .spec(api, studies)
              .lake(lake)
              .duckDb(db, "study_records", ExportSpec.DuckDbLayout.SINGLE_TABLE)
              .build();
      int code = ExportCommand.runAndSummarize(spec, common, System.out);
      System.out.println();
      System.out.println("Read back from the lake with DuckDB:");
      System.out.println(
          "  SELECT study_key, form_key, count(*) FROM read_parquet('"
              + lake
              + "/**/*.parquet', hive_partitioning = true, union_by_name = true) GROUP BY ALL ORDER BY ALL");
      try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
          Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT study_key, form_key, count(*) AS records FROM ("
                      + HiveParquet.query(lake)
                      + ") GROUP BY ALL ORDER BY ALL")) {
        LakeCommand.printTable(rs);
      }
      System.out.println();
      System.out.println("Lake:   " + lake.toAbsolutePath());
      System.out.println("DuckDB: " + db.toAbsolutePath() + " (table study_records)");
      System.out.println("Try:    ./imednet lake query " + lake);
      return code;
    }
  }
}
