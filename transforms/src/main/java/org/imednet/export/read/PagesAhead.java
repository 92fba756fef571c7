package org.imednet.export.read;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import javax.annotation.Nullable;
import org.imednet.export.api.ApiPage;
import org.imednet.export.api.ImednetApi;
import org.imednet.export.api.ImednetResources;
import org.imednet.export.api.PageQuery;

/**
 * Every page of a (metadata) list, offset-paged with an explicit sort on the primary id like {@link
 * ImednetApi#listAll}, but with up to {@code ahead} next pages requested while the current one is
 * consumed: with API latency a list read one page at a time is bound by round trips, not by the
 * request budget. Pages come in order; a failed page fails the iteration (as an {@link
 * UncheckedIOException}), never looks like the end of the list.
 */
final class PagesAhead implements Iterator<ApiPage> {
  private final ImednetApi api;
  private final String studyKey;
  private final String resource;
  private final String sort;
  private final @Nullable String filter;
  private final int size;
  private final int totalPages;
  private final ExecutorService pool;
  private final int ahead;
  private final Deque<Future<ApiPage>> pending = new ArrayDeque<>();
  private int nextToRequest = 1;
  private @Nullable ApiPage first;

  private PagesAhead(
      ImednetApi api,
      String studyKey,
      String resource,
      int size,
      @Nullable String filter,
      ApiPage first,
      ExecutorService pool,
      int ahead) {
    this.api = api;
    this.filter = filter;
    this.studyKey = studyKey;
    this.resource = resource;
    this.sort = ImednetResources.primaryId(resource) + ",ASC";
    this.size = size;
    this.totalPages = first.totalPages();
    this.pool = pool;
    this.ahead = Math.max(1, ahead);
    this.first = first;
    fill();
  }

  /** Reads page 0 now (so a failure surfaces at once) and prefetches on {@code pool}. */
  static Iterator<ApiPage> pages(
      ImednetApi api,
      String studyKey,
      String resource,
      int pageSize,
      ExecutorService pool,
      int ahead)
      throws IOException {
    return pages(api, studyKey, resource, pageSize, null, pool, ahead);
  }

  /** As {@link #pages(ImednetApi, String, String, int, ExecutorService, int)}, with a filter. */
  static Iterator<ApiPage> pages(
      ImednetApi api,
      String studyKey,
      String resource,
      int pageSize,
      @Nullable String filter,
      ExecutorService pool,
      int ahead)
      throws IOException {
    String sort = ImednetResources.primaryId(resource) + ",ASC";
    ApiPage first = api.getPage(studyKey, resource, PageQuery.of(0, pageSize, sort, filter));
    return new PagesAhead(api, studyKey, resource, pageSize, filter, first, pool, ahead);
  }

  private void fill() {
    while (pending.size() < ahead && nextToRequest < totalPages) {
      int page = nextToRequest++;
      pending.add(
          pool.submit(
              () -> api.getPage(studyKey, resource, PageQuery.of(page, size, sort, filter))));
    }
  }

  @Override
  public boolean hasNext() {
    return first != null || !pending.isEmpty();
  }

  @Override
  public ApiPage next() {
    ApiPage page = first;
    if (page != null) {
      first = null;
      return page;
    }
    Future<ApiPage> next = pending.poll();
    if (next == null) {
      throw new NoSuchElementException();
    }
    try {
      page = next.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      pending.forEach(f -> f.cancel(true));
      throw new UncheckedIOException(
          new InterruptedIOException("Interrupted reading " + resource + " of " + studyKey));
    } catch (ExecutionException e) {
      pending.forEach(f -> f.cancel(true));
      Throwable cause = e.getCause();
      throw cause instanceof IOException
          ? new UncheckedIOException((IOException) cause)
          : new UncheckedIOException(new IOException(cause));
    }
    fill();
    return page;
  }
}
