package org.imednet.export.testdata.emulator;

import com.fasterxml.jackson.databind.ObjectMapper;

/** The package's one ObjectMapper (thread-safe once configured; building one is costly). */
final class SharedMapper {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private SharedMapper() {}
}
