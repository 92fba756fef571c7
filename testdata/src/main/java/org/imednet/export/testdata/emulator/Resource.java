package org.imednet.export.testdata.emulator;

import java.util.Optional;
import java.util.Set;

/**
 * The per-study list resources of {@code /api/v1/edc/studies/{studyKey}/…}, with their primary id
 * (the default sort) and the attributes {@code mednet.yaml} declares for them (filterable).
 */
public enum Resource {
  SITES(
      "sites",
      "siteId",
      Set.of(
          "studyKey", "siteId", "siteName", "siteEnrollmentStatus", "dateCreated", "dateModified")),
  FORMS(
      "forms",
      "formId",
      Set.of(
          "studyKey",
          "formId",
          "formKey",
          "formName",
          "formType",
          "revision",
          "embeddedLog",
          "enforceOwnership",
          "userAgreement",
          "subjectRecordReport",
          "unscheduledVisit",
          "otherForms",
          "eproForm",
          "allowCopy",
          "disabled",
          "dateCreated",
          "dateModified")),
  INTERVALS(
      "intervals",
      "intervalId",
      Set.of(
          "studyKey",
          "intervalId",
          "intervalName",
          "intervalDescription",
          "intervalSequence",
          "intervalGroupId",
          "intervalGroupName",
          "timeline",
          "definedUsingInterval",
          "windowCalculationForm",
          "windowCalculationDate",
          "actualDateForm",
          "actualDate",
          "dueDateWillBeIn",
          "negativeSlack",
          "positiveSlack",
          "eproGracePeriod",
          "disabled",
          "dateCreated",
          "dateModified")),
  VARIABLES(
      "variables",
      "variableId",
      Set.of(
          "studyKey",
          "variableId",
          "variableType",
          "variableName",
          "sequence",
          "revision",
          "disabled",
          "dateCreated",
          "dateModified",
          "formId",
          "variableOid",
          "deleted",
          "formKey",
          "formName",
          "label",
          "blinded")),
  SUBJECTS(
      "subjects",
      "subjectId",
      Set.of(
          "studyKey",
          "subjectId",
          "subjectOid",
          "subjectKey",
          "subjectStatus",
          "siteId",
          "siteName",
          "deleted",
          "enrollmentStartDate",
          "dateCreated",
          "dateModified")),
  VISITS(
      "visits",
      "visitId",
      Set.of(
          "studyKey",
          "visitId",
          "intervalId",
          "intervalName",
          "subjectId",
          "subjectKey",
          "startDate",
          "endDate",
          "dueDate",
          "visitDate",
          "visitDateForm",
          "visitDateQuestion",
          "deleted",
          "dateCreated",
          "dateModified")),
  RECORDS(
      "records",
      "recordId",
      Set.of(
          "studyKey",
          "intervalId",
          "formId",
          "formKey",
          "siteId",
          "recordId",
          "recordOid",
          "recordType",
          "recordStatus",
          "deleted",
          "dateCreated",
          "dateModified",
          "subjectId",
          "subjectOid",
          "subjectKey",
          "visitId",
          "parentRecordId")),
  RECORD_REVISIONS(
      "recordRevisions",
      "recordRevisionId",
      Set.of(
          "studyKey",
          "recordRevisionId",
          "recordId",
          "recordOid",
          "recordRevision",
          "dataRevision",
          "recordStatus",
          "subjectId",
          "subjectOid",
          "subjectKey",
          "siteId",
          "formKey",
          "intervalId",
          "role",
          "user",
          "reasonForChange",
          "deleted",
          "dateCreated"));

  /** The attributes of a Study, for filtering the studies list. */
  public static final Set<String> STUDY_ATTRIBUTES =
      Set.of(
          "sponsorKey",
          "studyKey",
          "studyId",
          "studyName",
          "studyDescription",
          "studyType",
          "dateCreated",
          "dateModified");

  private final String path;
  private final String idField;
  private final Set<String> attributes;

  Resource(String path, String idField, Set<String> attributes) {
    this.path = path;
    this.idField = idField;
    this.attributes = attributes;
  }

  /** The path segment, e.g. {@code recordRevisions}; also the file name without {@code .json}. */
  public String path() {
    return path;
  }

  public String fileName() {
    return path + ".json";
  }

  /** The primary id: the default sort, ascending. */
  public String idField() {
    return idField;
  }

  /** The filterable attributes mednet.yaml declares for this resource. */
  public Set<String> attributes() {
    return attributes;
  }

  /** Whether items carry a {@code formId} that {@link Slice#formId()} selects on. */
  public boolean hasFormId() {
    return this == RECORDS || this == VARIABLES;
  }

  public static Optional<Resource> fromPath(String segment) {
    for (Resource r : values()) {
      if (r.path.equals(segment)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}
