package org.imednet.export.testdata.generator;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.imednet.export.testdata.emulator.FilterExpression;
import org.imednet.export.testdata.emulator.Resource;
import org.imednet.export.testdata.emulator.Slice;
import org.imednet.export.testdata.emulator.StudyData;

/**
 * A deterministic, streaming synthetic {@link StudyData}: item {@code i} of a resource is a pure
 * function of (seed, study, i) and the spec's day, so nothing is held in memory and a study of 10 M
 * records is served as easily as one of 10.
 *
 * <pre>{@code
 * StudyData data = new SyntheticStudyData(SyntheticStudySpec.create().withRecordsPerStudy(1_000_000));
 * ImednetEmulator emu = ImednetEmulator.builder().data(data).build().start();
 * // The next day: the same 1 M records, of which about 1% changed (dateModified 2120-01-02 12:00:00)
 * StudyData dayTwo = new SyntheticStudyData(SyntheticStudySpec.create().withChanges(100, 2));
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
 *
 * <p>Days: a spec serves day 1 (the default, exactly the data above) or, with {@link
 * SyntheticStudySpec#withChanges withChanges(changeEvery, D)}, day {@code D >= 2} of the same
 * study, for incremental exports. Record {@code i} changed on day {@code d} if a hash of (seed,
 * study, i, d) is 0 modulo {@code changeEvery}, so about one record in {@code changeEvery} changes
 * on each day, a different set each day. A record that changed on some day in {@code 2..D} carries
 * the change of the latest such day {@code d} ({@link #lastChangeDay}), on top of its day-1 JSON:
 *
 * <ul>
 *   <li>{@code dateModified}, at the top level and in {@code recordData}, is {@link #changedAt
 *       changedAt(d)}, noon of 2120-01-d for a small d ({@code "2120-01-02 12:00:00"} on day 2):
 *       later than every day-1 timestamp of every spec, so {@code
 *       filter=dateModified>=2120-01-02T00:00:00Z} selects exactly the records changed on a day
 *       after the first, and {@code dateModified>=} the start of {@code changedAt(d)}'s date those
 *       changed on day {@code d} or later;
 *   <li>the first variable ({@code V001_INTEGER}) is its day-1 value plus {@code d} (a blank counts
 *       as 0), and the fifth ({@code V005_TEXT}, when there are five) ends in {@code " (day d)"};
 *   <li>about one in 10 of them is {@code deleted: true}. A record deleted on day 1 stays deleted;
 *       one deleted by a change is deleted as long as that change is its latest.
 * </ul>
 *
 * Everything else (ids, form, subject, status, {@code dateCreated}, the Source Verified keyword's
 * {@code dateAdded}, the other values) and every record that never changed is exactly as on day 1;
 * the record count and ids never change. With 1,000,000 records of seed 42 and {@code changeEvery}
 * 100, 9,884 records change on day 2 (1,075 of them are deleted then, 65 of those since day 1) and
 * 9,965 on day 3 (19,757 changed since day 1 on day 3; see SyntheticStudyDaysTest). Building a
 * record costs one hash per day from {@code D} back to its latest change: at most {@code D - 1}, on
 * average about {@code min(D - 1, changeEvery)}.
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
  // changedAt(1) if there were one: 2120-01-01T12:00:00Z, after the latest day-1 dateModified of
  // any spec (of the last of 1e9 records: created 3e9 + 15 s, modified up to 65,535 s later, on
  // 2119-01-25 23:32:27).
  private static final long CHANGED_EPOCH_SECOND = 4_733_553_600L;

  private final SyntheticStudySpec spec;
  private final long subjects;
  // Names are formatted once: String.format per record and variable would dominate serving time.
  private final String[] studyKeys;
  private final String[] formKeys;
  private final String[] variableNames;
  // The same as text fragments of the record writer; variable keys as ,"NAME":"
  private final byte[][] studyKeyChars;
  private final byte[][] variableKeyChars;
  // ","intervalId":I,"formId":F,"formKey":"K","siteId": of every interval and form
  private final byte[][][] intervalFormChars;
  // YYYY-MM-DD of every day from firstTableDay on that a record's timestamps can fall on.
  private final long firstTableDay;
  private final byte[] dayTable;
  // changedAt(d) and the text variable's suffix " (day d)" of every day d in 2..spec.day()
  private final byte[][] changedAtChars;
  private final byte[][] daySuffixChars;

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
    this.studyKeyChars = new byte[studyKeys.length][];
    for (int s = 1; s < studyKeys.length; s++) {
      studyKeyChars[s] = ascii(studyKeys[s]);
    }
    this.variableKeyChars = new byte[variableNames.length][];
    for (int v = 0; v < variableNames.length; v++) {
      variableKeyChars[v] = ascii(",\"" + variableNames[v] + "\":\"");
    }
    this.intervalFormChars = new byte[INTERVALS][formKeys.length][];
    for (int iv = 0; iv < INTERVALS; iv++) {
      for (int f = 0; f < formKeys.length; f++) {
        intervalFormChars[iv][f] =
            ascii(
                "\",\"intervalId\":"
                    + (FIRST_INTERVAL_ID + iv)
                    + ",\"formId\":"
                    + (FIRST_FORM_ID + f)
                    + ",\"formKey\":\""
                    + formKeys[f]
                    + "\",\"siteId\":");
      }
    }
    // From the earliest date value (created 0 minus 2999 days) to the latest dateModified of a
    // record (the last record's created plus 65535 s) or visit (the last subject's plus four
    // intervals of 28 days): about 3000 + records / 28800 days, at most 37,723.
    long lastCreated = Math.max(0, spec.recordsPerStudy() - 1) * 3 + 15;
    long lastVisit = (subjects - 1) * 600 + (INTERVALS - 1) * 28 * 86400L;
    this.firstTableDay = Math.floorDiv(BASE_EPOCH_SECOND - 2999L * 86400, 86400);
    long lastDay =
        Math.floorDiv(BASE_EPOCH_SECOND + Math.max(lastCreated + 65535, lastVisit), 86400);
    this.dayTable = new byte[(int) (lastDay - firstTableDay + 1) * 10];
    for (long d = firstTableDay; d <= lastDay; d++) {
      byte[] date = ascii(slowTimestamp(d * 86400)); // years 2015..2120: 4 digits
      System.arraycopy(date, 0, dayTable, (int) (d - firstTableDay) * 10, 10);
    }
    this.changedAtChars = new byte[spec.day() + 1][];
    this.daySuffixChars = new byte[spec.day() + 1][];
    for (int d = 2; d <= spec.day(); d++) {
      changedAtChars[d] = ascii(changedAt(d));
      daySuffixChars[d] = ascii(" (day " + d + ")");
    }
  }

  public SyntheticStudySpec spec() {
    return spec;
  }

  /**
   * The {@code dateModified} of a record changed on day {@code day} (2..{@value
   * SyntheticStudySpec#MAX_DAY}): noon UTC of 2120-01-01 plus {@code day - 1} days, so {@code
   * changedAt(2)} is {@code "2120-01-02 12:00:00"} and {@code changedAt(10)} {@code "2120-01-10
   * 12:00:00"}. Later than every day-1 {@code dateModified} of every spec (the latest, of the last
   * of 10^9 records, falls in 2119), and later for a later day.
   */
  public static String changedAt(int day) {
    if (day < 2 || day > SyntheticStudySpec.MAX_DAY) {
      throw new IllegalArgumentException(
          "day must be 2.." + SyntheticStudySpec.MAX_DAY + ", was " + day);
    }
    return slowTimestamp(CHANGED_EPOCH_SECOND + (day - 1) * 86400L);
  }

  /**
   * The latest day in 2..{@code spec().day()} on which record {@code i} (0-based) of study {@code
   * study} changed, or 1 if it has not changed since day 1: its {@code dateModified} is {@link
   * #changedAt} of that day.
   */
  public int lastChangeDay(int study, long i) {
    int day = new RecordFacts(study, i).changeDay;
    return day == 0 ? 1 : day;
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

  /**
   * Records, subjects and visits (all but a few hundred of a study's items) are written as text
   * straight to {@code out}; the other resources through their nodes.
   */
  @Override
  public long writeItems(
      OutputStream out,
      String studyKey,
      Resource resource,
      Slice slice,
      long offset,
      boolean descending,
      long limit)
      throws IOException {
    ItemText writer;
    int chars;
    switch (resource) {
      case RECORDS:
        writer = this::writeRecordText;
        chars = recordChars();
        break;
      case SUBJECTS:
        writer = this::writeSubjectText;
        chars = METADATA_CHARS;
        break;
      case VISITS:
        writer = this::writeVisitText;
        chars = METADATA_CHARS;
        break;
      default:
        return StudyData.super.writeItems(
            out, studyKey, resource, slice, offset, descending, limit);
    }
    int study = studyNumber(studyKey);
    long[] range = range(study, resource, slice);
    long n = Math.max(0, Math.min(limit, range[1] - range[0] - offset));
    byte[] text = new byte[1 + chars];
    for (long k = 0; k < n; k++) {
      long i = descending ? range[1] - 1 - offset - k : range[0] + offset + k;
      int at = 0;
      if (k > 0) {
        text[at++] = ',';
      }
      out.write(text, 0, writer.write(study, i, text, at));
    }
    return n;
  }

  /** Items are a pure function of the spec: the emulator may cache what it derives from them. */
  @Override
  public boolean isImmutable() {
    return true;
  }

  /**
   * Records filtered on {@code dateModified} and {@code dateCreated} (compared with a date or
   * timestamp) and {@code deleted} are matched from their hashes ({@link #lastChangeDay} and the
   * timestamp arithmetic the writers use), without building a tree: about 20 ns per record rather
   * than 3 µs. Other terms and resources are tested on trees ({@link StudyData#matchingIds}).
   */
  @Override
  public long[] matchingIds(
      String studyKey, Resource resource, Slice slice, List<FilterExpression.Term> terms) {
    if (resource != Resource.RECORDS || !recordTermsWithoutTrees(terms)) {
      return StudyData.super.matchingIds(studyKey, resource, slice, terms);
    }
    int study = studyNumber(studyKey);
    long[] range = range(study, resource, slice);
    long[] ids = new long[(int) Math.min(range[1] - range[0], 1 << 16)];
    int n = 0;
    for (long i = range[0]; i < range[1]; i++) {
      RecordFacts r = new RecordFacts(study, i);
      if (matches(r, terms)) {
        if (n == ids.length) {
          ids = Arrays.copyOf(ids, Math.max(16, 2 * n));
        }
        ids[n++] = r.recordId;
      }
    }
    return Arrays.copyOf(ids, n);
  }

  /** Whether {@link #matches} can test every term of a records filter. */
  private static boolean recordTermsWithoutTrees(List<FilterExpression.Term> terms) {
    for (FilterExpression.Term t : terms) {
      switch (t.attribute()) {
        case "dateModified":
        case "dateCreated":
          if (!t.isInstant()) {
            return false;
          }
          break;
        case "deleted":
          break;
        default:
          return false;
      }
    }
    return true;
  }

  /** {@link FilterExpression.Term#test} of the record's attributes, from its facts. */
  private static boolean matches(RecordFacts r, List<FilterExpression.Term> terms) {
    for (FilterExpression.Term t : terms) {
      boolean ok;
      switch (t.attribute()) {
        case "dateModified":
          ok = t.testInstant(r.modifiedEpochSecond() * 1_000_000L);
          break;
        case "dateCreated":
          ok = t.testInstant((BASE_EPOCH_SECOND + r.created) * 1_000_000L);
          break;
        default: // deleted
          ok = t.testBoolean(r.deleted);
          break;
      }
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** Records are written as text by id, in one buffer; the other resources by runs of ids. */
  @Override
  public long writeItems(
      OutputStream out,
      String studyKey,
      Resource resource,
      Long formId,
      long[] ids,
      int from,
      int to,
      boolean descending)
      throws IOException {
    if (resource != Resource.RECORDS) {
      return StudyData.super.writeItems(out, studyKey, resource, formId, ids, from, to, descending);
    }
    int study = studyNumber(studyKey);
    byte[] text = new byte[1 + recordChars()];
    for (int k = 0; k < to - from; k++) {
      long i = ids[descending ? to - 1 - k : from + k] - FIRST_RECORD_ID;
      if (study == 0 || i < 0 || i >= spec.recordsPerStudy()) {
        throw new IllegalArgumentException(
            "no record " + (i + FIRST_RECORD_ID) + " in study " + studyKey);
      }
      int at = 0;
      if (k > 0) {
        text[at++] = ',';
      }
      out.write(text, 0, writeRecordText(study, i, text, at));
    }
    return Math.max(0, to - from);
  }

  /** Writes the JSON text of item {@code i} of a study into b at {@code at}; returns the end. */
  @FunctionalInterface
  private interface ItemText {
    int write(int study, long i, byte[] b, int at);
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
    byte[] b = new byte[32];
    return ascii(b, writeSubjectKey(k, b, 0));
  }

  /** {@code <siteId>-<k + 1, zero-padded to 5 digits>} into b at {@code at}; returns the end. */
  private static int writeSubjectKey(long k, byte[] b, int at) {
    at = writeDecimal(FIRST_SITE_ID + k % SITES, b, at);
    b[at++] = '-';
    for (long p = 10_000; p > k + 1 && p > 1; p /= 10) {
      b[at++] = '0';
    }
    return writeDecimal(k + 1, b, at);
  }

  private ObjectNode subject(int study, long k) {
    ObjectNode n = NODES.objectNode();
    n.put("studyKey", studyKeys[study]);
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
    n.put("studyKey", studyKeys[study]);
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

  /**
   * Record {@code i} (0-based) of study {@code study}: a pure function of (seed, study, i) and,
   * from day 2 on, of the spec's day and changeEvery.
   */
  public ObjectNode record(int study, long i) {
    RecordFacts r = new RecordFacts(study, i);
    byte[] b = new byte[VALUE_CHARS];
    String dc = ascii(b, writeTimestamp(r.created, b, 0));
    String dayOneModified = ascii(b, writeTimestamp(r.modified, b, 0));
    String dm = r.changeDay == 0 ? dayOneModified : ascii(changedAtChars[r.changeDay], 19);
    ObjectNode n = NODES.objectNode();
    n.put("studyKey", studyKeys[study]);
    n.put("intervalId", FIRST_INTERVAL_ID + r.interval);
    n.put("formId", FIRST_FORM_ID + r.form);
    n.put("formKey", formKeys[r.form]);
    n.put("siteId", FIRST_SITE_ID + r.site);
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
      k.put("dateAdded", dayOneModified);
    }
    ObjectNode data = n.putObject("recordData");
    data.put("dateCreated", dc);
    data.put("dateModified", dm);
    for (int v = 0; v < spec.variablesPerForm(); v++) {
      data.put(variableNames[v], ascii(b, writeValue(v, r, b, 0)));
    }
    return n;
  }

  // The JSON text of a record, in the field order of record(), as fragments between the values.
  // Every key, fixed value and generated value is printable ASCII without '"' or '\\' (keys and
  // words are constants here, values digits, dates and WORDS), so the text needs no escaping and
  // is handed to the generator as a raw value: the tree, or even Jackson's per-char escaping,
  // cost more than generating the record.
  private static final byte[] R_STUDY_KEY = ascii("{\"studyKey\":\"");
  private static final byte[] R_INTERVAL_ID = ascii("\",\"intervalId\":");
  private static final byte[] R_RECORD_OID = ascii(",\"recordOid\":\"REC-");
  // siteId,"recordId": of every site
  private static final byte[][] R_SITE_RECORD_ID = new byte[SITES][];
  // ","recordType":"SUBJECT","recordStatus":"S","deleted":D,"dateCreated":" of every status and
  // deleted (1) or not (0)
  private static final byte[][][] R_STATUS_DELETED = new byte[STATUSES.length][2][];

  static {
    for (int site = 0; site < SITES; site++) {
      R_SITE_RECORD_ID[site] = ascii((FIRST_SITE_ID + site) + ",\"recordId\":");
    }
    for (int status = 0; status < STATUSES.length; status++) {
      for (int deleted = 0; deleted < 2; deleted++) {
        R_STATUS_DELETED[status][deleted] =
            ascii(
                "\",\"recordType\":\"SUBJECT\",\"recordStatus\":\""
                    + STATUSES[status]
                    + "\",\"deleted\":"
                    + (deleted == 1)
                    + ",\"dateCreated\":\"");
      }
    }
  }

  private static final byte[] R_DATE_MODIFIED = ascii("\",\"dateModified\":\"");
  private static final byte[] R_SUBJECT_ID = ascii("\",\"subjectId\":");
  private static final byte[] R_SUBJECT_OID = ascii(",\"subjectOid\":\"OID-S");
  private static final byte[] R_SUBJECT_KEY = ascii("\",\"subjectKey\":\"");
  private static final byte[] R_VISIT_ID = ascii("\",\"visitId\":");
  private static final byte[] R_KEYWORDS = ascii(",\"parentRecordId\":0,\"keywords\":[");
  private static final byte[] R_KEYWORD =
      ascii(
          "{\"keywordName\":\"Source Verified\",\"keywordKey\":\"SDV\",\"keywordId\":301,"
              + "\"dateAdded\":\"");
  private static final byte[] R_KEYWORD_END = ascii("\"}");
  private static final byte[] R_RECORD_DATA = ascii("],\"recordData\":{\"dateCreated\":\"");

  /** Chars {@link #writeValue} may need: the longest text (4 words) or a timestamp. */
  private static final int VALUE_CHARS = 64;

  /**
   * Writes the JSON text of record {@code i} into b (at least {@link #recordChars} after {@code
   * at}) at {@code at}; returns the end. The text is exactly what serializing {@link #record}
   * writes.
   */
  private int writeRecordText(int study, long i, byte[] b, int at) {
    RecordFacts r = new RecordFacts(study, i);
    at = put(R_STUDY_KEY, b, at);
    at = put(studyKeyChars[study], b, at);
    at = put(intervalFormChars[r.interval][r.form], b, at);
    at = put(R_SITE_RECORD_ID[r.site], b, at);
    int id = at;
    at = writeDecimal(r.recordId, b, at);
    int idLength = at - id;
    at = put(R_RECORD_OID, b, at);
    at = copy(b, id, idLength, at);
    at = put(R_STATUS_DELETED[r.status][r.deleted ? 1 : 0], b, at);
    int dc = at;
    at = writeTimestamp(r.created, b, at);
    int dcLength = at - dc;
    at = put(R_DATE_MODIFIED, b, at);
    int dm = at;
    at =
        r.changeDay == 0
            ? writeTimestamp(r.modified, b, at)
            : put(changedAtChars[r.changeDay], b, at);
    int dmLength = at - dm;
    at = put(R_SUBJECT_ID, b, at);
    at = writeDecimal(FIRST_SUBJECT_ID + r.subject, b, at);
    at = put(R_SUBJECT_OID, b, at);
    at = writeDecimal(r.subject + 1, b, at);
    at = put(R_SUBJECT_KEY, b, at);
    at = writeSubjectKey(r.subject, b, at);
    at = put(R_VISIT_ID, b, at);
    at = writeDecimal(FIRST_VISIT_ID + r.subject * INTERVALS + r.interval, b, at);
    at = put(R_KEYWORDS, b, at);
    if (r.sourceVerified) {
      at = put(R_KEYWORD, b, at);
      // A change keeps the keyword's dateAdded: the day-1 dateModified.
      at = r.changeDay == 0 ? copy(b, dm, dmLength, at) : writeTimestamp(r.modified, b, at);
      at = put(R_KEYWORD_END, b, at);
    }
    at = put(R_RECORD_DATA, b, at);
    System.arraycopy(b, dc, b, at, dcLength);
    at = put(R_DATE_MODIFIED, b, at + dcLength);
    System.arraycopy(b, dm, b, at, dmLength);
    at += dmLength;
    b[at++] = '"';
    for (int v = 0; v < variableKeyChars.length; v++) {
      at = put(variableKeyChars[v], b, at);
      at = writeValue(v, r, b, at);
      b[at++] = '"';
    }
    b[at++] = '}';
    b[at++] = '}';
    return at;
  }

  // The JSON text of subject() and visit(), as fragments between the values (see the records').
  private static final byte[] S_SUBJECT_OID = ascii(",\"subjectOid\":\"OID-S");
  private static final byte[] S_SUBJECT_KEY = ascii("\",\"subjectKey\":\"");
  private static final byte[] S_SITE_ID = ascii("\",\"subjectStatus\":\"Enrolled\",\"siteId\":");
  private static final byte[] S_SITE_NAME = ascii(",\"siteName\":\"Site ");
  private static final byte[] S_ENROLLMENT_START =
      ascii("\",\"deleted\":false,\"enrollmentStartDate\":\"");
  private static final byte[] S_DATE_CREATED = ascii("\",\"dateCreated\":\"");
  private static final byte[] S_END = ascii("\",\"keywords\":[]}");
  private static final byte[] V_VISIT_ID = ascii("{\"visitId\":");
  private static final byte[] V_STUDY_KEY = ascii(",\"studyKey\":\"");
  private static final byte[] V_INTERVAL_NAME = ascii(",\"intervalName\":\"");
  private static final byte[] V_SUBJECT_KEY = ascii(",\"subjectKey\":\"");
  private static final byte[] V_START_DATE = ascii("\",\"startDate\":\"");
  private static final byte[] V_END_DATE = ascii("\",\"endDate\":\"");
  private static final byte[] V_VISIT_DATE = ascii("\",\"dueDate\":null,\"visitDate\":\"");
  private static final byte[] V_DATE_CREATED =
      ascii(
          "\",\"visitDateForm\":\""
              + formKey(0)
              + "\",\"visitDateQuestion\":\"DATE\",\"deleted\":false,\"dateCreated\":\"");
  private static final byte[] V_END = ascii("\"}");
  private static final byte[][] V_INTERVAL_NAMES = new byte[INTERVALS][];

  static {
    for (int iv = 0; iv < INTERVALS; iv++) {
      V_INTERVAL_NAMES[iv] = ascii(iv == 0 ? "Screening" : "Visit " + iv);
    }
  }

  /** Room for the text of a subject or visit: fixed fragments, numbers and timestamps. */
  private static final int METADATA_CHARS = 1024;

  /** The text of {@link #subject} into b at {@code at}; returns the end. */
  private int writeSubjectText(int study, long k, byte[] b, int at) {
    at = put(R_STUDY_KEY, b, at);
    at = put(studyKeyChars[study], b, at);
    at = put(R_SUBJECT_ID, b, at);
    at = writeDecimal(FIRST_SUBJECT_ID + k, b, at);
    at = put(S_SUBJECT_OID, b, at);
    at = writeDecimal(k + 1, b, at);
    at = put(S_SUBJECT_KEY, b, at);
    at = writeSubjectKey(k, b, at);
    at = put(S_SITE_ID, b, at);
    at = writeDecimal(FIRST_SITE_ID + k % SITES, b, at);
    at = put(S_SITE_NAME, b, at);
    at = writeDecimal(k % SITES + 1, b, at);
    at = put(S_ENROLLMENT_START, b, at);
    at = writeTimestamp(k * 600, b, at);
    at = put(S_DATE_CREATED, b, at);
    at = writeTimestamp(k * 600, b, at);
    at = put(R_DATE_MODIFIED, b, at);
    at = writeTimestamp(k * 600 + 3600, b, at);
    return put(S_END, b, at);
  }

  /** The text of {@link #visit} into b at {@code at}; returns the end. */
  private int writeVisitText(int study, long i, byte[] b, int at) {
    long k = i / INTERVALS;
    int iv = (int) (i % INTERVALS);
    long seconds = k * 600 + iv * 28 * 86400L;
    at = put(V_VISIT_ID, b, at);
    at = writeDecimal(FIRST_VISIT_ID + i, b, at);
    at = put(V_STUDY_KEY, b, at);
    at = put(studyKeyChars[study], b, at);
    at = put(R_INTERVAL_ID, b, at);
    at = writeDecimal(FIRST_INTERVAL_ID + iv, b, at);
    at = put(V_INTERVAL_NAME, b, at);
    at = put(V_INTERVAL_NAMES[iv], b, at);
    at = put(R_SUBJECT_ID, b, at);
    at = writeDecimal(FIRST_SUBJECT_ID + k, b, at);
    at = put(V_SUBJECT_KEY, b, at);
    at = writeSubjectKey(k, b, at);
    at = put(V_START_DATE, b, at);
    int day = at;
    writeTimestamp(seconds, b, at); // of which the date stays
    at = put(V_END_DATE, b, day + 10);
    at = copy(b, day, 10, at);
    at = put(V_VISIT_DATE, b, at);
    at = copy(b, day, 10, at);
    at = put(V_DATE_CREATED, b, at);
    int created = at;
    at = writeTimestamp(seconds, b, at);
    int createdLength = at - created;
    at = put(R_DATE_MODIFIED, b, at);
    at = copy(b, created, createdLength, at);
    return put(V_END, b, at);
  }

  /** Copies {@code length} chars of b from {@code from} to {@code at}; returns the end. */
  private static int copy(byte[] b, int from, int length, int at) {
    System.arraycopy(b, from, b, at, length);
    return at + length;
  }

  /** An upper bound of {@link #writeRecordText}'s length for this spec. */
  private int recordChars() {
    int chars = 1024; // the fixed fragments, numbers of at most 20 digits and four timestamps
    for (byte[] key : variableKeyChars) {
      chars += key.length + VALUE_CHARS + 1;
    }
    return chars;
  }

  private static int put(byte[] fragment, byte[] b, int at) {
    System.arraycopy(fragment, 0, b, at, fragment.length);
    return at + fragment.length;
  }

  /** What record {@code i} is made of, derived from its hash; shared by both record writers. */
  private final class RecordFacts {
    final long hash;
    final int form;
    final long subject;
    final int site;
    final int interval;
    final long created;
    final long modified;
    final long recordId;
    final int status;
    final boolean deleted;
    final boolean sourceVerified;
    // The latest day in 2..spec.day() on which the record changed, 0 if none.
    final int changeDay;

    RecordFacts(int study, long i) {
      form = formOfRecord(i);
      hash = mix(spec.seed() * 0x9E3779B97F4A7C15L + study * 0xC2B2AE3D27D4EB4FL + i);
      subject = Math.floorMod(hash, subjects);
      site = (int) (subject % SITES);
      interval = (int) ((i >>> 3) % INTERVALS);
      created = i * 3 + (hash >>> 60);
      modified = created + ((hash >>> 40) & 0xFFFF);
      recordId = FIRST_RECORD_ID + i;
      status = (int) ((hash >>> 8) & 0xFF) % 3;
      sourceVerified = ((hash >>> 24) & 0x3F) == 0;
      int day = 0;
      long change = 0;
      for (int d = spec.day(); d >= 2; d--) {
        change = mix(hash + d * 0xA24BAED4963EE407L);
        if (Long.remainderUnsigned(change, spec.changeEvery()) == 0) {
          day = d;
          break;
        }
      }
      changeDay = day;
      deleted =
          ((hash >>> 16) & 0x7F) == 0
              || (day != 0 && Long.remainderUnsigned(mix(change ^ 0x5851F42D4C957F2DL), 10) == 0);
    }

    /** The epoch second of {@code dateModified}: day 1's, or {@link #changedAt} of changeDay. */
    long modifiedEpochSecond() {
      return changeDay == 0
          ? BASE_EPOCH_SECOND + modified
          : CHANGED_EPOCH_SECOND + (changeDay - 1) * 86400L;
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
   * Writes the value of variable {@code v} of record {@code r} into b at {@code at} (at most {@link
   * #VALUE_CHARS} chars); returns the end.
   */
  private int writeValue(int v, RecordFacts r, byte[] b, int at) {
    int end = writeDayOneValue(v, r, b, at);
    if (r.changeDay == 0) {
      return end;
    }
    if (v == 0) { // the first integer variable: plus the day, a blank counting as 0
      int value = 0;
      for (int k = at; k < end; k++) {
        value = value * 10 + (b[k] - '0');
      }
      return writeDecimal(value + r.changeDay, b, at);
    }
    return v == 4 ? put(daySuffixChars[r.changeDay], b, end) : end; // the first text variable
  }

  /** {@link #writeValue} of a record as on day 1. */
  private int writeDayOneValue(int v, RecordFacts r, byte[] b, int at) {
    long x = mix(r.hash + v * 0xD6E8FEB86659FD93L);
    if (Long.remainderUnsigned(x, 25) == 0) {
      return at;
    }
    long y = x >>> 8;
    switch (v % 8) {
      case 0: // integer
        return writeSmall((int) (y % 200), b, at);
      case 1: // number
        at = writeSmall((int) (y % 1000), b, at);
        b[at++] = '.';
        b[at++] = (byte) ('0' + (y >>> 12) % 10);
        b[at++] = (byte) ('0' + (y >>> 16) % 10);
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
          at = put(WORD_BYTES[(int) ((y >>> (4 * w + 4)) & 15)], b, at);
        }
        return at;
      case 5: // radio
        b[at] = (byte) ('1' + y % 4);
        return at + 1;
      case 6: // checkbox
        b[at++] = (byte) ('A' + y % 4);
        if ((y & 0x100) != 0) {
          b[at++] = '`';
          b[at++] = (byte) ('E' + (y >>> 10) % 3);
        }
        return at;
      default: // boolean
        return put((y & 1) == 0 ? TRUE : FALSE, b, at);
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static String ascii(byte[] b, int length) {
    return new String(b, 0, length, StandardCharsets.US_ASCII);
  }

  private static final byte[] TRUE = ascii("true");
  private static final byte[] FALSE = ascii("false");
  private static final byte[][] WORD_BYTES = new byte[WORDS.length][];

  static {
    for (int w = 0; w < WORDS.length; w++) {
      WORD_BYTES[w] = ascii(WORDS[w]);
    }
  }

  /** Writes {@code v >= 0} in decimal into b at {@code at}; returns the end. */
  private static int writeDecimal(long v, byte[] b, int at) {
    if (v < 1000) {
      return writeSmall((int) v, b, at);
    }
    if (v > Integer.MAX_VALUE) {
      return put(ascii(Long.toString(v)), b, at);
    }
    int x = (int) v;
    int end = at + decimalLength(x);
    int k = end;
    while (x >= 100) {
      int pair = (x % 100) * 2;
      x /= 100;
      b[--k] = DIGIT_PAIRS[pair + 1];
      b[--k] = DIGIT_PAIRS[pair];
    }
    if (x >= 10) {
      b[--k] = DIGIT_PAIRS[x * 2 + 1];
      b[--k] = DIGIT_PAIRS[x * 2];
    } else {
      b[--k] = (byte) ('0' + x);
    }
    return end;
  }

  /** Writes {@code 0 <= v < 1000} in decimal into b at {@code at}; returns the end. */
  private static int writeSmall(int v, byte[] b, int at) {
    if (v >= 100) {
      b[at++] = (byte) ('0' + v / 100);
      v %= 100;
    } else if (v < 10) {
      b[at] = (byte) ('0' + v);
      return at + 1;
    }
    b[at] = DIGIT_PAIRS[v * 2];
    b[at + 1] = DIGIT_PAIRS[v * 2 + 1];
    return at + 2;
  }

  /** The number of decimal digits of {@code x >= 1000}. */
  private static int decimalLength(int x) {
    if (x < 1_000_000) {
      return x < 10_000 ? 4 : x < 100_000 ? 5 : 6;
    }
    return x < 10_000_000 ? 7 : x < 100_000_000 ? 8 : x < 1_000_000_000 ? 9 : 10;
  }

  private static final byte[] DIGIT_PAIRS = new byte[200];

  static {
    for (int i = 0; i < 100; i++) {
      DIGIT_PAIRS[2 * i] = (byte) ('0' + i / 10);
      DIGIT_PAIRS[2 * i + 1] = (byte) ('0' + i % 10);
    }
  }

  /**
   * {@code YYYY-MM-DD HH:MM:SS} of BASE + seconds into b at {@code at}; returns the end. The date
   * comes from {@link #dayTable} (java.time per timestamp cost more than the rest of the record).
   */
  private int writeTimestamp(long secondsFromBase, byte[] b, int at) {
    long epoch = BASE_EPOCH_SECOND + secondsFromBase;
    long day = Math.floorDiv(epoch, 86400);
    long index = day - firstTableDay;
    if (index < 0 || index >= dayTable.length / 10) {
      return put(ascii(slowTimestamp(epoch)), b, at);
    }
    System.arraycopy(dayTable, (int) index * 10, b, at, 10);
    int secs = (int) (epoch - day * 86400);
    b[at + 10] = ' ';
    twoDigits(secs / 3600, b, at + 11);
    b[at + 13] = ':';
    twoDigits(secs / 60 % 60, b, at + 14);
    b[at + 16] = ':';
    twoDigits(secs % 60, b, at + 17);
    return at + 19;
  }

  /** The timestamp the record writers use, for tests. */
  String recordTimestamp(long secondsFromBase) {
    byte[] b = new byte[VALUE_CHARS];
    return ascii(b, writeTimestamp(secondsFromBase, b, 0));
  }

  private static void twoDigits(int v, byte[] b, int at) {
    b[at] = (byte) ('0' + v / 10);
    b[at + 1] = (byte) ('0' + v % 10);
  }

  private static final String[] TWO_DIGITS = new String[100];

  static {
    for (int i = 0; i < 100; i++) {
      TWO_DIGITS[i] = (i < 10 ? "0" : "") + i;
    }
  }

  /** {@code YYYY-MM-DD HH:MM:SS} of BASE + seconds. */
  static String timestamp(long secondsFromBase) {
    return slowTimestamp(BASE_EPOCH_SECOND + secondsFromBase);
  }

  /** {@code YYYY-MM-DD HH:MM:SS} of an epoch second, through java.time. */
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
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      byte[] text = new byte[recordChars() + 1];
      for (int s = 1; s <= spec.studies(); s++) {
        for (long i = 0; i < spec.recordsPerStudy(); i++) {
          int length = writeRecordText(s, i, text, 0);
          text[length] = '\n';
          out.write(text, 0, length + 1);
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
