package org.imednet.export.testdata.generator;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.imednet.export.testdata.emulator.Resource;
import org.imednet.export.testdata.emulator.Slice;
import org.imednet.export.testdata.emulator.StudyData;

/**
 * A deterministic, streaming synthetic {@link StudyData}: item {@code i} of a resource is a pure
 * function of (seed, study, i), so nothing is held in memory and a study of 10 M records is served
 * as easily as one of 10.
 *
 * <pre>{@code
 * StudyData data = new SyntheticStudyData(SyntheticStudySpec.create().withRecordsPerStudy(1_000_000));
 * ImednetEmulator emu = ImednetEmulator.builder().data(data).build().start();
 * }</pre>
 *
 * <p>Layout of study {@code s} (1-based, key {@code SYN001}, …): forms {@code F001…} with formId
 * {@code 1000 + f}; the records are split evenly over the forms in form order (the first {@code
 * records % forms} forms get one more), and record {@code i} (0-based) has recordId {@code
 * 10,000,000 + i}, so each form's records have contiguous ascending ids and any {@link Slice}
 * ({@code formId==F;recordId>X}) is answered in O(1). Variables cycle through the types integer,
 * number, date, datetime, text, radio, checkbox and boolean (in varying case); about 4% of values
 * are {@code ""} and about 1% of records are {@code deleted}. All values are strings, as in the
 * real API. Each study also has 5 sites, 5 intervals, {@code max(1, min(records / 20, 50,000))}
 * subjects, one visit per subject and interval, and no record revisions.
 */
public final class SyntheticStudyData implements StudyData {
  public static final long FIRST_RECORD_ID = 10_000_000L;
  public static final long FIRST_FORM_ID = 1000L;
  public static final long FIRST_VARIABLE_ID = 100_000L;
  public static final long FIRST_SUBJECT_ID = 1_000_000L;
  public static final long FIRST_VISIT_ID = 5_000_000L;
  public static final long FIRST_SITE_ID = 100L;
  public static final long FIRST_INTERVAL_ID = 10L;
  private static final int SITES = 5;
  private static final int INTERVALS = 5;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String[] TYPES = {
    "integer", "Number", "date", "DateTime", "Text", "RADIO", "Checkbox", "boolean",
    "Integer", "number", "Date", "datetime", "text", "radio", "checkbox", "Boolean"
  };
  private static final String[] WORDS = {
    "headache",
    "mild",
    "resolved",
    "patient",
    "reported",
    "nausea",
    "after",
    "dose",
    "visit",
    "repeated",
    "measurement",
    "normal",
    "elevated",
    "follow-up",
    "required",
    "none"
  };
  private static final String[] STATUSES = {
    "Record Complete", "Record Incomplete", "Record Verified"
  };
  private static final long BASE_EPOCH_SECOND = 1_704_067_200L; // 2024-01-01T00:00:00Z

  private final SyntheticStudySpec spec;
  private final long subjects;
  // Names are formatted once: String.format per record and variable would dominate serving time.
  private final String[] studyKeys;
  private final String[] formKeys;
  private final String[] variableNames;
  // The same, pre-encoded for the direct record writer.
  private final SerializableString[] studyKeysJson;
  private final SerializableString[] formKeysJson;
  private final SerializableString[] variableNamesJson;

  public SyntheticStudyData(SyntheticStudySpec spec) {
    this.spec = spec;
    this.subjects = Math.max(1, Math.min(spec.recordsPerStudy() / 20, 50_000));
    this.studyKeys = new String[spec.studies() + 1];
    for (int s = 1; s <= spec.studies(); s++) {
      studyKeys[s] = studyKey(s);
    }
    this.formKeys = new String[spec.formsPerStudy()];
    for (int f = 0; f < formKeys.length; f++) {
      formKeys[f] = formKey(f);
    }
    this.variableNames = new String[spec.variablesPerForm()];
    for (int v = 0; v < variableNames.length; v++) {
      variableNames[v] = variableName(v);
    }
    this.studyKeysJson = serialized(studyKeys);
    this.formKeysJson = serialized(formKeys);
    this.variableNamesJson = serialized(variableNames);
  }

  private static SerializableString[] serialized(String[] values) {
    SerializableString[] out = new SerializableString[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i] == null ? null : new SerializedString(values[i]);
    }
    return out;
  }

  public SyntheticStudySpec spec() {
    return spec;
  }

  /** {@code SYN001}, {@code SYN002}, … */
  public static String studyKey(int study) {
    return String.format("SYN%03d", study);
  }

  public List<String> studyKeys() {
    List<String> keys = new ArrayList<>();
    for (int s = 1; s <= spec.studies(); s++) {
      keys.add(studyKey(s));
    }
    return keys;
  }

  public static String formKey(int form) {
    return String.format("F%03d", form + 1);
  }

  /** Records of form {@code form} (0-based). */
  public long recordsOfForm(int form) {
    long base = spec.recordsPerStudy() / spec.formsPerStudy();
    long rem = spec.recordsPerStudy() % spec.formsPerStudy();
    return base + (form < rem ? 1 : 0);
  }

  /** Index of the first record of form {@code form} (0-based). */
  public long firstRecordOfForm(int form) {
    long base = spec.recordsPerStudy() / spec.formsPerStudy();
    long rem = spec.recordsPerStudy() % spec.formsPerStudy();
    return form * base + Math.min(form, rem);
  }

  // --- StudyData -------------------------------------------------------------------------------

  @Override
  public List<JsonNode> studies() {
    List<JsonNode> out = new ArrayList<>();
    for (int s = 1; s <= spec.studies(); s++) {
      ObjectNode n = NODES.objectNode();
      n.put("sponsorKey", "900");
      n.put("studyKey", studyKey(s));
      n.put("studyId", 90_000 + s);
      n.put("studyName", "Synthetic study " + s);
      n.put("studyDescription", "Generated from seed " + spec.seed());
      n.put("studyType", "STUDY");
      n.put("dateCreated", "2024-01-01 00:00:00");
      n.put("dateModified", "2024-01-02 00:00:00");
      out.add(n);
    }
    return out;
  }

  @Override
  public boolean hasStudy(String studyKey) {
    return studyNumber(studyKey) > 0;
  }

  @Override
  public long count(String studyKey, Resource resource, Slice slice) {
    long[] range = range(studyNumber(studyKey), resource, slice);
    return range[1] - range[0];
  }

  @Override
  public Iterator<JsonNode> items(
      String studyKey, Resource resource, Slice slice, long offset, boolean descending) {
    int study = studyNumber(studyKey);
    long[] range = range(study, resource, slice);
    long lo = range[0];
    long hi = range[1];
    if (offset >= hi - lo) {
      return Collections.emptyIterator();
    }
    long first = descending ? hi - 1 - offset : lo + offset;
    long end = descending ? lo - 1 : hi;
    long step = descending ? -1 : 1;
    return new Iterator<>() {
      long next = first;

      @Override
      public boolean hasNext() {
        return next != end;
      }

      @Override
      public JsonNode next() {
        if (next == end) {
          throw new NoSuchElementException();
        }
        JsonNode item = item(study, resource, next);
        next += step;
        return item;
      }
    };
  }

  /** Records are written straight to {@code out}; other resources through their nodes. */
  @Override
  public long writeItems(
      JsonGenerator out,
      String studyKey,
      Resource resource,
      Slice slice,
      long offset,
      boolean descending,
      long limit)
      throws IOException {
    if (resource != Resource.RECORDS) {
      return StudyData.super.writeItems(out, studyKey, resource, slice, offset, descending, limit);
    }
    int study = studyNumber(studyKey);
    long[] range = range(study, resource, slice);
    long n = Math.max(0, Math.min(limit, range[1] - range[0] - offset));
    char[] scratch = new char[SCRATCH_CHARS];
    for (long k = 0; k < n; k++) {
      writeRecord(
          out, study, descending ? range[1] - 1 - offset - k : range[0] + offset + k, scratch);
    }
    return n;
  }

  private int studyNumber(String studyKey) {
    if (studyKey == null || studyKey.length() != 6 || !studyKey.startsWith("SYN")) {
      return 0;
    }
    try {
      int s = Integer.parseInt(studyKey.substring(3));
      return s >= 1 && s <= spec.studies() ? s : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private long size(Resource r) {
    switch (r) {
      case SITES:
        return SITES;
      case INTERVALS:
        return INTERVALS;
      case FORMS:
        return spec.formsPerStudy();
      case VARIABLES:
        return (long) spec.formsPerStudy() * spec.variablesPerForm();
      case SUBJECTS:
        return subjects;
      case VISITS:
        return subjects * INTERVALS;
      case RECORDS:
        return spec.recordsPerStudy();
      case RECORD_REVISIONS:
        return 0;
      default:
        throw new AssertionError(r);
    }
  }

  private static long firstId(Resource r) {
    switch (r) {
      case SITES:
        return FIRST_SITE_ID;
      case INTERVALS:
        return FIRST_INTERVAL_ID;
      case FORMS:
        return FIRST_FORM_ID;
      case VARIABLES:
        return FIRST_VARIABLE_ID;
      case SUBJECTS:
        return FIRST_SUBJECT_ID;
      case VISITS:
        return FIRST_VISIT_ID;
      case RECORDS:
        return FIRST_RECORD_ID;
      default:
        return 1;
    }
  }

  /** The index range {@code [lo, hi)} of a slice, in O(1). */
  private long[] range(int study, Resource r, Slice slice) {
    if (study == 0) {
      throw new IllegalArgumentException("unknown study");
    }
    long lo = 0;
    long hi = size(r);
    if (slice.formId() != null && r.hasFormId()) {
      long f = slice.formId() - FIRST_FORM_ID;
      if (f < 0 || f >= spec.formsPerStudy()) {
        return new long[] {0, 0};
      }
      if (r == Resource.RECORDS) {
        lo = firstRecordOfForm((int) f);
        hi = lo + recordsOfForm((int) f);
      } else {
        lo = f * spec.variablesPerForm();
        hi = lo + spec.variablesPerForm();
      }
    }
    long base = firstId(r);
    if (slice.afterId() >= base) {
      lo = Math.max(lo, slice.afterId() - base + 1);
    }
    if (slice.upToId() < Long.MAX_VALUE) {
      hi = Math.min(hi, slice.upToId() < base ? 0 : slice.upToId() - base + 1);
    }
    return hi > lo ? new long[] {lo, hi} : new long[] {0, 0};
  }

  // --- items -----------------------------------------------------------------------------------

  private JsonNode item(int study, Resource r, long i) {
    switch (r) {
      case SITES:
        return site(study, i);
      case INTERVALS:
        return interval(study, i);
      case FORMS:
        return form(study, (int) i);
      case VARIABLES:
        return variable(
            study, (int) (i / spec.variablesPerForm()), (int) (i % spec.variablesPerForm()));
      case SUBJECTS:
        return subject(study, i);
      case VISITS:
        return visit(study, i);
      case RECORDS:
        return record(study, i);
      default:
        throw new AssertionError(r);
    }
  }

  private ObjectNode site(int study, long i) {
    ObjectNode n = NODES.objectNode();
    n.put("studyKey", studyKey(study));
    n.put("siteId", FIRST_SITE_ID + i);
    n.put("siteName", "Site " + (i + 1));
    n.put("siteEnrollmentStatus", i == SITES - 1 ? "Enrollment Closed" : "Enrollment Open");
    n.put("dateCreated", "2024-01-01 00:00:00");
    n.put("dateModified", "2024-01-02 00:00:00");
    return n;
  }

  private ObjectNode interval(int study, long i) {
    ObjectNode n = NODES.objectNode();
    n.put("studyKey", studyKey(study));
    n.put("intervalId", FIRST_INTERVAL_ID + i);
    n.put("intervalName", i == 0 ? "Screening" : "Visit " + i);
    n.put("intervalDescription", i == 0 ? "Screening" : "Visit " + i);
    n.put("intervalSequence", 100 + 10 * i);
    n.put("intervalGroupId", 1);
    n.put("intervalGroupName", "Treatment");
    n.put("timeline", "Due Date");
    n.put("definedUsingInterval", "Screening");
    n.put("windowCalculationForm", formKey(0));
    n.put("windowCalculationDate", "DATE");
    n.put("actualDateForm", formKey(0));
    n.put("actualDate", "DATE");
    n.put("dueDateWillBeIn", 28 * i);
    n.put("negativeSlack", 3);
    n.put("positiveSlack", 3);
    n.put("eproGracePeriod", 0);
    n.putArray("forms");
    n.put("disabled", false);
    n.put("dateCreated", "2024-01-01 00:00:00");
    n.put("dateModified", "2024-01-01 00:00:00");
    return n;
  }

  private ObjectNode form(int study, int f) {
    ObjectNode n = NODES.objectNode();
    n.put("studyKey", studyKey(study));
    n.put("formId", FIRST_FORM_ID + f);
    n.put("formKey", formKey(f));
    n.put("formName", "Synthetic form " + (f + 1));
    n.put("formType", "Subject");
    n.put("revision", 1);
    n.put("embeddedLog", false);
    n.put("enforceOwnership", false);
    n.put("userAgreement", false);
    n.put("subjectRecordReport", false);
    n.put("unscheduledVisit", false);
    n.put("otherForms", false);
    n.put("eproForm", false);
    n.put("allowCopy", true);
    n.put("disabled", false);
    n.put("dateCreated", "2024-01-01 00:00:00");
    n.put("dateModified", "2024-01-02 00:00:00");
    return n;
  }

  /** The variable type of variable {@code v} of form {@code f}. */
  public static String variableType(int f, int v) {
    return TYPES[(v % 8) + 8 * ((f + v / 8) % 2)];
  }

  public static String variableName(int v) {
    return String.format("V%03d_%s", v + 1, TYPES[v % 8].toUpperCase(java.util.Locale.ROOT));
  }

  private ObjectNode variable(int study, int f, int v) {
    ObjectNode n = NODES.objectNode();
    n.put("studyKey", studyKey(study));
    n.put("variableId", FIRST_VARIABLE_ID + (long) f * spec.variablesPerForm() + v);
    n.put("variableType", variableType(f, v));
    n.put("variableName", variableName(v));
    n.put("sequence", v + 1);
    n.put("revision", 1);
    n.put("disabled", false);
    n.put("dateCreated", "2024-01-01 00:00:00");
    n.put("dateModified", "2024-01-02 00:00:00");
    n.put("formId", FIRST_FORM_ID + f);
    n.put("variableOid", "OID-" + formKey(f) + "-" + (v + 1));
    n.put("deleted", false);
    n.put("formKey", formKey(f));
    n.put("formName", "Synthetic form " + (f + 1));
    n.put(
        "label",
        "Question " + (v + 1) + " (" + TYPES[v % 8].toLowerCase(java.util.Locale.ROOT) + ")");
    n.put("blinded", false);
    return n;
  }

  private static String subjectKey(long k) {
    char[] b = new char[32];
    return new String(b, 0, writeSubjectKey(k, b, 0));
  }

  /** {@code <siteId>-<k + 1, zero-padded to 5 digits>} into b at {@code at}; returns the end. */
  private static int writeSubjectKey(long k, char[] b, int at) {
    at = writeDecimal(FIRST_SITE_ID + k % SITES, b, at);
    b[at++] = '-';
    for (long p = 10_000; p > k + 1 && p > 1; p /= 10) {
      b[at++] = '0';
    }
    return writeDecimal(k + 1, b, at);
  }

  private ObjectNode subject(int study, long k) {
    ObjectNode n = NODES.objectNode();
    n.put("studyKey", studyKey(study));
    n.put("subjectId", FIRST_SUBJECT_ID + k);
    n.put("subjectOid", "OID-S" + (k + 1));
    n.put("subjectKey", subjectKey(k));
    n.put("subjectStatus", "Enrolled");
    n.put("siteId", FIRST_SITE_ID + k % SITES);
    n.put("siteName", "Site " + (k % SITES + 1));
    n.put("deleted", false);
    n.put("enrollmentStartDate", timestamp(k * 600));
    n.put("dateCreated", timestamp(k * 600));
    n.put("dateModified", timestamp(k * 600 + 3600));
    n.putArray("keywords");
    return n;
  }

  private ObjectNode visit(int study, long i) {
    long k = i / INTERVALS;
    long iv = i % INTERVALS;
    ObjectNode n = NODES.objectNode();
    n.put("visitId", FIRST_VISIT_ID + i);
    n.put("studyKey", studyKey(study));
    n.put("intervalId", FIRST_INTERVAL_ID + iv);
    n.put("intervalName", iv == 0 ? "Screening" : "Visit " + iv);
    n.put("subjectId", FIRST_SUBJECT_ID + k);
    n.put("subjectKey", subjectKey(k));
    String day = timestamp(k * 600 + iv * 28 * 86400).substring(0, 10);
    n.put("startDate", day);
    n.put("endDate", day);
    n.putNull("dueDate");
    n.put("visitDate", day);
    n.put("visitDateForm", formKey(0));
    n.put("visitDateQuestion", "DATE");
    n.put("deleted", false);
    n.put("dateCreated", timestamp(k * 600 + iv * 28 * 86400));
    n.put("dateModified", timestamp(k * 600 + iv * 28 * 86400));
    return n;
  }

  /** Record {@code i} (0-based) of study {@code study}: a pure function of (seed, study, i). */
  public ObjectNode record(int study, long i) {
    RecordFacts r = new RecordFacts(study, i);
    char[] b = new char[SCRATCH_CHARS];
    String dc = new String(b, 0, writeTimestamp(r.created, b, 0));
    String dm = new String(b, 0, writeTimestamp(r.modified, b, 0));
    ObjectNode n = NODES.objectNode();
    n.put("studyKey", studyKeys[study]);
    n.put("intervalId", FIRST_INTERVAL_ID + r.interval);
    n.put("formId", FIRST_FORM_ID + r.form);
    n.put("formKey", formKeys[r.form]);
    n.put("siteId", FIRST_SITE_ID + r.subject % SITES);
    n.put("recordId", r.recordId);
    n.put("recordOid", "REC-" + r.recordId);
    n.put("recordType", "SUBJECT");
    n.put("recordStatus", STATUSES[r.status]);
    n.put("deleted", r.deleted);
    n.put("dateCreated", dc);
    n.put("dateModified", dm);
    n.put("subjectId", FIRST_SUBJECT_ID + r.subject);
    n.put("subjectOid", "OID-S" + (r.subject + 1));
    n.put("subjectKey", subjectKey(r.subject));
    n.put("visitId", FIRST_VISIT_ID + r.subject * INTERVALS + r.interval);
    n.put("parentRecordId", 0);
    ArrayNode keywords = n.putArray("keywords");
    if (r.sourceVerified) {
      ObjectNode k = keywords.addObject();
      k.put("keywordName", "Source Verified");
      k.put("keywordKey", "SDV");
      k.put("keywordId", 301);
      k.put("dateAdded", dm);
    }
    ObjectNode data = n.putObject("recordData");
    data.put("dateCreated", dc);
    data.put("dateModified", dm);
    for (int v = 0; v < spec.variablesPerForm(); v++) {
      data.put(variableNames[v], new String(b, 0, writeValue(v, r, b, 0)));
    }
    return n;
  }

  /**
   * Writes record {@code i} straight to {@code g}: the same JSON text as serializing {@link
   * #record}, without building the tree (which cost most of the emulator's time per record). {@code
   * b} is scratch space of at least {@link #SCRATCH_CHARS} chars.
   */
  private void writeRecord(JsonGenerator g, int study, long i, char[] b) throws IOException {
    RecordFacts r = new RecordFacts(study, i);
    // b holds dateCreated at [0, 19), dateModified at [DM, DM + 19), everything else at VALUE.
    int dcLength = writeTimestamp(r.created, b, 0);
    int dmLength = writeTimestamp(r.modified, b, DM) - DM;
    g.writeStartObject();
    g.writeFieldName(F_STUDY_KEY);
    g.writeString(studyKeysJson[study]);
    g.writeFieldName(F_INTERVAL_ID);
    g.writeNumber(FIRST_INTERVAL_ID + r.interval);
    g.writeFieldName(F_FORM_ID);
    g.writeNumber(FIRST_FORM_ID + r.form);
    g.writeFieldName(F_FORM_KEY);
    g.writeString(formKeysJson[r.form]);
    g.writeFieldName(F_SITE_ID);
    g.writeNumber(FIRST_SITE_ID + r.subject % SITES);
    g.writeFieldName(F_RECORD_ID);
    g.writeNumber(r.recordId);
    g.writeFieldName(F_RECORD_OID);
    g.writeString(b, VALUE, writeDecimal(r.recordId, b, writeAscii("REC-", b, VALUE)) - VALUE);
    g.writeFieldName(F_RECORD_TYPE);
    g.writeString(SUBJECT);
    g.writeFieldName(F_RECORD_STATUS);
    g.writeString(STATUSES_JSON[r.status]);
    g.writeFieldName(F_DELETED);
    g.writeBoolean(r.deleted);
    g.writeFieldName(F_DATE_CREATED);
    g.writeString(b, 0, dcLength);
    g.writeFieldName(F_DATE_MODIFIED);
    g.writeString(b, DM, dmLength);
    g.writeFieldName(F_SUBJECT_ID);
    g.writeNumber(FIRST_SUBJECT_ID + r.subject);
    g.writeFieldName(F_SUBJECT_OID);
    g.writeString(b, VALUE, writeDecimal(r.subject + 1, b, writeAscii("OID-S", b, VALUE)) - VALUE);
    g.writeFieldName(F_SUBJECT_KEY);
    g.writeString(b, VALUE, writeSubjectKey(r.subject, b, VALUE) - VALUE);
    g.writeFieldName(F_VISIT_ID);
    g.writeNumber(FIRST_VISIT_ID + r.subject * INTERVALS + r.interval);
    g.writeFieldName(F_PARENT_RECORD_ID);
    g.writeNumber(0);
    g.writeFieldName(F_KEYWORDS);
    g.writeStartArray();
    if (r.sourceVerified) {
      g.writeStartObject();
      g.writeFieldName(F_KEYWORD_NAME);
      g.writeString(SOURCE_VERIFIED);
      g.writeFieldName(F_KEYWORD_KEY);
      g.writeString(SDV);
      g.writeFieldName(F_KEYWORD_ID);
      g.writeNumber(301);
      g.writeFieldName(F_DATE_ADDED);
      g.writeString(b, DM, dmLength);
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeFieldName(F_RECORD_DATA);
    g.writeStartObject();
    g.writeFieldName(F_DATE_CREATED);
    g.writeString(b, 0, dcLength);
    g.writeFieldName(F_DATE_MODIFIED);
    g.writeString(b, DM, dmLength);
    for (int v = 0; v < variableNamesJson.length; v++) {
      g.writeFieldName(variableNamesJson[v]);
      g.writeString(b, VALUE, writeValue(v, r, b, VALUE) - VALUE);
    }
    g.writeEndObject();
    g.writeEndObject();
  }

  /** Scratch chars {@link #writeRecord} needs: two timestamps and the longest value. */
  static final int SCRATCH_CHARS = 128;

  private static final int DM = 20;
  private static final int VALUE = 40;
  private static final SerializedString F_STUDY_KEY = new SerializedString("studyKey");
  private static final SerializedString F_INTERVAL_ID = new SerializedString("intervalId");
  private static final SerializedString F_FORM_ID = new SerializedString("formId");
  private static final SerializedString F_FORM_KEY = new SerializedString("formKey");
  private static final SerializedString F_SITE_ID = new SerializedString("siteId");
  private static final SerializedString F_RECORD_ID = new SerializedString("recordId");
  private static final SerializedString F_RECORD_OID = new SerializedString("recordOid");
  private static final SerializedString F_RECORD_TYPE = new SerializedString("recordType");
  private static final SerializedString F_RECORD_STATUS = new SerializedString("recordStatus");
  private static final SerializedString F_DELETED = new SerializedString("deleted");
  private static final SerializedString F_DATE_CREATED = new SerializedString("dateCreated");
  private static final SerializedString F_DATE_MODIFIED = new SerializedString("dateModified");
  private static final SerializedString F_SUBJECT_ID = new SerializedString("subjectId");
  private static final SerializedString F_SUBJECT_OID = new SerializedString("subjectOid");
  private static final SerializedString F_SUBJECT_KEY = new SerializedString("subjectKey");
  private static final SerializedString F_VISIT_ID = new SerializedString("visitId");
  private static final SerializedString F_PARENT_RECORD_ID = new SerializedString("parentRecordId");
  private static final SerializedString F_KEYWORDS = new SerializedString("keywords");
  private static final SerializedString F_KEYWORD_NAME = new SerializedString("keywordName");
  private static final SerializedString F_KEYWORD_KEY = new SerializedString("keywordKey");
  private static final SerializedString F_KEYWORD_ID = new SerializedString("keywordId");
  private static final SerializedString F_DATE_ADDED = new SerializedString("dateAdded");
  private static final SerializedString F_RECORD_DATA = new SerializedString("recordData");
  private static final SerializedString SUBJECT = new SerializedString("SUBJECT");
  private static final SerializedString SOURCE_VERIFIED = new SerializedString("Source Verified");
  private static final SerializedString SDV = new SerializedString("SDV");
  private static final SerializedString[] STATUSES_JSON = {
    new SerializedString(STATUSES[0]),
    new SerializedString(STATUSES[1]),
    new SerializedString(STATUSES[2])
  };

  /** What record {@code i} is made of, derived from its hash; shared by both record writers. */
  private final class RecordFacts {
    final long hash;
    final int form;
    final long subject;
    final long interval;
    final long created;
    final long modified;
    final long recordId;
    final int status;
    final boolean deleted;
    final boolean sourceVerified;

    RecordFacts(int study, long i) {
      form = formOfRecord(i);
      hash = mix(spec.seed() * 0x9E3779B97F4A7C15L + study * 0xC2B2AE3D27D4EB4FL + i);
      subject = Math.floorMod(hash, subjects);
      interval = (i >>> 3) % INTERVALS;
      created = i * 3 + (hash >>> 60);
      modified = created + ((hash >>> 40) & 0xFFFF);
      recordId = FIRST_RECORD_ID + i;
      status = (int) ((hash >>> 8) & 0xFF) % 3;
      deleted = ((hash >>> 16) & 0x7F) == 0;
      sourceVerified = ((hash >>> 24) & 0x3F) == 0;
    }
  }

  private int formOfRecord(long i) {
    long base = spec.recordsPerStudy() / spec.formsPerStudy();
    long rem = spec.recordsPerStudy() % spec.formsPerStudy();
    long big = rem * (base + 1);
    if (i < big) {
      return (int) (i / (base + 1));
    }
    return (int) (rem + (i - big) / base);
  }

  /**
   * Writes the value of variable {@code v} of record {@code r} into b at {@code at}; returns the
   * end.
   */
  private static int writeValue(int v, RecordFacts r, char[] b, int at) {
    long x = mix(r.hash + v * 0xD6E8FEB86659FD93L);
    if (Long.remainderUnsigned(x, 25) == 0) {
      return at;
    }
    long y = x >>> 8;
    switch (v % 8) {
      case 0: // integer
        return writeDecimal(y % 200, b, at);
      case 1: // number
        at = writeDecimal(y % 1000, b, at);
        b[at++] = '.';
        b[at++] = (char) ('0' + (y >>> 12) % 10);
        b[at++] = (char) ('0' + (y >>> 16) % 10);
        return at;
      case 2: // date
        writeTimestamp(r.created - (y % 3000) * 86400, b, at);
        return at + 10;
      case 3: // datetime
        return writeTimestamp(r.created - (y % 100_000), b, at);
      case 4: // text
        int words = 1 + (int) (y % 4);
        for (int w = 0; w < words; w++) {
          if (w > 0) {
            b[at++] = ' ';
          }
          at = writeAscii(WORDS[(int) ((y >>> (4 * w + 4)) & 15)], b, at);
        }
        return at;
      case 5: // radio
        return writeDecimal(1 + y % 4, b, at);
      case 6: // checkbox
        b[at++] = (char) ('A' + y % 4);
        if ((y & 0x100) != 0) {
          b[at++] = '`';
          b[at++] = (char) ('E' + (y >>> 10) % 3);
        }
        return at;
      default: // boolean
        return writeAscii((y & 1) == 0 ? "true" : "false", b, at);
    }
  }

  private static int writeAscii(String s, char[] b, int at) {
    s.getChars(0, s.length(), b, at);
    return at + s.length();
  }

  /** Writes {@code v >= 0} in decimal into b at {@code at}; returns the end. */
  private static int writeDecimal(long v, char[] b, int at) {
    int digits = 1;
    for (long p = 10; p <= v && digits < 19; p *= 10) {
      digits++;
    }
    int end = at + digits;
    for (int k = end - 1; k >= at; k--) {
      b[k] = (char) ('0' + v % 10);
      v /= 10;
    }
    return end;
  }

  private static final String[] TWO_DIGITS = new String[100];

  static {
    for (int i = 0; i < 100; i++) {
      TWO_DIGITS[i] = (i < 10 ? "0" : "") + i;
    }
  }

  /** {@code YYYY-MM-DD HH:MM:SS} of BASE + seconds. */
  static String timestamp(long secondsFromBase) {
    char[] b = new char[32];
    return new String(b, 0, writeTimestamp(secondsFromBase, b, 0));
  }

  /**
   * Writes {@code YYYY-MM-DD HH:MM:SS} of BASE + seconds into b at {@code at} and returns the end;
   * the date is the first 10 chars. Days are converted to the proleptic Gregorian calendar by
   * arithmetic (as {@link java.time.LocalDate#ofEpochDay} does) rather than through java.time,
   * which allocated and cost more than writing the rest of the record.
   */
  static int writeTimestamp(long secondsFromBase, char[] b, int at) {
    long epoch = BASE_EPOCH_SECOND + secondsFromBase;
    long days = Math.floorDiv(epoch, 86400);
    int secs = (int) Math.floorMod(epoch, 86400);
    // Days since 0000-03-01, so that the leap day ends each 4-, 100- and 400-year cycle.
    long z = days + 719_468;
    long era = Math.floorDiv(z, 146_097);
    long dayOfEra = z - era * 146_097;
    long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
    long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
    long monthFromMarch = (5 * dayOfYear + 2) / 153;
    int day = (int) (dayOfYear - (153 * monthFromMarch + 2) / 5 + 1);
    int month = (int) (monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9);
    long year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
    if (year < 1000 || year > 9999) {
      String text = slowTimestamp(epoch);
      return writeAscii(text, b, at);
    }
    at = writeDecimal(year, b, at);
    b[at++] = '-';
    at = twoDigits(month, b, at);
    b[at++] = '-';
    at = twoDigits(day, b, at);
    b[at++] = ' ';
    at = twoDigits(secs / 3600, b, at);
    b[at++] = ':';
    at = twoDigits(secs / 60 % 60, b, at);
    b[at++] = ':';
    return twoDigits(secs % 60, b, at);
  }

  private static int twoDigits(int v, char[] b, int at) {
    b[at] = (char) ('0' + v / 10);
    b[at + 1] = (char) ('0' + v % 10);
    return at + 2;
  }

  /** The java.time form of {@link #writeTimestamp}, for years outside 1000..9999. */
  static String slowTimestamp(long epochSecond) {
    long days = Math.floorDiv(epochSecond, 86400);
    long secs = Math.floorMod(epochSecond, 86400);
    java.time.LocalDate d = java.time.LocalDate.ofEpochDay(days);
    return new StringBuilder(19)
        .append(d.getYear())
        .append('-')
        .append(TWO_DIGITS[d.getMonthValue()])
        .append('-')
        .append(TWO_DIGITS[d.getDayOfMonth()])
        .append(' ')
        .append(TWO_DIGITS[(int) (secs / 3600)])
        .append(':')
        .append(TWO_DIGITS[(int) (secs / 60 % 60)])
        .append(':')
        .append(TWO_DIGITS[(int) (secs % 60)])
        .toString();
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  // --- files -----------------------------------------------------------------------------------

  /** Writes every record of every study, one Record JSON object per line, in recordId order. */
  public void writeNdjson(Path file) throws IOException {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        JsonGenerator g = MAPPER.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
      g.setRootValueSeparator(null);
      char[] scratch = new char[SCRATCH_CHARS];
      for (int s = 1; s <= spec.studies(); s++) {
        for (long i = 0; i < spec.recordsPerStudy(); i++) {
          writeRecord(g, s, i, scratch);
          g.writeRaw('\n');
        }
      }
    }
  }

  /** Writes the studies in the testdata folder format ({@code dir/<studyKey>/study.json, …}). */
  public void writeFolder(Path dir) throws IOException {
    List<JsonNode> studies = studies();
    for (int s = 1; s <= spec.studies(); s++) {
      Path studyDir = Files.createDirectories(dir.resolve(studyKey(s)));
      MAPPER
          .writerWithDefaultPrettyPrinter()
          .writeValue(studyDir.resolve("study.json").toFile(), studies.get(s - 1));
      for (Resource r : Resource.values()) {
        if (size(r) == 0) {
          continue;
        }
        try (OutputStream out =
                new BufferedOutputStream(
                    Files.newOutputStream(studyDir.resolve(r.fileName())), 1 << 16);
            JsonGenerator g = MAPPER.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
          g.writeStartArray();
          Iterator<JsonNode> it = items(studyKey(s), r, Slice.all(), 0, false);
          while (it.hasNext()) {
            g.writeRaw('\n');
            MAPPER.writeTree(g, it.next());
          }
          g.writeRaw('\n');
          g.writeEndArray();
          g.writeRaw('\n');
        }
      }
    }
  }
}
