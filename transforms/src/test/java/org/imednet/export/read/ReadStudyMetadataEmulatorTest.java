package org.imednet.export.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.values.PCollection;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.Secret;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** ReadStudyMetadata over HTTP against the local emulator serving the bundled sample studies. */
class ReadStudyMetadataEmulatorTest {
  private static ImednetEmulator emulator;

  @BeforeAll
  static void start() {
    emulator =
        ImednetEmulator.builder()
            .data(FolderStudyData.load(SampleStudies.root()))
            .credentials("k", "s")
            .port(0)
            .build()
            .start();
  }

  @AfterAll
  static void stop() {
    emulator.close();
  }

  private static ApiConfig config() {
    return ApiConfig.builder()
        .baseUrl(emulator.baseUrl())
        .apiKey(Secret.of("k"))
        .securityKey(Secret.of("s"))
        .maxRetries(1)
        .requestTimeout(Duration.ofSeconds(10))
        .build();
  }

  /** Rows and batches per "study/table", and checks that need the rows themselves. */
  private static Map<String, String> summarize(Iterable<RowBatch> batches) {
    Map<String, Integer> rows = new TreeMap<>();
    Map<String, Integer> count = new TreeMap<>();
    for (RowBatch b : batches) {
      String key = b.schema().studyKey() + "/" + b.schema().tableKey();
      rows.merge(key, b.size(), Integer::sum);
      count.merge(key, 1, Integer::sum);
    }
    Map<String, String> out = new TreeMap<>();
    rows.forEach((k, v) -> out.put(k, v + " rows in " + count.get(k)));
    return out;
  }

  private static final Map<String, String> EXPECTED_SUMMARY =
      new TreeMap<>(
          Map.ofEntries(
              Map.entry("CARDIO01/forms", "5 rows in 1"),
              Map.entry("CARDIO01/variables", "35 rows in 1"),
              Map.entry("CARDIO01/columns", "130 rows in 3"),
              Map.entry("CARDIO01/sites", "3 rows in 1"),
              Map.entry("CARDIO01/subjects", "15 rows in 1"),
              Map.entry("CARDIO01/intervals", "4 rows in 1"),
              Map.entry("CARDIO01/visits", "60 rows in 2"),
              Map.entry("CARDIO01/record_revisions", "190 rows in 4"),
              Map.entry("ONCO-22/forms", "5 rows in 1"),
              Map.entry("ONCO-22/variables", "21 rows in 1"),
              Map.entry("ONCO-22/columns", "116 rows in 3"),
              Map.entry("ONCO-22/sites", "2 rows in 1"),
              Map.entry("ONCO-22/subjects", "20 rows in 1"),
              Map.entry("ONCO-22/intervals", "4 rows in 1"),
              Map.entry("ONCO-22/visits", "80 rows in 2"),
              Map.entry("ONCO-22/record_revisions", "58 rows in 2")));

  private static List<String> columnNames(Iterable<RowBatch> batches, String study, String form) {
    List<Object[]> rows = new ArrayList<>();
    for (RowBatch b : batches) {
      if (b.schema().studyKey().equals(study) && b.schema().tableKey().equals("columns")) {
        rows.addAll(b.rows());
      }
    }
    rows.sort((a, c) -> Long.compare((Long) a[7], (Long) c[7]));
    List<String> names = new ArrayList<>();
    for (Object[] r : rows) {
      if (r[1].equals(form) && r[3] != null) {
        names.add((String) r[2]);
      }
    }
    return names;
  }

  private static void check(Iterable<RowBatch> batches, boolean useLabels) {
    assertEquals(EXPECTED_SUMMARY, summarize(batches));
    Object[] firstSite = null;
    for (RowBatch b : batches) {
      String last = b.schema().columns().get(b.schema().size() - 1).name();
      if (!b.schema().tableKey().equals("columns")) {
        assertEquals("_extra", last);
        for (Object[] row : b.rows()) {
          // Every field of the sample metadata has a typed column and parses.
          assertNull(row[row.length - 1], () -> b + " " + java.util.Arrays.toString(row));
          assertEquals(b.schema().studyKey(), row[0]);
        }
      }
      if (b.schema().studyKey().equals("CARDIO01") && b.schema().tableKey().equals("sites")) {
        firstSite = b.rows().get(0);
      }
    }
    assertArrayEquals(
        new Object[] {
          "CARDIO01",
          12L,
          "Lakeside Clinic",
          "Enrollment Open",
          LocalDateTime.of(2025, 3, 3, 10, 0),
          LocalDateTime.of(2025, 3, 10, 8, 30),
          null
        },
        firstSite);
    assertEquals(
        useLabels
            ? List.of(
                "Date of measurement",
                "Time of measurement",
                "Systolic blood pressure",
                "Diastolic blood pressure",
                "Temperature",
                "Temperature_2",
                "Position during measurement",
                "VSCOMM")
            : List.of("VSDAT", "VSTIM", "SYSBP", "DIABP", "TEMP", "Temp_2", "VSPOS", "VSCOMM"),
        columnNames(batches, "CARDIO01", "VS"));
    List<String> lb = columnNames(batches, "CARDIO01", "LB");
    assertTrue(lb.contains("LBFILE"), lb::toString);
  }

  private void run(boolean useLabels) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    PCollection<RowBatch> out =
        p.apply(
            ReadStudyMetadata.create()
                .withApiConfig(config())
                .withStudies(List.of("CARDIO01", "ONCO-22"))
                .withUseLabels(useLabels)
                .withBatchSize(50));
    PAssert.that(out)
        .satisfies(
            batches -> {
              check(batches, useLabels);
              return null;
            });
    p.run().waitUntilFinish();
  }

  @Test
  void sampleStudiesWithVariableNames() {
    run(false);
  }

  @Test
  void sampleStudiesWithLabels() {
    run(true);
  }
}
