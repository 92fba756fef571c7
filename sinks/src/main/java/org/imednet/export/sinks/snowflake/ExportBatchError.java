package org.imednet.export.sinks.snowflake;

/**
 * One batch could not be loaded into Snowflake after all attempts (or failed with an error that
 * retrying cannot fix). Nothing of the batch is visible in the target table: the replace runs in
 * one transaction. The manifest lists the batches that did load; a re-run loads the rest.
 */
public class ExportBatchError extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String batchId;
  private final int attempts;

  public ExportBatchError(String batchId, int attempts, String message, Throwable cause) {
    super(message, cause);
    this.batchId = batchId;
    this.attempts = attempts;
  }

  /** The id of the batch that failed, as in the manifest. */
  public String batchId() {
    return batchId;
  }

  /** How many attempts were made. */
  public int attempts() {
    return attempts;
  }
}
