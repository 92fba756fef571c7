package org.imednet.export.read;

import org.imednet.export.api.ImednetApiException;

/**
 * The user named something the API does not have: a study key the API key cannot see, or a form or
 * variable selector that matches nothing in the selected studies. Retrying cannot fix it; the
 * message names the study and the selector (never a credential or a record value), so a command
 * line can show it as one line and exit as for a usage error.
 */
public final class SelectionException extends ImednetApiException {
  private static final long serialVersionUID = 1L;

  public SelectionException(String message, int httpStatus) {
    super(message, httpStatus, null);
  }
}
