package org.imednet.export.sinks.snowflake;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoadManifestTest {
  @TempDir Path tmp;

  static LoadResult loaded(String sha, LoadResult.Status status) {
    return new LoadResult(
        "S1/DEMOG/0",
        "S1",
        "DEMOG",
        "\"DB\".\"RAW\".\"S1_DEMOG\"",
        "@\"STAGE\"/imednet/S1_DEMOG/" + sha + ".parquet",
        sha,
        status == LoadResult.Status.LOADED ? 2 : 0,
        2,
        status,
        1,
        "2026-01-15T12:00:00Z",
        null);
  }

  @Test
  void writesOneJsonLinePerBatchWithTheDocumentedKeys() throws Exception {
    Path path = tmp.resolve("sub/manifest.jsonl");
    LoadManifest m = new LoadManifest(path);
    m.append(loaded("aa", LoadResult.Status.LOADED));
    m.append(loaded("bb", LoadResult.Status.FAILED));
    assertEquals(
        List.of(
            "{\"batch_id\":\"S1/DEMOG/0\",\"study_key\":\"S1\",\"table_key\":\"DEMOG\","
                + "\"target_table\":\"\\\"DB\\\".\\\"RAW\\\".\\\"S1_DEMOG\\\"\","
                + "\"stage_path\":\"@\\\"STAGE\\\"/imednet/S1_DEMOG/aa.parquet\",\"sha256\":\"aa\","
                + "\"row_count\":2,\"batch_rows\":2,\"status\":\"LOADED\",\"attempts\":1,"
                + "\"loaded_at\":\"2026-01-15T12:00:00Z\"}",
            "{\"batch_id\":\"S1/DEMOG/0\",\"study_key\":\"S1\",\"table_key\":\"DEMOG\","
                + "\"target_table\":\"\\\"DB\\\".\\\"RAW\\\".\\\"S1_DEMOG\\\"\","
                + "\"stage_path\":\"@\\\"STAGE\\\"/imednet/S1_DEMOG/bb.parquet\",\"sha256\":\"bb\","
                + "\"row_count\":0,\"batch_rows\":2,\"status\":\"FAILED\",\"attempts\":1,"
                + "\"loaded_at\":\"2026-01-15T12:00:00Z\"}"),
        Files.readAllLines(path));
    assertEquals(
        List.of(loaded("aa", LoadResult.Status.LOADED), loaded("bb", LoadResult.Status.FAILED)),
        m.read());
    assertEquals(Set.of("\"DB\".\"RAW\".\"S1_DEMOG\"|aa"), m.loadedKeys());
  }

  @Test
  void skipsALineCutShortByACrash() throws Exception {
    Path path = tmp.resolve("m.jsonl");
    LoadManifest m = new LoadManifest(path);
    m.append(loaded("aa", LoadResult.Status.LOADED));
    Files.writeString(path, "{\"batch_id\":\"x\",\"sta", java.nio.file.StandardOpenOption.APPEND);
    assertEquals(List.of(loaded("aa", LoadResult.Status.LOADED)), m.read());
    assertEquals(List.of(), new LoadManifest(tmp.resolve("none.jsonl")).read());
  }
}
