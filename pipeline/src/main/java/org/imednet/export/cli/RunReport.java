package org.imednet.export.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.annotation.Nullable;
import org.imednet.export.metrics.ExportMetrics.Metric;
import org.imednet.export.pipeline.RunSummary;

/**
 * The JSON run report of {@code --report FILE}, written when an export command ends, also when it
 * fails. It holds counts, keys and the one-line error messages the CLI prints (which name study,
 * form and page, never credentials or record values); no record data.
 *
 * <pre>{@code
 * {"command": "export parquet", "exit_code": 0, "status": "ok", "seconds": 9.8,
 *  "runner": "flink", "studies": ["CARDIO01"], "destinations": ["lake"], "counts": "final",
 *  "records_fetched": 191, "pages_fetched": 5, "requests_retried": 0,
 *  "forms": [{"study_key": "CARDIO01", "form_key": "AE LOG", "api_total": 32,
 *             "records_fetched": 32, "rows_written": {"lake": 32}, "values_unparseable": 0,
 *             "records_failed": 0, "reconciled": true}, …],
 *  "mismatches": [], "failures": []}
 * }</pre>
 *
 * <p>{@code counts} says where the numbers come from: {@code final} (the runner's metrics at the
 * end of a run that finished), {@code partial} (the in-JVM tally when the run failed: what was done
 * until then; a remote cluster's workers are not in it), or {@code none} (the run never started,
 * e.g. a usage error).
 */
final class RunReport {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final String command;
  private final String runner;
  private List<String> studies = List.of();
  private List<Metric> destinations = List.of();
  private @Nullable RunSummary summary;
  private String counts = "none";

  RunReport(String command, String runner) {
    this.command = command;
    this.runner = runner;
  }

  /** The run is about to start with these studies and destinations. */
  void planned(List<String> studies, List<Metric> destinations) {
    this.studies = List.copyOf(studies);
    this.destinations = List.copyOf(destinations);
  }

  /** Counts of a run that finished ({@code final}) or failed part way ({@code partial}). */
  void counted(RunSummary summary, boolean finished) {
    this.summary = summary;
    this.counts = finished ? "final" : "partial";
  }

  ObjectNode toJson(int exitCode, double seconds, @Nullable String failure) {
    ObjectNode root = JSON.createObjectNode();
    root.put("command", command);
    root.put("exit_code", exitCode);
    root.put("status", status(exitCode));
    root.put("seconds", Math.round(seconds * 1000) / 1000.0);
    root.put("runner", runner);
    ArrayNode s = root.putArray("studies");
    studies.forEach(s::add);
    ArrayNode d = root.putArray("destinations");
    destinations.forEach(m -> d.add(destinationName(m)));
    root.put("counts", counts);
    root.put("records_fetched", summary == null ? 0 : summary.total(Metric.RECORDS_FETCHED));
    root.put("pages_fetched", summary == null ? 0 : summary.total(Metric.PAGES_FETCHED));
    root.put("requests_retried", summary == null ? 0 : summary.total(Metric.REQUESTS_RETRIED));
    ArrayNode forms = root.putArray("forms");
    List<String> mismatches = new ArrayList<>();
    if (summary != null) {
      for (Map.Entry<String, List<String>> study : summary.forms().entrySet()) {
        for (String form : study.getValue()) {
          forms.add(form(summary, study.getKey(), form));
        }
      }
      mismatches.addAll(summary.mismatches());
    }
    ArrayNode m = root.putArray("mismatches");
    if (exitCode == ImednetCli.EXIT_MISMATCH) {
      mismatches.forEach(m::add);
    }
    ArrayNode f = root.putArray("failures");
    if (failure != null) {
      f.add(failure);
    }
    return root;
  }

  private ObjectNode form(RunSummary summary, String study, String form) {
    ObjectNode n = JSON.createObjectNode();
    n.put("study_key", study);
    n.put("form_key", form);
    n.put("api_total", summary.get(study, form, Metric.API_TOTAL_ELEMENTS));
    n.put("records_fetched", summary.get(study, form, Metric.RECORDS_FETCHED));
    ObjectNode written = n.putObject("rows_written");
    for (Metric d : destinations) {
      written.put(destinationName(d), summary.written(study, form, d));
    }
    n.put("values_unparseable", summary.get(study, form, Metric.VALUES_UNPARSEABLE));
    n.put("records_failed", summary.get(study, form, Metric.RECORDS_FAILED));
    n.put("reconciled", summary.reconciled(study, form));
    return n;
  }

  private static String status(int exitCode) {
    switch (exitCode) {
      case ImednetCli.EXIT_OK:
        return "ok";
      case ImednetCli.EXIT_MISMATCH:
        return "not_reconciled";
      case ImednetCli.EXIT_USAGE:
        return "usage_error";
      default:
        return "failed";
    }
  }

  private static String destinationName(Metric m) {
    switch (m) {
      case ROWS_WRITTEN_LAKE:
        return "lake";
      case ROWS_WRITTEN_DUCKDB:
        return "duckdb";
      case ROWS_LOADED_SNOWFLAKE:
        return "snowflake";
      default:
        return m.id();
    }
  }

  /** Writes the report whole (a temporary file renamed into place). */
  void write(Path file, int exitCode, double seconds, @Nullable String failure) throws IOException {
    Path target = file.toAbsolutePath();
    Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
    try {
      if (target.getParent() != null) {
        Files.createDirectories(target.getParent());
      }
      Files.writeString(tmp, JSON.writeValueAsString(toJson(exitCode, seconds, failure)) + "\n");
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      // No cause: the CLI prints the innermost message, which would be a bare path.
      throw new IOException(
          "could not write the --report file "
              + target
              + " ("
              + e.getClass().getSimpleName()
              + ")");
    }
  }
}
