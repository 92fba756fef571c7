package org.imednet.export.flatten;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.Secret;
import org.imednet.export.read.ReadStudyRecords;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.junit.jupiter.api.Test;

/** ReadStudyRecords → FlattenRecords over the local emulator serving the bundled sample studies. */
class FlattenRecordsSampleStudiesTest {

  private static final Map<String, Integer> ROWS_PER_FORM =
      new TreeMap<>(
          Map.ofEntries(
              // Forms without records arrive as one empty batch, so sinks see them.
              Map.entry("CARDIO01/CM", 0),
              Map.entry("ONCO-22/PREG", 0),
              Map.entry("CARDIO01/DM", 15),
              Map.entry("CARDIO01/VS", 75),
              Map.entry("CARDIO01/AE LOG", 32),
              Map.entry("CARDIO01/LB", 69),
              Map.entry("ONCO-22/DM", 20),
              Map.entry("ONCO-22/TU", 40),
              Map.entry("ONCO-22/TR", 80),
              Map.entry("ONCO-22/EX", 60)));

  private static void check(Iterable<RowBatch> batches) {
    Map<String, Integer> rows = new TreeMap<>();
    Object[] vs880041 = null;
    for (RowBatch b : batches) {
      rows.merge(b.schema().studyKey() + "/" + b.schema().tableKey(), b.size(), Integer::sum);
      for (Object[] row : b.rows()) {
        if (Long.valueOf(880041L).equals(row[3])) {
          vs880041 = row;
        }
      }
    }
    assertEquals(ROWS_PER_FORM, rows);
    assertNotNull(vs880041);
    assertArrayEquals(
        new Object[] {
          "CARDIO01",
          "VS",
          3101L,
          880041L,
          "REC-880041",
          "SUBJECT",
          "Record Complete",
          5532L,
          "15-012",
          "OID-5532",
          15L,
          41L,
          77346L,
          0L,
          false,
          LocalDateTime.of(2025, 4, 12, 11, 0),
          LocalDateTime.of(2025, 4, 12, 16, 0),
          LocalDate.of(2025, 4, 12),
          "9:05",
          132L,
          null,
          37.2,
          null,
          null,
          "Patient anxious",
          null,
          "{\"dateCreated\":\"2025-04-12 11:00:00\",\"dateModified\":\"2025-04-12 16:00:00\","
              + "\"VSDAT\":\"2025-04-12\",\"VSTIM\":\"9:05\",\"SYSBP\":132,\"DIABP\":null,"
              + "\"TEMP\":\"37.2\",\"Temp\":\"\",\"VSPOS\":\"\",\"VSCOMM\":\"Patient anxious\"}"
        },
        vs880041);
  }

  @Test
  void sampleStudiesFlattenWithoutFailures() {
    try (ImednetEmulator emulator =
        ImednetEmulator.builder()
            .data(FolderStudyData.load(SampleStudies.root()))
            .credentials("k", "s")
            .port(0)
            .build()
            .start()) {
      ApiConfig config =
          ApiConfig.builder()
              .baseUrl(emulator.baseUrl())
              .apiKey(Secret.of("k"))
              .securityKey(Secret.of("s"))
              .maxRetries(1)
              .requestTimeout(Duration.ofSeconds(10))
              .build();
      Pipeline p =
          Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
      FlattenRecords.Result flat =
          p.apply(
                  ReadStudyRecords.create()
                      .withApiConfig(config)
                      .withStudies(List.of("CARDIO01", "ONCO-22")))
              .apply(FlattenRecords.create());
      PAssert.that(flat.rows())
          .satisfies(
              batches -> {
                check(batches);
                return null;
              });
      PAssert.that(flat.failures()).empty();
      p.run().waitUntilFinish();
    }
  }
}
