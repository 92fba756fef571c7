package org.imednet.export.api;

import java.io.IOException;
import javax.annotation.Nullable;

/**
 * A failure talking to the iMednet API that retrying did not (or cannot) fix. The message names the
 * study, resource and page and, for HTTP errors, the status and the API's error message; it never
 * contains credentials.
 */
public class ImednetApiException extends IOException {
  private static final long serialVersionUID = 1L;
  private final int httpStatus;

  public ImednetApiException(String message, int httpStatus, @Nullable Throwable cause) {
    super(message, cause);
    this.httpStatus = httpStatus;
  }

  /** The HTTP status of the last response, or 0 if none was received (I/O failure). */
  public int httpStatus() {
    return httpStatus;
  }
}
