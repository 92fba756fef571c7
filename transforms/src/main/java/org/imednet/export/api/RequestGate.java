package org.imednet.export.api;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Semaphore;
import java.util.function.LongSupplier;

/**
 * Bounds the requests of one JVM to one API: at most {@code maxConcurrent} in flight and, if a rate
 * is set, requests spaced at least {@code 1/rate} seconds apart. Gates live in a static registry
 * keyed by base URL and limits, because a runner creates many DoFn instances (each with its own
 * client) in one worker JVM and together they must stay within the budget.
 */
final class RequestGate {
  private static final ConcurrentMap<String, RequestGate> GATES = new ConcurrentHashMap<>();

  private final Semaphore inFlight;
  private final long maxIntervalNanos;
  private long intervalNanos;
  private final LongSupplier nanoClock;
  private long nextFreeNanos;
  private boolean started;

  RequestGate(int maxConcurrent, double requestsPerSecond, LongSupplier nanoClock) {
    this.inFlight = new Semaphore(maxConcurrent, true);
    this.intervalNanos = requestsPerSecond > 0 ? (long) Math.ceil(1e9 / requestsPerSecond) : 0;
    this.maxIntervalNanos = 2 * intervalNanos;
    this.nanoClock = nanoClock;
  }

  /** The JVM-wide gate for this base URL and these limits. */
  static RequestGate forConfig(ApiConfig config) {
    String key =
        config.baseUrl() + "|" + config.maxConcurrentRequests() + "|" + config.requestsPerSecond();
    return GATES.computeIfAbsent(
        key,
        k ->
            new RequestGate(
                config.maxConcurrentRequests(), config.requestsPerSecond(), System::nanoTime));
  }

  /** Waits for a free slot and for the rate budget; close the permit when the request is done. */
  Permit acquire(Sleeper sleeper) throws InterruptedException {
    inFlight.acquire();
    try {
      long waitNanos = reserve();
      if (waitNanos > 0) {
        sleeper.sleep(java.time.Duration.ofNanos(waitNanos));
      }
    } catch (InterruptedException | RuntimeException e) {
      inFlight.release();
      throw e;
    }
    return inFlight::release;
  }

  /** Reserves the next send time and returns how long the caller must wait for it. */
  synchronized long reserve() {
    if (intervalNanos == 0) {
      return 0;
    }
    long now = nanoClock.getAsLong();
    long at = !started || now - nextFreeNanos > 0 ? now : nextFreeNanos;
    started = true;
    nextFreeNanos = at + intervalNanos;
    return at - now;
  }

  /**
   * Called for every 429: spaces requests 5 % further apart, down to half the configured rate.
   * Spacing requests exactly at a server's budget still draws the odd 429, because the server
   * counts requests in its own windows and arrival times jitter (and another client may share the
   * budget); after a 429 or two the gate runs just under the budget instead of drawing one every
   * few seconds, each of which costs its request a {@code Retry-After} wait.
   */
  synchronized void slowDown() {
    if (intervalNanos > 0) {
      intervalNanos = Math.min(maxIntervalNanos, intervalNanos + intervalNanos / 20);
    }
  }

  /** The current spacing between requests, 0 without a rate. */
  synchronized long intervalNanos() {
    return intervalNanos;
  }

  int availableSlots() {
    return inFlight.availablePermits();
  }

  /** Releases the concurrency slot. */
  interface Permit extends AutoCloseable {
    @Override
    void close();
  }
}
