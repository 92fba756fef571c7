package org.imednet.export.read;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.Impulse;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTagList;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.ImednetApiFactory;
import org.imednet.export.model.FormContext;
import org.imednet.export.model.RecordPage;
import org.imednet.export.model.RecordPageCoder;

/**
 * Reads the records of iMednet studies, form by form, as pages of raw record JSON.
 *
 * <pre>{@code
 * PCollection<RecordPage> pages = p.apply(ReadStudyRecords.create()
 *     .withApiConfig(ApiConfig.fromEnvironment(System.getenv()))   // required
 *     .withStudies(List.of("CARDIO01"))      // or .withAllStudies()
 *     .withForms(Set.of("VS", "3101"))       // optional: form keys or numeric form ids
 *     .withVariables(Set.of("SYSBP"))        // optional: exact variable names
 *     .withRecordsPerRange(50_000));         // optional
 *
 * // Or from a PCollection of study keys, like JdbcIO.readAll():
 * PCollection<RecordPage> more = studyKeys.apply(ReadStudyRecords.readAll().withApiConfig(config));
 * }</pre>
 *
 * <p>Shape: study keys → list forms and variables per study → one {@link FormContext} per selected
 * form → {@code Reshuffle} → read each form's first page (emitted at once) and, if it is full, plan
 * recordId ranges after it (one more, one-record request) → {@code Reshuffle} → keyset-paged fetch
 * of each range → one {@link RecordPage} per API page. A form that fits in one page costs one
 * request.
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>Bounded output. Each record that exists for the whole read is emitted exactly once, even
 *       when records are added, changed or soft-deleted meanwhile: pages are read by {@code
 *       recordId > last} with {@code sort=recordId,ASC}, never by offset, and the last range of a
 *       form is open-ended. A record created during the read may or may not be included; a record
 *       changed during the read is emitted once, in one of its versions.
 *   <li>Parallelism: studies, forms and recordId ranges of about {@link #withRecordsPerRange(long)}
 *       records are read in parallel, bounded per worker JVM by {@link
 *       ApiConfig#maxConcurrentRequests()} and {@link ApiConfig#requestsPerSecond()}.
 *   <li>Retries: each request retries 429 (honouring {@code Retry-After}), 5xx, I/O errors and
 *       broken bodies with capped jittered backoff (see {@link
 *       org.imednet.export.api.HttpImednetClient}); 400/401/403/404 fail at once.
 *   <li>Failure: anything retrying does not fix fails the bundle with an {@link
 *       org.imednet.export.api.ImednetApiException} naming study, form and page; the runner may
 *       retry the bundle (the range is then read again from its start; a bundle's output is only
 *       committed when it succeeds), and otherwise the pipeline fails. An error is never an empty
 *       study: an unknown study key fails, naming the study.
 *   <li>Forms and variables are filtered on our side (see {@link FormSelection}). With one study, a
 *       selector it lacks is a {@link SelectionException}; with several, a selector need only match
 *       in some of them ({@link StudySelection#check} fails one matching in none, before a pipeline
 *       runs). Records the API returns for another form are not emitted and are counted in {@code
 *       org.imednet.export.read/recordsOfOtherForm}.
 * </ul>
 *
 * <p>Counters (per study and form, {@link org.imednet.export.metrics.ExportMetrics}): {@code
 * apiTotalElements}, {@code recordsFetched}, {@code pagesFetched}, {@code requestsRetried}.
 */
public final class ReadStudyRecords extends PTransform<PBegin, PCollection<RecordPage>> {
  private static final long serialVersionUID = 1L;

  /** Default {@link #withRecordsPerRange(long)}. */
  public static final long DEFAULT_RECORDS_PER_RANGE = 10_000;

  private final Settings settings;
  private final @Nullable List<String> studies;
  private final boolean allStudies;

  private ReadStudyRecords(Settings settings, @Nullable List<String> studies, boolean allStudies) {
    this.settings = settings;
    this.studies = studies;
    this.allStudies = allStudies;
  }

  /** A read with no studies chosen yet; call {@link #withApiConfig} and a study selection. */
  public static ReadStudyRecords create() {
    return new ReadStudyRecords(Settings.DEFAULT, null, false);
  }

  /** Reads the studies whose keys arrive in a {@code PCollection<String>}; each key once. */
  public static ReadAll readAll() {
    return new ReadAll(Settings.DEFAULT, true);
  }

  /** Required: where the API is and how to authenticate. */
  public ReadStudyRecords withApiConfig(ApiConfig config) {
    return new ReadStudyRecords(settings.withConfig(config), studies, allStudies);
  }

  /** The study keys to read (at least one, each once). Excludes {@link #withAllStudies()}. */
  public ReadStudyRecords withStudies(List<String> studyKeys) {
    checkArgument(studyKeys != null && !studyKeys.isEmpty(), "withStudies() needs a study key");
    Set<String> distinct = new LinkedHashSet<>();
    for (String key : studyKeys) {
      checkArgument(key != null && !key.isBlank(), "study keys must not be blank: %s", studyKeys);
      checkArgument(distinct.add(key), "study key %s is listed twice", key);
    }
    return new ReadStudyRecords(settings, List.copyOf(distinct), allStudies);
  }

  /**
   * Reads every study the API key can see ({@code GET /studies}). Excludes {@link #withStudies}.
   */
  public ReadStudyRecords withAllStudies() {
    return new ReadStudyRecords(settings, studies, true);
  }

  /**
   * Only these forms, by form key or numeric form id, matched exactly on our side. Default: every
   * form, disabled ones included.
   */
  public ReadStudyRecords withForms(Set<String> forms) {
    return new ReadStudyRecords(settings.withForms(forms), studies, allStudies);
  }

  /**
   * Only these variables (exact names) become columns: each form keeps the ones it has (and every
   * metadata column); forms with none of them are not read. Default: every variable, deleted and
   * disabled ones included.
   */
  public ReadStudyRecords withVariables(Set<String> variables) {
    return new ReadStudyRecords(settings.withVariables(variables), studies, allStudies);
  }

  /**
   * About how many records one parallel keyset read covers. Default {@value
   * #DEFAULT_RECORDS_PER_RANGE}, at least 1.
   */
  public ReadStudyRecords withRecordsPerRange(long recordsPerRange) {
    return new ReadStudyRecords(settings.withRecordsPerRange(recordsPerRange), studies, allStudies);
  }

  /**
   * Reads only the records that match these filter terms too, ANDed ({@code ;}) to every records
   * request, e.g. {@code dateModified>=2026-01-01T00:00:00Z;dateModified<2026-02-01T00:00:00Z} for
   * the records changed in January. The API applies them; the form's count, its recordId ranges and
   * the reconciliation then describe the matching records only. Default: none.
   */
  public ReadStudyRecords withRecordFilter(String filter) {
    return new ReadStudyRecords(settings.withRecordFilter(filter), studies, allStudies);
  }

  /**
   * Whether a form with more than one page of records is planned into parallel ranges (the default:
   * after its first page, one one-record request for its last recordId), or read as one keyset
   * range, page after page. Either way a form that fits in one page costs one request; without
   * planning a bigger form saves that one request but is read sequentially, which suits reads of a
   * few changed records per form (an incremental export).
   */
  public ReadStudyRecords withRangesPlanned(boolean plan) {
    return new ReadStudyRecords(settings.withRangesPlanned(plan), studies, allStudies);
  }

  /** The client each DoFn creates in {@code @Setup}. Default {@link ImednetApiFactory#HTTP}. */
  public ReadStudyRecords withApiFactory(ImednetApiFactory factory) {
    return new ReadStudyRecords(settings.withFactory(factory), studies, allStudies);
  }

  @Override
  public PCollection<RecordPage> expand(PBegin input) {
    checkState(settings.config != null, "withApiConfig() is required");
    checkState(studies != null || allStudies, "withStudies() or withAllStudies() is required");
    checkState(
        studies == null || !allStudies, "withStudies() and withAllStudies() exclude each other");
    PCollection<String> studyKeys;
    if (allStudies) {
      studyKeys =
          input
              .apply("Seed", Impulse.create())
              .apply("ListStudies", ParDo.of(new ListStudiesFn(settings.config, settings.factory)))
              .setCoder(StringUtf8Coder.of())
              .apply("ReshuffleStudies", Reshuffle.viaRandomKey());
    } else {
      studyKeys = input.apply("Studies", Create.of(studies).withCoder(StringUtf8Coder.of()));
    }
    // One study named by the user must have every selected form and variable. With several
    // studies, or all of them, a selector need not match in each (StudySelection.check fails one
    // that matches in none before the pipeline runs).
    return studyKeys.apply(
        "ReadStudies", new ReadAll(settings, !allStudies && studies.size() == 1));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    settings.populate(builder);
    builder.add(
        DisplayData.item("studies", allStudies ? "all visible" : String.valueOf(studies))
            .withLabel("Studies"));
  }

  /**
   * {@link ReadStudyRecords} over a {@code PCollection<String>} of study keys. A selected form or
   * variable that a study lacks is an error naming the study.
   */
  public static final class ReadAll
      extends PTransform<PCollection<String>, PCollection<RecordPage>> {
    private static final long serialVersionUID = 1L;
    private final Settings settings;
    private final boolean strictSelection;

    private ReadAll(Settings settings, boolean strictSelection) {
      this.settings = settings;
      this.strictSelection = strictSelection;
    }

    /** Required: where the API is and how to authenticate. */
    public ReadAll withApiConfig(ApiConfig config) {
      return new ReadAll(settings.withConfig(config), strictSelection);
    }

    /** See {@link ReadStudyRecords#withForms}. */
    public ReadAll withForms(Set<String> forms) {
      return new ReadAll(settings.withForms(forms), strictSelection);
    }

    /** See {@link ReadStudyRecords#withVariables}. */
    public ReadAll withVariables(Set<String> variables) {
      return new ReadAll(settings.withVariables(variables), strictSelection);
    }

    /** See {@link ReadStudyRecords#withRecordsPerRange}. */
    public ReadAll withRecordsPerRange(long recordsPerRange) {
      return new ReadAll(settings.withRecordsPerRange(recordsPerRange), strictSelection);
    }

    /** See {@link ReadStudyRecords#withRecordFilter}. */
    public ReadAll withRecordFilter(String filter) {
      return new ReadAll(settings.withRecordFilter(filter), strictSelection);
    }

    /** See {@link ReadStudyRecords#withApiFactory}. */
    public ReadAll withApiFactory(ImednetApiFactory factory) {
      return new ReadAll(settings.withFactory(factory), strictSelection);
    }

    @Override
    public PCollection<RecordPage> expand(PCollection<String> studyKeys) {
      checkState(settings.config != null, "withApiConfig() is required");
      ApiConfig config = settings.config;
      FormSelection selection =
          new FormSelection(settings.forms, settings.variables, strictSelection);
      PCollectionTuple planned =
          studyKeys
              .apply("ListForms", ParDo.of(new ListFormsFn(config, settings.factory, selection)))
              .setCoder(SerializableCoder.of(FormContext.class))
              .apply("ReshuffleForms", Reshuffle.viaRandomKey())
              .apply(
                  "PlanRanges",
                  ParDo.of(
                          new PlanRecordRangesFn(
                              config,
                              settings.factory,
                              settings.recordsPerRange,
                              settings.recordFilter,
                              settings.planRanges))
                      .withOutputTags(
                          PlanRecordRangesFn.RANGES, TupleTagList.of(PlanRecordRangesFn.PAGES)));
      PCollection<RecordPage> firstPages =
          planned.get(PlanRecordRangesFn.PAGES).setCoder(RecordPageCoder.of());
      PCollection<RecordPage> rest =
          planned
              .get(PlanRecordRangesFn.RANGES)
              .setCoder(SerializableCoder.of(RecordRange.class))
              .apply("ReshuffleRanges", Reshuffle.viaRandomKey())
              .apply(
                  "FetchPages",
                  ParDo.of(new FetchRecordPagesFn(config, settings.factory, settings.recordFilter)))
              .setCoder(RecordPageCoder.of());
      return PCollectionList.of(firstPages)
          .and(rest)
          .apply("FirstPagesAndTheRest", Flatten.pCollections());
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      settings.populate(builder);
    }
  }

  /** The settings both transforms share; immutable. */
  private static final class Settings implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    static final Settings DEFAULT =
        new Settings(
            null,
            Set.of(),
            Set.of(),
            DEFAULT_RECORDS_PER_RANGE,
            ImednetApiFactory.HTTP,
            null,
            true);

    final @Nullable ApiConfig config;
    final Set<String> forms;
    final Set<String> variables;
    final long recordsPerRange;
    final ImednetApiFactory factory;
    final @Nullable String recordFilter;
    final boolean planRanges;

    Settings(
        @Nullable ApiConfig config,
        Set<String> forms,
        Set<String> variables,
        long recordsPerRange,
        ImednetApiFactory factory,
        @Nullable String recordFilter,
        boolean planRanges) {
      this.config = config;
      this.forms = forms;
      this.variables = variables;
      this.recordsPerRange = recordsPerRange;
      this.factory = factory;
      this.recordFilter = recordFilter;
      this.planRanges = planRanges;
    }

    Settings withConfig(ApiConfig c) {
      checkArgument(c != null, "withApiConfig() needs a config");
      return new Settings(c, forms, variables, recordsPerRange, factory, recordFilter, planRanges);
    }

    Settings withForms(Set<String> f) {
      return new Settings(
          config,
          selectors("withForms", f),
          variables,
          recordsPerRange,
          factory,
          recordFilter,
          planRanges);
    }

    Settings withVariables(Set<String> v) {
      return new Settings(
          config,
          forms,
          selectors("withVariables", v),
          recordsPerRange,
          factory,
          recordFilter,
          planRanges);
    }

    Settings withRecordsPerRange(long n) {
      checkArgument(n >= 1, "recordsPerRange must be >= 1, was %s", n);
      return new Settings(config, forms, variables, n, factory, recordFilter, planRanges);
    }

    Settings withFactory(ImednetApiFactory f) {
      checkArgument(f != null, "withApiFactory() needs a factory");
      return new Settings(config, forms, variables, recordsPerRange, f, recordFilter, planRanges);
    }

    Settings withRangesPlanned(boolean plan) {
      return new Settings(config, forms, variables, recordsPerRange, factory, recordFilter, plan);
    }

    Settings withRecordFilter(String filter) {
      checkArgument(
          filter != null && !filter.isBlank() && !filter.startsWith(";") && !filter.endsWith(";"),
          "withRecordFilter() needs AND terms such as dateModified>=2026-01-01T00:00:00Z, was '%s'",
          filter);
      return new Settings(config, forms, variables, recordsPerRange, factory, filter, planRanges);
    }

    void populate(DisplayData.Builder builder) {
      if (config != null) {
        // Only the URL: the keys never reach display data.
        builder.add(DisplayData.item("baseUrl", config.baseUrl()).withLabel("iMednet API"));
        builder.add(DisplayData.item("pageSize", config.pageSize()).withLabel("Page size"));
      }
      builder.add(
          DisplayData.item("forms", forms.isEmpty() ? "all" : new TreeSet<>(forms).toString())
              .withLabel("Forms"));
      builder.add(
          DisplayData.item(
                  "variables", variables.isEmpty() ? "all" : new TreeSet<>(variables).toString())
              .withLabel("Variables"));
      builder.add(
          DisplayData.item("recordsPerRange", recordsPerRange).withLabel("Records per range"));
      builder.addIfNotNull(
          DisplayData.item("recordFilter", recordFilter).withLabel("Record filter"));
    }

    private static Set<String> selectors(String method, Set<String> values) {
      checkArgument(values != null, "%s() needs a set (empty for all)", method);
      List<String> copy = new ArrayList<>(values);
      for (String v : copy) {
        checkArgument(
            v != null && !v.isBlank(), "%s() values must not be blank: %s", method, values);
      }
      return Set.copyOf(copy);
    }
  }

  private static void checkArgument(boolean ok, String format, Object... args) {
    if (!ok) {
      throw new IllegalArgumentException(String.format(format, args));
    }
  }

  private static void checkState(boolean ok, String message) {
    if (!ok) {
      throw new IllegalStateException(message);
    }
  }
}
