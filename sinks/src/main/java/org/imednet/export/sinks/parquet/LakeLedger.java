package org.imednet.export.sinks.parquet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.annotation.Nullable;
import org.imednet.export.sinks.ledger.LedgerEntry;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.ledger.Shard;
import org.imednet.export.sinks.ledger.TableMarks;

/**
 * The export ledger of a local lake: one JSON file per committed run, {@code
 * <lake>/_imednet/ledger/<runId>.json}, an array with one object per study (the DuckDB ledger's
 * columns: {@code study_key, run_id, mode, window_from, window_to, high_water_mark, started_at,
 * committed_at, rows_written, rows_per_form}; times UTC, ISO-8601). It is written after the
 * partitions are swapped in (a run killed in between is repeated from the previous mark; the upsert
 * makes that exact), by a rename, so it is never seen half-written. DuckDB's {@code **}{@code
 * /*.parquet} glob does not match it.
 */
public final class LakeLedger {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private LakeLedger() {}

  /** The folder holding the ledger files. */
  public static Path dir(Path lake) {
    return lake.resolve("_imednet").resolve("ledger");
  }

  /** Each study's latest ledger entry; empty if the lake has no ledger yet. */
  public static Map<String, LedgerEntry> read(Path lake) throws IOException {
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
      Path lake,
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
    Path dir = dir(lake);
    Files.createDirectories(dir);
    Path tmp = dir.resolve("." + run.runId() + ".json.tmp");
    MAPPER.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), rows);
    Files.move(tmp, dir.resolve(run.runId() + ".json"), StandardCopyOption.ATOMIC_MOVE);
  }

  private static ArrayNode rows(Path lake) throws IOException {
    ArrayNode all = MAPPER.createArrayNode();
    Path dir = dir(lake);
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
