package org.imednet.export.pipeline;

import java.nio.file.Path;
import java.util.List;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.sinks.snowflake.LoadIntoSnowflake;

/**
 * One-call exports from Java, the counterparts of the Python SDK's {@code export_to_snowflake},
 * {@code export_to_hive_parquet} and {@code export_to_duckdb}. Each builds an {@link ExportSpec},
 * runs the job to completion on the runner {@code beamArgs} name (DirectRunner by default) and
 * returns the {@link RunSummary}; check {@link RunSummary#mismatches()} before trusting the output.
 *
 * <pre>{@code
 * ApiConfig api = ApiConfig.fromEnvironment(System.getenv());
 * SnowflakeSettings sf = SnowflakeSettings.fromEnvironment(System.getenv()).build().validate();
 * RunSummary s = Exports.exportToSnowflake(api, List.of("MY_STUDY"),
 *     LoadIntoSnowflake.to(sf).withManifestPath(Path.of("manifest.jsonl")));
 * }</pre>
 */
public final class Exports {
  private Exports() {}

  /** Loads the studies into Snowflake with {@code load}'s settings and options. */
  public static RunSummary exportToSnowflake(
      ApiConfig api, List<String> studyKeys, LoadIntoSnowflake load, String... beamArgs) {
    return ExportJob.run(base(api, studyKeys, beamArgs).snowflake(load).build());
  }

  /** Writes the studies into a Hive-partitioned Parquet lake (metadata beside it). */
  public static RunSummary exportToHiveParquet(
      ApiConfig api, List<String> studyKeys, Path lakeDir, String... beamArgs) {
    return ExportJob.run(base(api, studyKeys, beamArgs).lake(lakeDir).build());
  }

  /** Writes one study into {@code table} of a DuckDB file (the wide union of its forms). */
  public static RunSummary exportToDuckDb(
      ApiConfig api, String studyKey, Path dbFile, String table, String... beamArgs) {
    return ExportJob.run(
        base(api, List.of(studyKey), beamArgs)
            .duckDb(dbFile, table, ExportSpec.DuckDbLayout.SINGLE_TABLE)
            .build());
  }

  /** Writes one study into a DuckDB file, one table per form key. */
  public static RunSummary exportToDuckDbByForm(
      ApiConfig api, String studyKey, Path dbFile, String... beamArgs) {
    return ExportJob.run(
        base(api, List.of(studyKey), beamArgs)
            .duckDb(dbFile, null, ExportSpec.DuckDbLayout.BY_FORM)
            .build());
  }

  private static ExportSpec.Builder base(ApiConfig api, List<String> studyKeys, String[] beamArgs) {
    return ExportSpec.builder().api(api).studies(studyKeys).beamArgs(List.of(beamArgs));
  }
}
