package org.imednet.export.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.List;
import javax.annotation.Nullable;
import org.imednet.export.model.JsonItems;

/**
 * One parsed list response: the {@code data} items and the {@code pagination} block. Items read
 * from a response stay bytes ({@link #items()}) until someone asks for them as trees ({@link
 * #data()}, built once).
 */
public final class ApiPage {
  // Each built at most once per reader; volatile so a page handed to another thread is safe.
  private volatile @Nullable List<JsonNode> data;
  private volatile @Nullable JsonItems items;
  private final int currentPage;
  private final int totalPages;
  private final long totalElements;

  public ApiPage(List<JsonNode> data, int currentPage, int totalPages, long totalElements) {
    this.data = Collections.unmodifiableList(data);
    this.currentPage = currentPage;
    this.totalPages = totalPages;
    this.totalElements = totalElements;
  }

  public ApiPage(JsonItems items, int currentPage, int totalPages, long totalElements) {
    this.items = items;
    this.currentPage = currentPage;
    this.totalPages = totalPages;
    this.totalElements = totalElements;
  }

  /** The items as trees (built on first use for a page read from a response). */
  public List<JsonNode> data() {
    List<JsonNode> d = data;
    if (d == null) {
      d = Collections.unmodifiableList(items.trees());
      data = d;
    }
    return d;
  }

  /** The items as bytes (serialised on first use for a page built from trees). */
  public JsonItems items() {
    JsonItems i = items;
    if (i == null) {
      i = JsonItems.of(data);
      items = i;
    }
    return i;
  }

  public int size() {
    return items != null ? items.size() : data.size();
  }

  public int currentPage() {
    return currentPage;
  }

  public int totalPages() {
    return totalPages;
  }

  public long totalElements() {
    return totalElements;
  }
}
