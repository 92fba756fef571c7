package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.FaultPlan;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --vars} across forms and studies: each form keeps the names it has. */
class VariableSelectionCliTest {
  private static final String API_KEY = "vars-api-key-31d0";
  private static final String SECURITY_KEY = "vars-security-key-8a44";

  private static final List<String> METADATA_COLUMNS =
      List.of(
          "study_key",
          "form_key",
          "form_id",
          "record_id",
          "record_oid",
          "record_type",
          "record_status",
          "subject_id",
          "subject_key",
          "subject_oid",
          "site_id",
          "interval_id",
          "visit_id",
          "parent_record_id",
          "deleted",
          "date_created",
          "date_modified");

  @TempDir Path tmp;

  private static List<String> columns(String... variables) {
    List<String> c = new ArrayList<>(METADATA_COLUMNS);
    c.addAll(List.of(variables));
    c.addAll(List.of("_parse_errors", "_record_data"));
    return c;
  }

  private static List<String> partitionColumns(Path lake, String study, String form)
      throws Exception {
    List<String> names = new ArrayList<>();
    for (List<Object> row :
        CliFixture.query(
            null,
            "DESCRIBE SELECT * FROM read_parquet('"
                + lake.resolve("study_key=" + study).resolve("form_key=" + form)
                + "/*.parquet')")) {
      names.add((String) row.get(0));
    }
    return names;
  }

  @Test
  void varsSelectTheNamesEachFormHasAcrossFormsAndStudies() throws Exception {
    try (ImednetEmulator emu =
        ImednetEmulator.builder()
            .data(FolderStudyData.load(SampleStudies.root()))
            .credentials(API_KEY, SECURITY_KEY)
            .port(0)
            .faults(FaultPlan.none())
            .build()
            .start()) {
      Path env = CliFixture.envFile(tmp, emu.baseUrl(), API_KEY, SECURITY_KEY);
      Path lake = tmp.resolve("lake");
      // SYSBP is only in CARDIO01's VS, AGE only in ONCO-22's DM, SEX in both DM forms.
      CliFixture.Run run =
          CliFixture.run(
              "export",
              "parquet",
              "CARDIO01",
              "ONCO-22",
              "--vars",
              "SYSBP,AGE,SEX",
              "--lake",
              lake.toString(),
              "--env-file",
              env.toString(),
              "--progress",
              "none");
      assertEquals(0, run.exitCode, run.toString());

      assertEquals(Map.of("DM", 15L, "VS", 75L), CliFixture.lakeCounts(lake, "CARDIO01"));
      assertEquals(Map.of("DM", 20L), CliFixture.lakeCounts(lake, "ONCO-22"));
      assertEquals(columns("SEX"), partitionColumns(lake, "CARDIO01", "DM"));
      assertEquals(columns("SYSBP"), partitionColumns(lake, "CARDIO01", "VS"));
      assertEquals(columns("AGE", "SEX"), partitionColumns(lake, "ONCO-22", "DM"));
      assertEquals(
          List.of(List.of(62L, "F")),
          CliFixture.query(
              null,
              "SELECT AGE, SEX FROM read_parquet('"
                  + lake.resolve("study_key=ONCO-22").resolve("form_key=DM")
                  + "/*.parquet') ORDER BY record_id LIMIT 1"));
    }
  }
}
