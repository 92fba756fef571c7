package org.imednet.export.testdata.generator;

import java.io.Serializable;
import java.util.Objects;

/**
 * The shape of a synthetic study set: seed, number of studies, forms per study, variables per form
 * and records per study. Immutable; defaults: seed 42, 1 study, 20 forms, 30 variables, 1,000,000
 * records.
 *
 * <pre>{@code
 * SyntheticStudySpec spec = SyntheticStudySpec.create().withRecordsPerStudy(10_000_000);
 * SyntheticStudySpec same = SyntheticStudySpec.parse("42,1,20,30,10000000");
 * }</pre>
 */
public final class SyntheticStudySpec implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long seed;
  private final int studies;
  private final int formsPerStudy;
  private final int variablesPerForm;
  private final long recordsPerStudy;

  private SyntheticStudySpec(
      long seed, int studies, int formsPerStudy, int variablesPerForm, long recordsPerStudy) {
    this.seed = seed;
    this.studies = studies;
    this.formsPerStudy = formsPerStudy;
    this.variablesPerForm = variablesPerForm;
    this.recordsPerStudy = recordsPerStudy;
  }

  public static SyntheticStudySpec create() {
    return new SyntheticStudySpec(42, 1, 20, 30, 1_000_000);
  }

  /** Parses {@code seed,studies,forms,vars,records}, the emulator's {@code --synthetic} value. */
  public static SyntheticStudySpec parse(String text) {
    String[] p = text.split(",");
    if (p.length != 5) {
      throw new IllegalArgumentException(
          "expected seed,studies,forms,vars,records, was '" + text + "'");
    }
    try {
      return create()
          .withSeed(Long.parseLong(p[0].trim()))
          .withStudies(Integer.parseInt(p[1].trim()))
          .withFormsPerStudy(Integer.parseInt(p[2].trim()))
          .withVariablesPerForm(Integer.parseInt(p[3].trim()))
          .withRecordsPerStudy(Long.parseLong(p[4].trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "expected five integers seed,studies,forms,vars,records, was '" + text + "'", e);
    }
  }

  public SyntheticStudySpec withSeed(long seed) {
    return new SyntheticStudySpec(seed, studies, formsPerStudy, variablesPerForm, recordsPerStudy);
  }

  /** 1..999. */
  public SyntheticStudySpec withStudies(int studies) {
    check(studies >= 1 && studies <= 999, "studies must be 1..999, was %s", studies);
    return new SyntheticStudySpec(seed, studies, formsPerStudy, variablesPerForm, recordsPerStudy);
  }

  /** 1..10,000. */
  public SyntheticStudySpec withFormsPerStudy(int forms) {
    check(forms >= 1 && forms <= 10_000, "formsPerStudy must be 1..10000, was %s", forms);
    return new SyntheticStudySpec(seed, studies, forms, variablesPerForm, recordsPerStudy);
  }

  /** 1..5,000. */
  public SyntheticStudySpec withVariablesPerForm(int variables) {
    check(
        variables >= 1 && variables <= 5_000,
        "variablesPerForm must be 1..5000, was %s",
        variables);
    return new SyntheticStudySpec(seed, studies, formsPerStudy, variables, recordsPerStudy);
  }

  /** 0..1,000,000,000. */
  public SyntheticStudySpec withRecordsPerStudy(long records) {
    check(
        records >= 0 && records <= 1_000_000_000L,
        "recordsPerStudy must be 0..1000000000, was %s",
        records);
    return new SyntheticStudySpec(seed, studies, formsPerStudy, variablesPerForm, records);
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
        && recordsPerStudy == s.recordsPerStudy;
  }

  @Override
  public int hashCode() {
    return Objects.hash(seed, studies, formsPerStudy, variablesPerForm, recordsPerStudy);
  }

  @Override
  public String toString() {
    return seed
        + ","
        + studies
        + ","
        + formsPerStudy
        + ","
        + variablesPerForm
        + ","
        + recordsPerStudy;
  }
}
