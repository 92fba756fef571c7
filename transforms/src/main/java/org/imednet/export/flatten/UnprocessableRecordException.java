package org.imednet.export.flatten;

/**
 * A record that cannot become a row at all: not a JSON object, no integer {@code recordId}, or no
 * {@code recordData} object. The message names the problem and never contains record values.
 */
public class UnprocessableRecordException extends Exception {
  private static final long serialVersionUID = 1L;

  public UnprocessableRecordException(String message) {
    super(message);
  }
}
