package org.imednet.export.api;

import java.io.Serializable;
import java.util.Objects;
import javax.annotation.Nullable;

/** The query parameters of one list request: {@code page, size, sort, filter, recordDataFilter}. */
public final class PageQuery implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int page;
  private final int size;
  private final @Nullable String sort;
  private final @Nullable String filter;
  private final @Nullable String recordDataFilter;

  public PageQuery(
      int page,
      int size,
      @Nullable String sort,
      @Nullable String filter,
      @Nullable String recordDataFilter) {
    if (page < 0) {
      throw new IllegalArgumentException("page must be >= 0, was " + page);
    }
    if (size < 1 || size > 500) {
      throw new IllegalArgumentException("size must be 1..500, was " + size);
    }
    this.page = page;
    this.size = size;
    this.sort = sort;
    this.filter = filter;
    this.recordDataFilter = recordDataFilter;
  }

  public static PageQuery of(int page, int size, @Nullable String sort, @Nullable String filter) {
    return new PageQuery(page, size, sort, filter, null);
  }

  public int page() {
    return page;
  }

  public int size() {
    return size;
  }

  /** E.g. {@code recordId,ASC}. */
  public @Nullable String sort() {
    return sort;
  }

  public @Nullable String filter() {
    return filter;
  }

  public @Nullable String recordDataFilter() {
    return recordDataFilter;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof PageQuery)) {
      return false;
    }
    PageQuery q = (PageQuery) o;
    return page == q.page
        && size == q.size
        && Objects.equals(sort, q.sort)
        && Objects.equals(filter, q.filter)
        && Objects.equals(recordDataFilter, q.recordDataFilter);
  }

  @Override
  public int hashCode() {
    return Objects.hash(page, size, sort, filter, recordDataFilter);
  }

  @Override
  public String toString() {
    return "page=" + page + " size=" + size + " sort=" + sort + " filter=" + filter;
  }
}
