package org.imednet.export.api;

import java.time.Duration;

/**
 * Waits between attempts and for the rate limiter. Injectable so tests can record the waits instead
 * of sleeping.
 */
@FunctionalInterface
public interface Sleeper {
  /** The real one: {@link Thread#sleep(long)}. */
  Sleeper SYSTEM = d -> Thread.sleep(Math.max(0, d.toMillis()));

  void sleep(Duration duration) throws InterruptedException;
}
