package org.imednet.export.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.List;

/** One parsed list response: the {@code data} items and the {@code pagination} block. */
public final class ApiPage {
  private final List<JsonNode> data;
  private final int currentPage;
  private final int totalPages;
  private final long totalElements;

  public ApiPage(List<JsonNode> data, int currentPage, int totalPages, long totalElements) {
    this.data = Collections.unmodifiableList(data);
    this.currentPage = currentPage;
    this.totalPages = totalPages;
    this.totalElements = totalElements;
  }

  public List<JsonNode> data() {
    return data;
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
