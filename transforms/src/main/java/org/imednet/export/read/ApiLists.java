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
   * Fails with a message naming the study if the API key cannot see it. Called when a study lists
   * no forms, so that a mistyped study key is never exported as an empty study.
   */
  static void requireStudyVisible(ImednetApi api, String studyKey) throws IOException {
    for (JsonNode study : all(api, null, ImednetResources.STUDIES)) {
      if (studyKey.equals(study.path("studyKey").asText(null))) {
        return;
      }
    }
    throw new ImednetApiException(
        "Study '"
            + studyKey
            + "' is not among the studies this API key can see: check the study key and"
            + " IMEDNET_API_KEY / IMEDNET_SECURITY_KEY",
        404,
        null);
  }
}
