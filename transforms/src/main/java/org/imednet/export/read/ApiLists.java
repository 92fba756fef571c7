package org.imednet.export.read;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.annotation.Nullable;
import org.imednet.export.api.ImednetApi;
import org.imednet.export.api.ImednetApiException;
import org.imednet.export.api.ImednetResources;

/** Small helpers over {@link ImednetApi#listAll} shared by the DoFns of this package. */
final class ApiLists {
  private ApiLists() {}

  /** Every item of a small resource; a failure on a later page is rethrown as the IOException. */
  static List<JsonNode> all(ImednetApi api, @Nullable String studyKey, String resource)
      throws IOException {
    List<JsonNode> items = new ArrayList<>();
    Iterator<JsonNode> it = api.listAll(studyKey, resource, null);
    try {
      it.forEachRemaining(items::add);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return items;
  }

  /**
   * A study's forms. A study the API key cannot see (a 404, or no forms and not among the visible
   * studies) is a {@link SelectionException}, never an empty study.
   */
  static List<JsonNode> forms(ImednetApi api, String studyKey) throws IOException {
    List<JsonNode> forms;
    try {
      forms = all(api, studyKey, ImednetResources.FORMS);
    } catch (ImednetApiException e) {
      if (e.httpStatus() == 404 && !(e instanceof SelectionException)) {
        requireStudyVisible(api, studyKey);
      }
      throw e;
    }
    if (forms.isEmpty()) {
      requireStudyVisible(api, studyKey);
    }
    return forms;
  }

  /**
   * Fails with a message naming the study if the API key cannot see it. Called when a study lists
   * no forms, so that a mistyped study key is never exported as an empty study.
   */
  static void requireStudyVisible(ImednetApi api, String studyKey) throws IOException {
    List<String> visible = new ArrayList<>();
    for (JsonNode study : all(api, null, ImednetResources.STUDIES)) {
      String key = study.path("studyKey").asText(null);
      if (studyKey.equals(key)) {
        return;
      }
      visible.add(key);
    }
    throw new SelectionException(
        "Study '"
            + studyKey
            + "' is not among the studies this API key can see"
            + seen(visible)
            + ": check the study key and IMEDNET_API_KEY / IMEDNET_SECURITY_KEY",
        404);
  }

  /** Up to ten of the visible study keys, for a message: keys are names, never data. */
  private static String seen(List<String> visible) {
    if (visible.isEmpty()) {
      return " (it sees none)";
    }
    int n = Math.min(10, visible.size());
    return " ("
        + String.join(", ", visible.subList(0, n))
        + (visible.size() > n ? ", … " + visible.size() + " in all" : "")
        + ")";
  }
}
