package org.imednet.export.sinks.parquet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.annotation.Nullable;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.util.MimeTypes;
import org.imednet.export.sinks.ledger.LedgerEntry;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.ledger.Shard;
import org.imednet.export.sinks.ledger.TableMarks;

/**
 * The export ledger of a lake: one JSON file per committed run, {@code
 * <lake>/_imednet/ledger/<runId>.json}, an array with one object per study (the DuckDB ledger's
 * columns: {@code study_key, run_id, mode, window_from, window_to, high_water_mark, started_at,
 * committed_at, rows_written, rows_per_form}; times UTC, ISO-8601). It is written after the
 * partitions are swapped in (a run killed in between is repeated from the previous mark; the upsert
 * makes that exact), so it is never seen half-written: on a local lake by a rename, on an object
 * store ({@code s3://…}, any Beam {@link FileSystems} scheme) as one object, which appears whole or
 * not at all, after the last partition of the commit's plan (see {@link ObjectStoreLakeCommit}).
 * DuckDB's {@code **}{@code /*.parquet} glob does not match it.
 *
 * <p>On an object store, {@link FileSystems} must be configured for the lake's scheme (region,
 * endpoint: {@code RemoteFiles.useOptions}) before each call.
 */
public final class LakeLedger {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private LakeLedger() {}

  /** The folder holding the ledger files. */
  public static Path dir(Path lake) {
    return lake.resolve("_imednet").resolve("ledger");
  }

  /** The folder holding the ledger objects of a remote lake ({@code s3://b/lake}). */
  static String dir(String remoteLake) {
    return remoteLake + "/_imednet/ledger";
  }

  /** Each study's latest ledger entry; empty if the lake has no ledger yet. */
  public static Map<String, LedgerEntry> read(Path lake) throws IOException {
    return read(lake.toString());
  }

  /**
   * As {@link #read(Path)} for a lake location: a local path, or a remote folder such as {@code
   * s3://bucket/lake}.
   */
  public static Map<String, LedgerEntry> read(String lake) throws IOException {
    Map<String, LedgerEntry> out = new TreeMap<>();
    for (JsonNode row : rows(lake)) {
      LedgerEntry e =
          new LedgerEntry(
              row.path("study_key").asText(),
              row.path("run_id").asText(),
              row.path("mode").asText(),
              time(row, "window_from"),
              time(row, "high_water_mark"),
              time(row, "started_at"),
              time(row, "committed_at"),
              "invalidated".equals(row.path("mode").asText()),
              TableMarks.fromJson(row.path("table_marks").asText(null)));
      LedgerEntry.keepLatest(out, e);
    }
    return out;
  }

  /** The backfill shards the ledger records as committed. */
  public static Set<Shard> finishedShards(Path lake) throws IOException {
    return finishedShards(lake.toString());
  }

  /** As {@link #finishedShards(Path)} for a lake location, local or remote. */
  public static Set<Shard> finishedShards(String lake) throws IOException {
    Set<Shard> out = new HashSet<>();
    for (JsonNode row : rows(lake)) {
      if ("backfill".equals(row.path("mode").asText())) {
        out.add(
            new Shard(
                row.path("study_key").asText(), time(row, "window_from"), time(row, "window_to")));
      }
    }
    return out;
  }

  /** Writes the run's ledger file: one object per study of {@code rowsPerForm}. */
  static void record(
      String lake,
      LedgerRun run,
      Map<String, Map<String, Long>> rowsPerForm,
      Map<String, LocalDateTime> maxModified,
      Map<String, Map<String, LocalDateTime>> tableMarks)
      throws IOException {
    Map<String, LedgerEntry> previous = read(lake);
    String now = LocalDateTime.now(ZoneOffset.UTC).toString();
    ArrayNode rows = MAPPER.createArrayNode();
    for (Map.Entry<String, Map<String, Long>> study : rowsPerForm.entrySet()) {
      String key = study.getKey();
      LocalDateTime from = run.windowFrom(key);
      LedgerEntry before = previous.get(key);
      LocalDateTime mark = LedgerEntry.markAfter(before, from != null, maxModified.get(key));
      ObjectNode row = rows.addObject();
      row.put("study_key", key);
      row.put("run_id", run.runId());
      row.put("mode", run.mode(key));
      row.put("window_from", from == null ? null : from.toString());
      row.put("window_to", from == null || run.until() == null ? null : run.until().toString());
      row.put("high_water_mark", mark == null ? null : mark.toString());
      row.put("started_at", run.startedAt().toString());
      row.put("committed_at", now);
      row.put("rows_written", study.getValue().values().stream().mapToLong(Long::longValue).sum());
      ObjectNode perForm = row.putObject("rows_per_form");
      study.getValue().forEach(perForm::put);
      row.put(
          "table_marks",
          TableMarks.toJson(
              TableMarks.after(before, from != null, tableMarks.getOrDefault(key, Map.of()))));
    }
    byte[] json = MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(rows);
    if (LakeLocation.isRemote(lake)) {
      // One object: an object store shows it whole once the upload completes, or not at all.
      try (OutputStream out =
          Channels.newOutputStream(
              FileSystems.create(
                  FileSystems.matchNewResource(dir(lake) + "/" + run.runId() + ".json", false),
                  MimeTypes.TEXT))) {
        out.write(json);
      }
      return;
    }
    Path dir = dir(Path.of(lake));
    Files.createDirectories(dir);
    Path tmp = dir.resolve("." + run.runId() + ".json.tmp");
    Files.write(tmp, json);
    Files.move(tmp, dir.resolve(run.runId() + ".json"), StandardCopyOption.ATOMIC_MOVE);
  }

  private static ArrayNode rows(String lake) throws IOException {
    ArrayNode all = MAPPER.createArrayNode();
    if (LakeLocation.isRemote(lake)) {
      MatchResult match = FileSystems.match(dir(lake) + "/*.json", EmptyMatchTreatment.ALLOW);
      if (match.status() == MatchResult.Status.NOT_FOUND) {
        return all;
      }
      List<ResourceId> objects = new ArrayList<>();
      match.metadata().forEach(m -> objects.add(m.resourceId()));
      objects.sort(Comparator.comparing(ResourceId::toString));
      for (ResourceId object : objects) {
        try (InputStream in = Channels.newInputStream(FileSystems.open(object))) {
          MAPPER.readTree(in).forEach(all::add);
        }
      }
      return all;
    }
    Path dir = dir(Path.of(lake));
    if (!Files.isDirectory(dir)) {
      return all;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files.sorted()::iterator) {
        String name = f.getFileName().toString();
        if (name.endsWith(".json") && !name.startsWith(".")) {
          MAPPER.readTree(f.toFile()).forEach(all::add);
        }
      }
    }
    return all;
  }

  private static @Nullable LocalDateTime time(JsonNode row, String field) {
    JsonNode v = row.get(field);
    return v == null || v.isNull() ? null : LocalDateTime.parse(v.asText());
  }
}
