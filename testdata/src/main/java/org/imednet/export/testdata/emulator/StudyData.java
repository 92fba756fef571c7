package org.imednet.export.testdata.emulator;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Iterator;
import java.util.List;

/**
 * What the {@link ImednetEmulator} serves: studies, and for each study the items of each {@link
 * Resource} in ascending primary-id order. Implementations answer a {@link Slice} by index so that
 * paging through millions of records never scans them; everything else in a query (other filter
 * terms, {@code recordDataFilter}, other sorts) the emulator evaluates itself.
 *
 * <p>Implementations must be thread-safe: the emulator calls them from several worker threads.
 * Iterators may be weakly consistent with concurrent mutation.
 */
public interface StudyData {

  /** Every study, as Study objects (small). */
  List<JsonNode> studies();

  /** Whether {@code studyKey} exists. */
  default boolean hasStudy(String studyKey) {
    for (JsonNode s : studies()) {
      if (studyKey.equals(s.path("studyKey").asText(null))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The items of {@code resource} inside {@code slice}, skipping the first {@code offset} of them,
   * in ascending (or with {@code descending}, descending) primary-id order. {@link Slice#formId()}
   * is only set for resources where {@link Resource#hasFormId()}.
   */
  Iterator<JsonNode> items(
      String studyKey, Resource resource, Slice slice, long offset, boolean descending);

  /** The number of items {@link #items} would return with offset 0. */
  long count(String studyKey, Resource resource, Slice slice);

  /**
   * Writes the JSON text of the first {@code limit} items {@link #items} would return to {@code
   * out} as UTF-8, separated by {@code ,} and without brackets; returns how many were written. The
   * emulator serves its keyset pages through this method, so an implementation that can write an
   * item without building a {@link JsonNode} first overrides it; the text must be exactly what
   * serializing the nodes would write. {@code out} is not closed.
   */
  default long writeItems(
      OutputStream out,
      String studyKey,
      Resource resource,
      Slice slice,
      long offset,
      boolean descending,
      long limit)
      throws IOException {
    Iterator<JsonNode> items = items(studyKey, resource, slice, offset, descending);
    long written = 0;
    try (JsonGenerator g = SharedMapper.MAPPER.getFactory().createGenerator(out)) {
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      g.setRootValueSeparator(new SerializedString(","));
      while (written < limit && items.hasNext()) {
        SharedMapper.MAPPER.writeTree(g, items.next());
        written++;
      }
    }
    return written;
  }
}
