package org.imednet.export.testdata.emulator;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The {@link StudyData#matchingIds} of an {@link StudyData#isImmutable immutable} data set, per
 * study, resource, formId and leftover filter terms, so that the keyset pages of one filtered query
 * (the exporter's {@code formId==F;recordId>X;dateModified>=…}) cost a binary search each instead
 * of a pass over the rest of the form. At most {@code maxIds} ids are kept, least recently used
 * first out; the first request of a key computes its ids while later ones of the same key wait for
 * them. Thread-safe.
 */
final class MatchingIdsCache {
  /** What {@link StudyData#matchingIds} answered: ids, or null for "scan instead". */
  private static final class Entry {
    // Written under the entry's monitor, ids before done; done is read without it by admit.
    volatile boolean done;
    long[] ids;

    long size() {
      return ids == null ? 0 : ids.length;
    }
  }

  private static final class Key {
    final String study;
    final Resource resource;
    final Long formId;
    final List<String> terms;

    Key(String study, Resource resource, Long formId, List<FilterExpression.Term> terms) {
      this.study = study;
      this.resource = resource;
      this.formId = formId;
      // attribute + operator + value names a term uniquely: attributes hold no operator chars.
      this.terms = terms.stream().map(FilterExpression.Term::toString).toList();
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Key)) {
        return false;
      }
      Key k = (Key) o;
      return study.equals(k.study)
          && resource == k.resource
          && Objects.equals(formId, k.formId)
          && terms.equals(k.terms);
    }

    @Override
    public int hashCode() {
      return Objects.hash(study, resource, formId, terms);
    }
  }

  private final long maxIds;
  private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long cachedIds;

  MatchingIdsCache(long maxIds) {
    this.maxIds = maxIds;
  }

  /**
   * The ids of the key, from {@code compute} (called once per key while it is cached), or null when
   * {@code compute} answered null.
   */
  long[] ids(
      String study,
      Resource resource,
      Long formId,
      List<FilterExpression.Term> terms,
      Supplier<long[]> compute) {
    Key key = new Key(study, resource, formId, terms);
    Entry e;
    synchronized (this) {
      e = entries.computeIfAbsent(key, k -> new Entry());
    }
    synchronized (e) {
      if (!e.done) {
        e.ids = compute.get();
        e.done = true;
        admit(key, e);
      }
      return e.ids;
    }
  }

  /** Accounts a computed entry and evicts the least recently used ones over the budget. */
  private synchronized void admit(Key key, Entry e) {
    if (entries.get(key) != e) {
      return; // evicted while it was computed; it served this request only
    }
    cachedIds += e.size();
    Iterator<Map.Entry<Key, Entry>> it = entries.entrySet().iterator();
    while (cachedIds > maxIds && it.hasNext()) {
      Entry old = it.next().getValue();
      // Entries still being computed are not counted yet; they are left to finish. (Not locked:
      // their computing thread holds their monitor and then waits for this one.)
      if (old.done) {
        cachedIds -= old.size();
        it.remove();
      }
    }
  }

  /** Ids kept now, for tests. */
  synchronized long cachedIds() {
    return cachedIds;
  }

  /** Keys kept now, for tests. */
  synchronized int size() {
    return entries.size();
  }
}
