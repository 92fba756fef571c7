package org.imednet.export.testdata.generator;

import java.io.Serializable;
import java.util.Objects;

/**
 * The shape of a synthetic study set: seed, number of studies, forms per study, variables per form,
 * records per study, and which day of the study's life is served. Immutable; defaults: seed 42, 1
 * study, 20 forms, 30 variables, 1,000,000 records, day 1 with a change every 100 records.
 *
 * <pre>{@code
 * SyntheticStudySpec spec = SyntheticStudySpec.create().withRecordsPerStudy(10_000_000);
 * SyntheticStudySpec same = SyntheticStudySpec.parse("42,1,20,30,10000000");
 * SyntheticStudySpec nextDay = spec.withChanges(100, 2); // "42,1,20,30,10000000,100,2"
 * }</pre>
 *
 * <p>Day 1 is the study as first exported; every spec without {@link #withChanges} is day 1, and
 * its data does not depend on {@link #changeEvery()}. On day {@code D >= 2} about one record in
 * {@code changeEvery} has changed on each day {@code 2..D}; {@link SyntheticStudyData} says which
 * and how. Record count and ids are the same on every day.
 */
public final class SyntheticStudySpec implements Serializable {
  private static final long serialVersionUID = 2L;

  /** The default of {@link #changeEvery()}: about 1% of the records change per day. */
  public static final long DEFAULT_CHANGE_EVERY = 100;

  /** The last day {@link #withChanges} accepts (about ten years of days). */
  public static final int MAX_DAY = 3650;

  private final long seed;
  private final int studies;
  private final int formsPerStudy;
  private final int variablesPerForm;
  private final long recordsPerStudy;
  private final long changeEvery;
  private final int day;

  private SyntheticStudySpec(
      long seed,
      int studies,
      int formsPerStudy,
      int variablesPerForm,
      long recordsPerStudy,
      long changeEvery,
      int day) {
    this.seed = seed;
    this.studies = studies;
    this.formsPerStudy = formsPerStudy;
    this.variablesPerForm = variablesPerForm;
    this.recordsPerStudy = recordsPerStudy;
    this.changeEvery = changeEvery;
    this.day = day;
  }

  public static SyntheticStudySpec create() {
    return new SyntheticStudySpec(42, 1, 20, 30, 1_000_000, DEFAULT_CHANGE_EVERY, 1);
  }

  /**
   * Parses {@code seed,studies,forms,vars,records} or {@code
   * seed,studies,forms,vars,records,changeEvery,day}, the emulator's {@code --synthetic} value; the
   * inverse of {@link #toString}.
   */
  public static SyntheticStudySpec parse(String text) {
    String[] p = text.split(",", -1);
    if (p.length != 5 && p.length != 7) {
      throw new IllegalArgumentException(
          "expected seed,studies,forms,vars,records or seed,studies,forms,vars,records,changeEvery,day,"
              + " was '"
              + text
              + "'");
    }
    try {
      SyntheticStudySpec spec =
          create()
              .withSeed(Long.parseLong(p[0].trim()))
              .withStudies(Integer.parseInt(p[1].trim()))
              .withFormsPerStudy(Integer.parseInt(p[2].trim()))
              .withVariablesPerForm(Integer.parseInt(p[3].trim()))
              .withRecordsPerStudy(Long.parseLong(p[4].trim()));
      return p.length == 5
          ? spec
          : spec.withChanges(Long.parseLong(p[5].trim()), Integer.parseInt(p[6].trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "expected "
              + p.length
              + " integers seed,studies,forms,vars,records"
              + (p.length == 7 ? ",changeEvery,day" : "")
              + ", was '"
              + text
              + "'",
          e);
    }
  }

  public SyntheticStudySpec withSeed(long seed) {
    return new SyntheticStudySpec(
        seed, studies, formsPerStudy, variablesPerForm, recordsPerStudy, changeEvery, day);
  }

  /** 1..999. */
  public SyntheticStudySpec withStudies(int studies) {
    check(studies >= 1 && studies <= 999, "studies must be 1..999, was %s", studies);
    return new SyntheticStudySpec(
        seed, studies, formsPerStudy, variablesPerForm, recordsPerStudy, changeEvery, day);
  }

  /** 1..10,000. */
  public SyntheticStudySpec withFormsPerStudy(int forms) {
    check(forms >= 1 && forms <= 10_000, "formsPerStudy must be 1..10000, was %s", forms);
    return new SyntheticStudySpec(
        seed, studies, forms, variablesPerForm, recordsPerStudy, changeEvery, day);
  }

  /** 1..5,000. */
  public SyntheticStudySpec withVariablesPerForm(int variables) {
    check(
        variables >= 1 && variables <= 5_000,
        "variablesPerForm must be 1..5000, was %s",
        variables);
    return new SyntheticStudySpec(
        seed, studies, formsPerStudy, variables, recordsPerStudy, changeEvery, day);
  }

  /** 0..1,000,000,000. */
  public SyntheticStudySpec withRecordsPerStudy(long records) {
    check(
        records >= 0 && records <= 1_000_000_000L,
        "recordsPerStudy must be 0..1000000000, was %s",
        records);
    return new SyntheticStudySpec(
        seed, studies, formsPerStudy, variablesPerForm, records, changeEvery, day);
  }

  /**
   * Serves day {@code day} of the study, on each day {@code 2..day} of which about one record in
   * {@code changeEvery} changed (see {@link SyntheticStudyData}). Default: day 1 (no changes),
   * {@code changeEvery} {@value #DEFAULT_CHANGE_EVERY}. {@code changeEvery >= 1} (1 changes every
   * record every day), {@code day} 1..{@value #MAX_DAY}.
   */
  public SyntheticStudySpec withChanges(long changeEvery, int day) {
    check(changeEvery >= 1, "changeEvery must be >= 1, was %s", changeEvery);
    check(day >= 1 && day <= MAX_DAY, "day must be 1.." + MAX_DAY + ", was %s", day);
    return new SyntheticStudySpec(
        seed, studies, formsPerStudy, variablesPerForm, recordsPerStudy, changeEvery, day);
  }

  private static void check(boolean ok, String message, Object value) {
    if (!ok) {
      throw new IllegalArgumentException(String.format(message, value));
    }
  }

  public long seed() {
    return seed;
  }

  public int studies() {
    return studies;
  }

  public int formsPerStudy() {
    return formsPerStudy;
  }

  public int variablesPerForm() {
    return variablesPerForm;
  }

  public long recordsPerStudy() {
    return recordsPerStudy;
  }

  /** About one record in this many changes on each day after the first. */
  public long changeEvery() {
    return changeEvery;
  }

  /** The day served, 1 (as first exported, the default) to {@value #MAX_DAY}. */
  public int day() {
    return day;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof SyntheticStudySpec)) {
      return false;
    }
    SyntheticStudySpec s = (SyntheticStudySpec) o;
    return seed == s.seed
        && studies == s.studies
        && formsPerStudy == s.formsPerStudy
        && variablesPerForm == s.variablesPerForm
        && recordsPerStudy == s.recordsPerStudy
        && changeEvery == s.changeEvery
        && day == s.day;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        seed, studies, formsPerStudy, variablesPerForm, recordsPerStudy, changeEvery, day);
  }

  /**
   * {@code seed,studies,forms,vars,records}, followed by {@code ,changeEvery,day} unless both are
   * the defaults: what {@link #parse} reads back to an equal spec.
   */
  @Override
  public String toString() {
    String shape =
        seed + "," + studies + "," + formsPerStudy + "," + variablesPerForm + "," + recordsPerStudy;
    return changeEvery == DEFAULT_CHANGE_EVERY && day == 1
        ? shape
        : shape + "," + changeEvery + "," + day;
  }
}
