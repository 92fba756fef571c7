package org.imednet.export.cli;

/**
 * Arguments that parse but do not make sense together (a study key and {@code --all-studies}, no
 * study at all): shown as one {@code error:} line with exit code 2, like a picocli usage error.
 */
final class UsageError extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  UsageError(String message) {
    super(message);
  }
}
