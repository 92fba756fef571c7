package org.imednet.export.cli;

import java.util.LinkedHashSet;
import java.util.Set;
import javax.annotation.Nullable;
import org.imednet.export.read.SelectionException;

/** Turns a failure (often wrapped by the runner several times) into one readable line. */
final class Errors {
  private Errors() {}

  /**
   * The message of a {@link SelectionException} anywhere in the cause chain (a study key, form or
   * variable the API does not have; raised up front or inside a runner) or of a {@link UsageError},
   * else null.
   */
  static @Nullable String userError(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SelectionException || c instanceof UsageError) {
        return c.getMessage().strip();
      }
    }
    return null;
  }

  static String describe(Throwable t) {
    // Runners wrap the user's exception (PipelineExecutionException, RuntimeException(cause)...);
    // the innermost message with content is the one that names study/form/page.
    Set<String> messages = new LinkedHashSet<>();
    Throwable root = t;
    for (Throwable c = t; c != null; c = c.getCause()) {
      root = c;
      String m = c.getMessage();
      if (m != null && !m.isBlank()) {
        messages.add(m.strip());
      }
    }
    String rootMessage = root.getMessage();
    if (rootMessage == null || rootMessage.isBlank()) {
      return root.getClass().getSimpleName() + (messages.isEmpty() ? "" : ": " + last(messages));
    }
    return rootMessage.strip();
  }

  private static String last(Set<String> s) {
    String last = null;
    for (String m : s) {
      last = m;
    }
    return last;
  }
}
