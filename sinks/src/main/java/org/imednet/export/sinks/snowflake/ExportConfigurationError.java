package org.imednet.export.sinks.snowflake;

/**
 * The Snowflake load cannot start: settings are missing or invalid, or the connection could not be
 * opened. The message names the missing or wrong settings, never the password.
 */
public class ExportConfigurationError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ExportConfigurationError(String message) {
    super(message);
  }

  public ExportConfigurationError(String message, Throwable cause) {
    super(message, cause);
  }
}
