package org.imednet.export.api;

import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Bounds the requests of one JVM to one API: at most {@code maxConcurrent} in flight and, if a rate
 * is set, requests spaced at least {@code 1/rate} seconds apart. Gates live in a static registry
 * keyed by base URL and limits, because a runner creates many DoFn instances (each with its own
 * client) in one worker JVM and together they must stay within the budget.
 *
 * <p>Waiting requests get a slot in order of {@link ApiConfig#requestPriority()} (lower first),
 * then of arrival, so two pipelines sharing a gate (a backfill's runs in flight) do not split the
 * budget: the first takes what it can use and the second only the rest.
 */
final class RequestGate {
  private static final ConcurrentMap<String, RequestGate> GATES = new ConcurrentHashMap<>();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final PriorityQueue<Waiter> waiting =
      new PriorityQueue<>(
          Comparator.<Waiter>comparingInt(w -> w.priority).thenComparingLong(w -> w.arrival));
  private long arrivals;
  private int freeSlots;
  private final long maxIntervalNanos;
  private final long minIntervalNanos;
  private long intervalNanos;
  private int successesSinceChange;
  private final LongSupplier nanoClock;
  private long nextFreeNanos;
  private boolean started;

  RequestGate(int maxConcurrent, double requestsPerSecond, LongSupplier nanoClock) {
    this.freeSlots = maxConcurrent;
    this.intervalNanos = requestsPerSecond > 0 ? (long) Math.ceil(1e9 / requestsPerSecond) : 0;
    this.maxIntervalNanos = 2 * intervalNanos;
    this.minIntervalNanos = intervalNanos;
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

  /** As {@link #acquire(Sleeper, int)} at priority 0. */
  Permit acquire(Sleeper sleeper) throws InterruptedException {
    return acquire(sleeper, 0);
  }

  /**
   * Waits for a free slot (requests with a lower {@code priority} first, then by arrival) and for
   * the rate budget; close the permit when the request is done.
   */
  Permit acquire(Sleeper sleeper, int priority) throws InterruptedException {
    takeSlot(priority);
    try {
      long waitNanos = reserve();
      if (waitNanos > 0) {
        sleeper.sleep(java.time.Duration.ofNanos(waitNanos));
      }
    } catch (InterruptedException | RuntimeException e) {
      releaseSlot();
      throw e;
    }
    return this::releaseSlot;
  }

  private void takeSlot(int priority) throws InterruptedException {
    lock.lock();
    try {
      Waiter me = new Waiter(priority, arrivals++);
      waiting.add(me);
      try {
        while (freeSlots == 0 || waiting.peek() != me) {
          changed.await();
        }
      } catch (InterruptedException e) {
        waiting.remove(me);
        changed.signalAll();
        throw e;
      }
      waiting.poll();
      freeSlots--;
      // The next in line may find a slot free too.
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void releaseSlot() {
    lock.lock();
    try {
      freeSlots++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** A request waiting for a slot. */
  private static final class Waiter {
    final int priority;
    final long arrival;

    Waiter(int priority, long arrival) {
      this.priority = priority;
      this.arrival = arrival;
    }
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
   * few seconds, each of which costs its request a {@code Retry-After} wait. {@link #succeeded()}
   * wins the speed back.
   */
  synchronized void slowDown() {
    if (intervalNanos > 0) {
      intervalNanos = Math.min(maxIntervalNanos, intervalNanos + intervalNanos / 20);
      successesSinceChange = 0;
    }
  }

  /** Answers in a row without a 429 after which the gate speeds up by 1 %. */
  static final int SUCCESSES_PER_SPEED_UP = 100;

  /**
   * Called for every answered request that was not a 429: after {@value #SUCCESSES_PER_SPEED_UP} of
   * them in a row the spacing shrinks by 1 %, never below the configured rate's. A 429 costs 5 %
   * and 500 answers win it back, so a run that drew one in its first minute does not spend the rest
   * of the day under its budget; at the configured rate it settles within about 2 % of it.
   */
  synchronized void succeeded() {
    if (intervalNanos <= minIntervalNanos) {
      return;
    }
    if (++successesSinceChange >= SUCCESSES_PER_SPEED_UP) {
      intervalNanos = Math.max(minIntervalNanos, intervalNanos - intervalNanos / 100);
      successesSinceChange = 0;
    }
  }

  /** The current spacing between requests, 0 without a rate. */
  synchronized long intervalNanos() {
    return intervalNanos;
  }

  int availableSlots() {
    lock.lock();
    try {
      return freeSlots;
    } finally {
      lock.unlock();
    }
  }

  /** Requests waiting for a slot. */
  int waitingRequests() {
    lock.lock();
    try {
      return waiting.size();
    } finally {
      lock.unlock();
    }
  }

  /** Releases the concurrency slot. */
  interface Permit extends AutoCloseable {
    @Override
    void close();
  }
}
