package org.imednet.export.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.Iterator;
import javax.annotation.Nullable;

/**
 * The few calls the exporter makes against {@code /api/v1/edc}. Implementations retry what can
 * recover (429 honouring {@code Retry-After}, 5xx, I/O errors) and throw {@link
 * ImednetApiException} naming study, resource and page for everything else. Thread-safe.
 */
public interface ImednetApi extends AutoCloseable {

  /**
   * One page of a resource.
   *
   * @param studyKey null for the studies list itself
   * @param resource {@code studies}, {@code forms}, {@code variables}, {@code records}, …
   */
  ApiPage getPage(@Nullable String studyKey, String resource, PageQuery query) throws IOException;

  /**
   * Streams every item of a resource, page by page in a stable sort order, holding one page in
   * memory at a time. For small resources (forms, variables, sites, …); records use keyset paging
   * in {@code ReadStudyRecords}.
   */
  Iterator<JsonNode> listAll(@Nullable String studyKey, String resource, @Nullable String filter)
      throws IOException;

  @Override
  void close();
}
