package org.imednet.export.api;

import java.util.Map;

/** The list resources the exporter reads and the primary id each is paged by. */
public final class ImednetResources {
  public static final String STUDIES = "studies";
  public static final String FORMS = "forms";
  public static final String VARIABLES = "variables";
  public static final String SITES = "sites";
  public static final String SUBJECTS = "subjects";
  public static final String INTERVALS = "intervals";
  public static final String VISITS = "visits";
  public static final String RECORD_REVISIONS = "recordRevisions";
  public static final String RECORDS = "records";

  private static final Map<String, String> PRIMARY_IDS =
      Map.of(
          STUDIES, "studyKey",
          FORMS, "formId",
          VARIABLES, "variableId",
          SITES, "siteId",
          SUBJECTS, "subjectId",
          INTERVALS, "intervalId",
          VISITS, "visitId",
          RECORD_REVISIONS, "recordRevisionId",
          RECORDS, "recordId");

  private ImednetResources() {}

  /**
   * The property that identifies an item of {@code resource}, used as the explicit ascending sort
   * while paging so that offset paging is stable.
   *
   * @throws IllegalArgumentException for a resource the exporter does not know
   */
  public static String primaryId(String resource) {
    String id = PRIMARY_IDS.get(resource);
    if (id == null) {
      throw new IllegalArgumentException(
          "Unknown iMednet resource '" + resource + "'; known: " + PRIMARY_IDS.keySet());
    }
    return id;
  }
}
