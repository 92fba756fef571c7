package org.imednet.export.testdata.emulator;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * What the {@link ImednetEmulator} serves: studies, and for each study the items of each {@link
 * Resource} in ascending primary-id order. Implementations answer a {@link Slice} by index so that
 * paging through millions of records never scans them; everything else in a query (other filter
 * terms, {@code recordDataFilter}, other sorts) the emulator evaluates itself.
 *
 * <p>Keyset pages whose filter has further AND terms ({@code formId==F;recordId>X;dateModified>=T})
 * are answered from {@link #matchingIds}: by default from the items' trees, per request; an
 * implementation that can test the terms without building items overrides it, and one whose items
 * never change says so with {@link #isImmutable}, so that the emulator computes the matching ids
 * once per study, resource, form and terms and pages through them by binary search.
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
   * Whether the items never change (the data set is a pure function of its construction), so the
   * emulator may keep what it derives from them, such as {@link #matchingIds}, for later requests.
   * Default false: a mutable implementation (e.g. {@link FolderStudyData}) is read afresh by every
   * request.
   */
  default boolean isImmutable() {
    return false;
  }

  /**
   * The primary ids, strictly ascending, of the items {@link #items items(studyKey, resource,
   * slice, 0, false)} returns that satisfy every term of {@code terms} (an AND group; {@link
   * FilterExpression.Term#test} of the item's attribute), or null when they cannot be told apart by
   * id: then the emulator scans the items as before. Each id returned must select exactly one item
   * of the slice, so that {@link #writeItems(OutputStream, String, Resource, Long, long[], int,
   * int, boolean)} can write them.
   *
   * <p>The default reads the items and tests their trees, as the emulator's scan does; it answers
   * null if an item has no integral id or two items share one. {@link
   * org.imednet.export.testdata.generator.SyntheticStudyData} tells {@code dateModified}, {@code
   * dateCreated} and {@code deleted} comparisons of its records from their hashes, without a tree.
   */
  default long[] matchingIds(
      String studyKey, Resource resource, Slice slice, List<FilterExpression.Term> terms) {
    String idField = resource.idField();
    Iterator<JsonNode> items = items(studyKey, resource, slice, 0, false);
    long[] ids = new long[16];
    int n = 0;
    boolean first = true;
    long previous = 0;
    while (items.hasNext()) {
      JsonNode item = items.next();
      JsonNode id = item.get(idField);
      if (id == null || !id.isIntegralNumber() || !id.canConvertToLong()) {
        return null;
      }
      long value = id.longValue();
      if ((!first && value <= previous) || value == Long.MIN_VALUE) {
        return null;
      }
      first = false;
      previous = value;
      boolean all = true;
      for (FilterExpression.Term t : terms) {
        if (!t.test(item.get(t.attribute()))) {
          all = false;
          break;
        }
      }
      if (all) {
        if (n == ids.length) {
          ids = Arrays.copyOf(ids, 2 * n);
        }
        ids[n++] = value;
      }
    }
    return Arrays.copyOf(ids, n);
  }

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

  /**
   * Writes the JSON text of the items with the ids {@code ids[from..to)} (from {@link #matchingIds}
   * of a slice with this {@code formId}), in ascending or with {@code descending} descending order,
   * like {@link #writeItems(OutputStream, String, Resource, Slice, long, boolean, long)}: separated
   * by {@code ,}, without brackets; returns how many were written. The default writes each run of
   * ids that no other item of the form lies between ({@link #count}) with one {@link
   * #writeItems(OutputStream, String, Resource, Slice, long, boolean, long)}.
   */
  default long writeItems(
      OutputStream out,
      String studyKey,
      Resource resource,
      Long formId,
      long[] ids,
      int from,
      int to,
      boolean descending)
      throws IOException {
    long written = 0;
    int step = descending ? -1 : 1;
    int k = descending ? to - 1 : from;
    int end = descending ? from - 1 : to;
    while (k != end) {
      // The run k..r (in writing order) covers ids lo..hi with nothing else of the form between.
      int r = k;
      while (r + step != end) {
        long lo = Math.min(ids[k], ids[r + step]);
        long hi = Math.max(ids[k], ids[r + step]);
        if (count(studyKey, resource, Slice.of(formId, lo - 1, hi)) != Math.abs(r + step - k) + 1) {
          break;
        }
        r += step;
      }
      long lo = Math.min(ids[k], ids[r]);
      long hi = Math.max(ids[k], ids[r]);
      int length = Math.abs(r - k) + 1;
      if (written > 0) {
        out.write(',');
      }
      long n =
          writeItems(out, studyKey, resource, Slice.of(formId, lo - 1, hi), 0, descending, length);
      if (n != length) {
        throw new IllegalStateException(
            "wrote " + n + " items of ids " + lo + ".." + hi + ", expected " + length);
      }
      written += n;
      k = r + step;
    }
    return written;
  }
}
