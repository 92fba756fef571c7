package org.imednet.export.pipeline;

import java.util.List;
import java.util.function.Consumer;
import org.apache.beam.sdk.Pipeline;

/**
 * A runner-specific check that options are valid and the export's graph builds, without running
 * anything. Implementations are found with {@link java.util.ServiceLoader}, so a runner whose SDK
 * is only on the class path in some builds (Dataflow, with {@code -Pdataflow}) can provide one.
 */
public interface DryRun {
  /** The {@code --runner} shortcut this serves, e.g. {@code dataflow}. */
  String runner();

  /**
   * Validates {@code beamArgs} as this runner would, builds the graph {@code graph} adds, and
   * returns a short report for the user.
   *
   * @throws IllegalArgumentException naming the option to fix
   */
  String check(Consumer<Pipeline> graph, List<String> beamArgs);
}
