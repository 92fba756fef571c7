package org.imednet.export.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.annotation.Nullable;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.ApiPage;
import org.imednet.export.api.ImednetApi;
import org.imednet.export.api.PageQuery;
import org.imednet.export.api.Secret;
import org.imednet.export.flatten.FormSchema;
import org.imednet.export.rows.Column;
import org.imednet.export.rows.ColumnType;
import org.imednet.export.rows.RowBatch;
import org.imednet.export.rows.TableSchema;
import org.junit.jupiter.api.Test;

class ReadStudyMetadataTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Resources of the fake study, keyed by "study/resource", as JSON array text. */
  private static final Map<String, String> DATA = new ConcurrentHashMap<>();

  static {
    DATA.put(
        "META01/forms",
        "[{\"studyKey\":\"META01\",\"formId\":3101,\"formKey\":\"VS\",\"formName\":\"Vital Signs\","
            + "\"formType\":\"Subject\",\"revision\":4,\"embeddedLog\":false,\"enforceOwnership\":false,"
            + "\"userAgreement\":false,\"subjectRecordReport\":false,\"unscheduledVisit\":true,"
            + "\"otherForms\":[],\"eproForm\":false,\"allowCopy\":true,\"disabled\":false,"
            + "\"dateCreated\":\"2025-03-02 09:20:00\",\"dateModified\":\"2025-05-14 11:02:45\","
            + "\"newField\":\"x\"},"
            + "{\"formId\":3102,\"formKey\":\"AE\",\"formName\":\"Adverse events\"}]");
    DATA.put(
        "META01/variables",
        "[{\"variableId\":2,\"variableType\":\"Integer\",\"variableName\":\"SYSBP\",\"sequence\":2,"
            + "\"formId\":3101,\"label\":\"Systolic\",\"deleted\":false},"
            + "{\"variableId\":1,\"variableType\":\"Lookup\",\"variableName\":\"sysbp\",\"sequence\":1,"
            + "\"formId\":3101,\"label\":null},"
            + "{\"variableId\":3,\"variableType\":\"Text\",\"variableName\":\"AETERM\",\"sequence\":1,"
            + "\"formId\":3102,\"label\":\"Systolic\"}]");
    DATA.put(
        "META01/sites",
        "[{\"studyKey\":\"META01\",\"siteId\":12,\"siteName\":\"Lakeside Clinic\","
            + "\"siteEnrollmentStatus\":\"Enrollment Open\",\"dateCreated\":\"2025-03-03 10:00:00\","
            + "\"dateModified\":\"2025-03-10 08:30:00\"},"
            + "{\"siteId\":\"thirteen\",\"siteName\":\"Hill\"},"
            + "{\"siteId\":14},{\"siteId\":15}]");
    DATA.put(
        "META01/subjects",
        "[{\"subjectId\":5521,\"subjectKey\":\"12-004\",\"deleted\":false,"
            + "\"enrollmentStartDate\":\"2025-04-02 08:00:00\",\"keywords\":[{\"keywordKey\":\"SDV\"}]}]");
    DATA.put(
        "META01/intervals",
        "[{\"intervalId\":40,\"intervalName\":\"Week 4\",\"dueDateWillBeIn\":28,"
            + "\"forms\":[{\"formId\":3101,\"formKey\":\"VS\",\"formName\":\"Vital Signs\"}]}]");
    DATA.put(
        "META01/visits",
        "[{\"visitId\":77310,\"startDate\":\"2025-05-20\",\"endDate\":\"\",\"dueDate\":null,"
            + "\"visitDate\":\"2025-05\"}]");
    DATA.put("META01/recordRevisions", "[]");
  }

  /** An in-memory API serving {@link #DATA}. */
  static final class FakeApi implements ImednetApi {
    @Override
    public ApiPage getPage(@Nullable String studyKey, String resource, PageQuery query) {
      // Offset paging over the list, in the order given (already by primary id).
      List<JsonNode> all = new ArrayList<>();
      listAll(studyKey, resource, query.filter()).forEachRemaining(all::add);
      int from = Math.min(all.size(), query.page() * query.size());
      int to = Math.min(all.size(), from + query.size());
      int pages = (all.size() + query.size() - 1) / query.size();
      return new ApiPage(new ArrayList<>(all.subList(from, to)), query.page(), pages, all.size());
    }

    @Override
    public Iterator<JsonNode> listAll(
        @Nullable String studyKey, String resource, @Nullable String filter) {
      String json = DATA.getOrDefault(studyKey + "/" + resource, "[]");
      List<JsonNode> items = new ArrayList<>();
      try {
        MAPPER.readTree(json).forEach(items::add);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return items.iterator();
    }

    @Override
    public void close() {}
  }

  private static final ApiConfig FAKE_CONFIG =
      ApiConfig.builder()
          .baseUrl("http://127.0.0.1:9")
          .apiKey(Secret.of("k"))
          .securityKey(Secret.of("s"))
          .build();

  private static Pipeline pipeline() {
    return Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
  }

  private static TableSchema schema(String table, Object... namesAndTypes) {
    List<Column> columns = new ArrayList<>();
    columns.add(Column.metadata("study_key", ColumnType.STRING));
    for (int i = 0; i < namesAndTypes.length; i += 2) {
      columns.add(Column.metadata((String) namesAndTypes[i], (ColumnType) namesAndTypes[i + 1]));
    }
    columns.add(Column.system("_extra", ColumnType.STRING));
    return TableSchema.metadata("META01", table, columns);
  }

  private static final ColumnType S = ColumnType.STRING;
  private static final ColumnType L = ColumnType.LONG;
  private static final ColumnType B = ColumnType.BOOLEAN;
  private static final ColumnType D = ColumnType.DATE;
  private static final ColumnType T = ColumnType.TIMESTAMP;

  @Test
  void tableSchemas() {
    assertEquals(
        schema(
            "forms",
            "form_id",
            L,
            "form_key",
            S,
            "form_name",
            S,
            "form_type",
            S,
            "revision",
            L,
            "embedded_log",
            B,
            "enforce_ownership",
            B,
            "user_agreement",
            B,
            "subject_record_report",
            B,
            "unscheduled_visit",
            B,
            "other_forms",
            B,
            "epro_form",
            B,
            "allow_copy",
            B,
            "disabled",
            B,
            "date_created",
            T,
            "date_modified",
            T),
        ReadStudyMetadataTables.FORMS.schema("META01"));
    assertEquals(
        schema(
            "visits",
            "visit_id",
            L,
            "interval_id",
            L,
            "interval_name",
            S,
            "subject_id",
            L,
            "subject_key",
            S,
            "start_date",
            D,
            "end_date",
            D,
            "due_date",
            D,
            "visit_date",
            D,
            "visit_date_form",
            S,
            "visit_date_question",
            S,
            "deleted",
            B,
            "date_created",
            T,
            "date_modified",
            T),
        ReadStudyMetadataTables.VISITS.schema("META01"));
    assertEquals(
        schema(
            "record_revisions",
            "record_revision_id",
            L,
            "record_id",
            L,
            "record_oid",
            S,
            "record_revision",
            L,
            "data_revision",
            L,
            "record_status",
            S,
            "subject_id",
            L,
            "subject_oid",
            S,
            "subject_key",
            S,
            "site_id",
            L,
            "form_key",
            S,
            "interval_id",
            L,
            "role",
            S,
            "user",
            S,
            "reason_for_change",
            S,
            "deleted",
            B,
            "date_created",
            T),
        ReadStudyMetadataTables.RECORD_REVISIONS.schema("META01"));
  }

  private static Object[] row(Object... values) {
    return values;
  }

  private static List<RowBatch> expected(boolean useLabels, int batchSize) {
    List<RowBatch> batches = new ArrayList<>();
    batches.add(
        RowBatch.of(
            ReadStudyMetadataTables.FORMS.schema("META01"),
            List.of(
                row(
                    "META01",
                    3101L,
                    "VS",
                    "Vital Signs",
                    "Subject",
                    4L,
                    false,
                    false,
                    false,
                    false,
                    true,
                    null,
                    false,
                    true,
                    false,
                    LocalDateTime.of(2025, 3, 2, 9, 20),
                    LocalDateTime.of(2025, 5, 14, 11, 2, 45),
                    "{\"otherForms\":[],\"newField\":\"x\"}"),
                row(
                    "META01",
                    3102L,
                    "AE",
                    "Adverse events",
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null))));
    TableSchema variables = ReadStudyMetadataTables.VARIABLES.schema("META01");
    batches.add(
        RowBatch.of(
            variables,
            List.of(
                row(
                    "META01",
                    2L,
                    "Integer",
                    "SYSBP",
                    2L,
                    null,
                    null,
                    null,
                    null,
                    3101L,
                    null,
                    false,
                    null,
                    null,
                    "Systolic",
                    null,
                    null),
                row(
                    "META01", 1L, "Lookup", "sysbp", 1L, null, null, null, null, 3101L, null, null,
                    null, null, null, null, null),
                row(
                    "META01",
                    3L,
                    "Text",
                    "AETERM",
                    1L,
                    null,
                    null,
                    null,
                    null,
                    3102L,
                    null,
                    null,
                    null,
                    null,
                    "Systolic",
                    null,
                    null))));
    List<Object[]> columns = new ArrayList<>();
    String[] meta = {
      "study_key", "form_key", "form_id", "record_id", "record_oid", "record_type",
      "record_status", "subject_id", "subject_key", "subject_oid", "site_id", "interval_id",
      "visit_id", "parent_record_id", "deleted", "date_created", "date_modified"
    };
    for (String form : new String[] {"VS", "AE"}) {
      for (int i = 0; i < meta.length; i++) {
        columns.add(
            row(
                "META01",
                form,
                meta[i],
                null,
                null,
                null,
                FormSchema.METADATA_COLUMNS.get(i).type().name(),
                (long) i + 1));
      }
      if (form.equals("VS")) {
        columns.add(row("META01", "VS", "sysbp", "sysbp", null, "Lookup", "STRING", 18L));
        columns.add(
            row(
                "META01",
                "VS",
                useLabels ? "Systolic" : "SYSBP_2",
                "SYSBP",
                "Systolic",
                "Integer",
                "LONG",
                19L));
        columns.add(row("META01", "VS", "_parse_errors", null, null, null, "STRING", 20L));
        columns.add(row("META01", "VS", "_record_data", null, null, null, "STRING", 21L));
      } else {
        columns.add(
            row(
                "META01",
                "AE",
                useLabels ? "Systolic" : "AETERM",
                "AETERM",
                "Systolic",
                "Text",
                "STRING",
                18L));
        columns.add(row("META01", "AE", "_parse_errors", null, null, null, "STRING", 19L));
        columns.add(row("META01", "AE", "_record_data", null, null, null, "STRING", 20L));
      }
    }
    for (int i = 0; i < columns.size(); i += batchSize) {
      batches.add(
          RowBatch.of(
              FormSchema.columnsTable("META01"),
              columns.subList(i, Math.min(columns.size(), i + batchSize))));
    }
    List<Object[]> sites =
        List.of(
            row(
                "META01",
                12L,
                "Lakeside Clinic",
                "Enrollment Open",
                LocalDateTime.of(2025, 3, 3, 10, 0),
                LocalDateTime.of(2025, 3, 10, 8, 30),
                null),
            row("META01", null, "Hill", null, null, null, "{\"siteId\":\"thirteen\"}"),
            row("META01", 14L, null, null, null, null, null),
            row("META01", 15L, null, null, null, null, null));
    for (int i = 0; i < sites.size(); i += batchSize) {
      batches.add(
          RowBatch.of(
              ReadStudyMetadataTables.SITES.schema("META01"),
              sites.subList(i, Math.min(sites.size(), i + batchSize))));
    }
    batches.add(
        RowBatch.of(
            ReadStudyMetadataTables.SUBJECTS.schema("META01"),
            List.<Object[]>of(
                row(
                    "META01",
                    5521L,
                    null,
                    "12-004",
                    null,
                    null,
                    null,
                    false,
                    LocalDateTime.of(2025, 4, 2, 8, 0),
                    null,
                    null,
                    "[{\"keywordKey\":\"SDV\"}]",
                    null))));
    Object[] interval = new Object[22];
    interval[0] = "META01";
    interval[1] = 40L;
    interval[2] = "Week 4";
    interval[13] = 28L;
    interval[17] = "[{\"formId\":3101,\"formKey\":\"VS\",\"formName\":\"Vital Signs\"}]";
    batches.add(
        RowBatch.of(
            ReadStudyMetadataTables.INTERVALS.schema("META01"), List.<Object[]>of(interval)));
    batches.add(
        RowBatch.of(
            ReadStudyMetadataTables.VISITS.schema("META01"),
            List.<Object[]>of(
                row(
                    "META01",
                    77310L,
                    null,
                    null,
                    null,
                    null,
                    LocalDate.of(2025, 5, 20),
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    "{\"visitDate\":\"2025-05\"}"))));
    return batches;
  }

  @Test
  void readsEveryTableOfAFakeStudy() {
    Pipeline p = pipeline();
    PCollection<RowBatch> out =
        p.apply(
            ReadStudyMetadata.create()
                .withApiConfig(FAKE_CONFIG)
                .withApiFactory(c -> new FakeApi())
                .withStudies(List.of("META01")));
    PAssert.that(out).containsInAnyOrder(expected(false, 1000));
    p.run().waitUntilFinish();
  }

  @Test
  void useLabelsAndBatchSizeChangeTheOutput() {
    Pipeline p = pipeline();
    PCollection<RowBatch> out =
        p.apply(Create.of(List.of("META01")))
            .apply(
                ReadStudyMetadata.create()
                    .withApiConfig(FAKE_CONFIG)
                    .withApiFactory(c -> new FakeApi())
                    .withUseLabels(true)
                    .withBatchSize(3)
                    .readAll());
    // 41 columns rows and 4 sites in batches of 3; forms and variables fit in one batch each.
    List<RowBatch> expected = expected(true, 3);
    PAssert.that(out).containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }

  /** The full output with the forms, variables and columns tables limited to form AE. */
  private static List<RowBatch> expectedOnlyAe() {
    List<RowBatch> expected = new ArrayList<>();
    for (RowBatch b : expected(false, 1000)) {
      String table = b.schema().tableKey();
      List<Object[]> rows = new ArrayList<>();
      for (Object[] r : b.rows()) {
        boolean keep =
            table.equals("forms")
                ? r[2].equals("AE")
                : table.equals("variables")
                    ? r[3].equals("AETERM")
                    : !table.equals("columns") || r[1].equals("AE");
        if (keep) {
          rows.add(r);
        }
      }
      expected.add(RowBatch.of(b.schema(), rows));
    }
    return expected;
  }

  @Test
  void formSelectionLimitsTheStructureTables() {
    Pipeline p = pipeline();
    PCollection<RowBatch> out =
        p.apply(
            ReadStudyMetadata.create()
                .withApiConfig(FAKE_CONFIG)
                .withApiFactory(c -> new FakeApi())
                .withStudies(List.of("META01"))
                .withForms(List.of("3102"))
                .withVariables(List.of("AETERM", "SYSBP")));
    PAssert.that(out).containsInAnyOrder(expectedOnlyAe());
    p.run().waitUntilFinish();
  }

  @Test
  void formsWithoutSelectedVariablesAreLeftOut() {
    Pipeline p = pipeline();
    PCollection<RowBatch> out =
        p.apply(
            ReadStudyMetadata.create()
                .withApiConfig(FAKE_CONFIG)
                .withApiFactory(c -> new FakeApi())
                .withStudies(List.of("META01"))
                .withVariables(List.of("AETERM")));
    PAssert.that(out).containsInAnyOrder(expectedOnlyAe());
    p.run().waitUntilFinish();
  }

  @Test
  void validation() {
    assertEquals(
        "withStudies() is required (or apply readAll() to a PCollection of study keys)",
        assertThrows(
                IllegalArgumentException.class,
                () -> pipeline().apply(ReadStudyMetadata.create().withApiConfig(FAKE_CONFIG)))
            .getMessage());
    assertEquals(
        "withApiConfig() is required",
        assertThrows(
                IllegalArgumentException.class,
                () -> pipeline().apply(ReadStudyMetadata.create().withStudies(List.of("A"))))
            .getMessage());
    assertEquals(
        "batchSize must be 1..1000, was 1001",
        assertThrows(
                IllegalArgumentException.class,
                () -> ReadStudyMetadata.create().withBatchSize(1001))
            .getMessage());
    assertEquals(
        "withStudies() needs at least one study key",
        assertThrows(
                IllegalArgumentException.class,
                () -> ReadStudyMetadata.create().withStudies(List.of()))
            .getMessage());
  }

  @Test
  void snakeCase() {
    assertEquals("record_revision_id", ReadStudyMetadataTables.snakeCase("recordRevisionId"));
    assertEquals("user", ReadStudyMetadataTables.snakeCase("user"));
  }

  @Test
  void nonObjectItemIsKeptInExtra() {
    Object[] row = ReadStudyMetadataTables.SITES.row("META01", MAPPER.valueToTree(List.of(1, 2)));
    assertArrayEquals(
        new Object[] {"META01", null, null, null, null, null, "{\"_item\":[1,2]}"}, row);
  }
}
