package org.imednet.export.runners.dataflow;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.dataflow.DataflowRunner;
import org.apache.beam.runners.dataflow.options.DataflowPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory;
import org.apache.beam.sdk.extensions.gcp.storage.NoopPathValidator;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.PipelineOptionsValidator;
import org.apache.beam.sdk.util.construction.PipelineTranslation;

/**
 * Checks, offline, that a pipeline and its options would be accepted by Google Cloud Dataflow,
 * without a Google account and without sending anything anywhere.
 *
 * <pre>{@code
 * DataflowDryRun.Result result =
 *     DataflowDryRun.of(pipeline -> ExportJob.build(pipeline, spec))
 *         .run("--project=my-project", "--region=europe-west1", "--tempLocation=gs://bucket/tmp");
 * result.transformNames(); // the graph Dataflow would receive
 * }</pre>
 *
 * <p>What it checks: the arguments parse as {@link DataflowPipelineOptions}; {@code --project},
 * {@code --region} and a {@code gs://} {@code --tempLocation} (or {@code --gcpTempLocation}) are
 * given; Beam's required-option validation passes; {@link DataflowRunner#fromOptions} accepts the
 * options (project id format, job name, staging location derived from the temp location); the
 * pipeline graph builds; and it translates to the portable Beam pipeline proto that Dataflow's
 * Runner v2 executes.
 *
 * <p>What it does not check: that the project, bucket or region exist, that you may use them, or
 * that the workers can reach the iMednet API. Credentials are replaced by a no-op factory and GCS
 * paths are not looked up, so nothing leaves the machine; {@code run()} on Dataflow is never
 * called. Build with {@code -Pdataflow}: Google's runner is a {@code provided} dependency, so a
 * real submission needs it on the class path (e.g. {@code mvn -Pdataflow
 * dependency:build-classpath}).
 */
public final class DataflowDryRun {

  private final Consumer<Pipeline> graph;

  private DataflowDryRun(Consumer<Pipeline> graph) {
    this.graph = graph;
  }

  /** A dry run of the graph that {@code graph} adds to a pipeline. */
  public static DataflowDryRun of(Consumer<Pipeline> graph) {
    checkArgument(graph != null, "graph must not be null");
    return new DataflowDryRun(graph);
  }

  /** The options, validated as Dataflow would, and the translated graph. */
  public static final class Result {
    private final DataflowPipelineOptions options;
    private final RunnerApi.Pipeline pipeline;

    private Result(DataflowPipelineOptions options, RunnerApi.Pipeline pipeline) {
      this.options = options;
      this.pipeline = pipeline;
    }

    public DataflowPipelineOptions options() {
      return options;
    }

    /** The portable pipeline proto, as Dataflow Runner v2 would receive it. */
    public RunnerApi.Pipeline pipeline() {
      return pipeline;
    }

    /** Unique names of the graph's leaf transforms, in the proto's order. */
    public List<String> transformNames() {
      List<String> names = new ArrayList<>();
      pipeline
          .getComponents()
          .getTransformsMap()
          .values()
          .forEach(
              t -> {
                if (t.getSubtransformsCount() == 0) {
                  names.add(t.getUniqueName());
                }
              });
      return names;
    }
  }

  /**
   * Validates {@code args} as Dataflow options and translates the graph.
   *
   * @throws IllegalArgumentException naming the option to fix, when the options would be refused
   */
  public Result run(String... args) {
    // Checked on the arguments, not the options: unset, Beam would ask the gcloud CLI and its
    // config files for a default project and region, and a dry run must not depend on them.
    requireArg(args, "project", "the Google Cloud project id, e.g. --project=my-project");
    requireArg(args, "region", "the Dataflow region, e.g. --region=europe-west1");
    String temp = argValue(args, "gcpTempLocation");
    if (temp == null) {
      temp = argValue(args, "tempLocation");
    }
    checkArgument(
        temp != null && temp.startsWith("gs://"),
        "--tempLocation is required to run on Dataflow and must be a Cloud Storage path, e.g."
            + " --tempLocation=gs://my-bucket/tmp; was %s",
        temp);

    // Nothing may leave the machine: no credential lookup, no bucket check. Set before any getter
    // runs, because default-value factories (gcpTempLocation's among them) use both.
    List<String> offline = new ArrayList<>(Arrays.asList(args));
    // Left to their defaults, gcpTempLocation asks GCS for the bucket's soft-delete policy, and the
    // staging location derives from it.
    if (argValue(args, "gcpTempLocation") == null) {
      offline.add("--gcpTempLocation=" + temp);
    }
    if (argValue(args, "stagingLocation") == null) {
      offline.add("--stagingLocation=" + temp.replaceAll("/+$", "") + "/staging");
    }
    offline.add("--credentialFactoryClass=" + NoopCredentialFactory.class.getName());
    offline.add("--pathValidatorClass=" + NoopPathValidator.class.getName());
    offline.add("--runner=" + DataflowRunner.class.getName());
    DataflowPipelineOptions options =
        PipelineOptionsFactory.fromArgs(offline.toArray(String[]::new))
            .as(DataflowPipelineOptions.class);
    PipelineOptionsValidator.validate(DataflowPipelineOptions.class, options);
    DataflowRunner.fromOptions(options);

    Pipeline pipeline = Pipeline.create(options);
    graph.accept(pipeline);
    return new Result(options, PipelineTranslation.toProto(pipeline));
  }

  private static void requireArg(String[] args, String name, String what) {
    String value = argValue(args, name);
    checkArgument(
        value != null && !value.isBlank(), "--%s is required to run on Dataflow: %s", name, what);
  }

  private static String argValue(String[] args, String name) {
    String prefix = "--" + name + "=";
    String value = null;
    for (String arg : args) {
      if (arg.startsWith(prefix)) {
        value = arg.substring(prefix.length()); // the last one wins, as in PipelineOptionsFactory
      }
    }
    return value;
  }
}
