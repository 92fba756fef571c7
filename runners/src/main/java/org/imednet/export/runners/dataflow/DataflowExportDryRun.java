package org.imednet.export.runners.dataflow;

import java.util.List;
import java.util.function.Consumer;
import org.apache.beam.sdk.Pipeline;
import org.imednet.export.pipeline.DryRun;

/**
 * {@code imednet export … --runner dataflow --dry-run}: {@link DataflowDryRun} behind the CLI's
 * {@link DryRun} service, registered only in the {@code dataflow} profile's resources.
 */
public final class DataflowExportDryRun implements DryRun {
  @Override
  public String runner() {
    return "dataflow";
  }

  @Override
  public String check(Consumer<Pipeline> graph, List<String> beamArgs) {
    DataflowDryRun.Result r = DataflowDryRun.of(graph).run(beamArgs.toArray(new String[0]));
    return "Dataflow dry run: options valid (project "
        + r.options().getProject()
        + ", region "
        + r.options().getRegion()
        + ", temp "
        + r.options().getGcpTempLocation()
        + "); the export translates to "
        + r.transformNames().size()
        + " transforms for Dataflow Runner v2. Nothing was submitted.";
  }
}
