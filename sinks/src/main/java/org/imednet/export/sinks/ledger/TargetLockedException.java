package org.imednet.export.sinks.ledger;

/** Another run holds the target's lock; this run changed nothing. */
public final class TargetLockedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public TargetLockedException(String message) {
    super(message);
  }
}
