package org.imednet.export.testdata.emulator;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
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
   * Writes the first {@code limit} items {@link #items} would return, each as one JSON object, to
   * {@code out}; returns how many were written. The emulator serves its keyset pages through this
   * method, so an implementation that can write an item without building a {@link JsonNode} first
   * overrides it; the JSON written must be exactly what serializing the nodes would write.
   */
  default long writeItems(
      JsonGenerator out,
      String studyKey,
      Resource resource,
      Slice slice,
      long offset,
      boolean descending,
      long limit)
      throws IOException {
    ObjectMapper mapper =
        out.getCodec() instanceof ObjectMapper
            ? (ObjectMapper) out.getCodec()
            : SharedMapper.MAPPER;
    Iterator<JsonNode> items = items(studyKey, resource, slice, offset, descending);
    long written = 0;
    while (written < limit && items.hasNext()) {
      mapper.writeTree(out, items.next());
      written++;
    }
    return written;
  }
}
