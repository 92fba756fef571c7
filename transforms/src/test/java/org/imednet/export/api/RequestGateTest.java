package org.imednet.export.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RequestGateTest {

  @Test
  void spacesRequestsAtTheConfiguredRate() throws Exception {
    AtomicLong now = new AtomicLong(1_000_000_000L);
    RequestGate gate = new RequestGate(2, 4.0, now::get);
    List<Duration> waits = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      gate.acquire(waits::add).close();
    }
    assertEquals(List.of(Duration.ofMillis(250), Duration.ofMillis(500)), waits);
    now.addAndGet(2_000_000_000L);
    gate.acquire(waits::add).close();
    assertEquals(2, waits.size(), "after an idle period the next request goes at once");
  }

  @Test
  void eachTooManyRequestsSlowsTheGateByFivePercentDownToHalfTheRate() throws Exception {
    AtomicLong now = new AtomicLong(1_000_000_000L);
    RequestGate gate = new RequestGate(2, 4.0, now::get);
    assertEquals(250_000_000L, gate.intervalNanos());
    gate.slowDown();
    assertEquals(262_500_000L, gate.intervalNanos());
    List<Duration> waits = new ArrayList<>();
    gate.acquire(waits::add).close();
    gate.acquire(waits::add).close();
    assertEquals(List.of(Duration.ofNanos(262_500_000L)), waits);
    for (int i = 0; i < 100; i++) {
      gate.slowDown();
    }
    assertEquals(500_000_000L, gate.intervalNanos());

    RequestGate unlimited = new RequestGate(2, 0, now::get);
    unlimited.slowDown();
    assertEquals(0, unlimited.intervalNanos());
  }

  @Test
  void successesWinTheSpeedBackOnePercentPerHundredNeverPastTheConfiguredRate() {
    RequestGate gate = new RequestGate(2, 4.0, () -> 0L);
    gate.slowDown();
    assertEquals(262_500_000L, gate.intervalNanos());
    for (int i = 0; i < RequestGate.SUCCESSES_PER_SPEED_UP - 1; i++) {
      gate.succeeded();
    }
    assertEquals(262_500_000L, gate.intervalNanos(), "not before a hundred in a row");
    gate.succeeded();
    assertEquals(259_875_000L, gate.intervalNanos());
    // A 429 resets the count.
    for (int i = 0; i < 50; i++) {
      gate.succeeded();
    }
    gate.slowDown();
    assertEquals(272_868_750L, gate.intervalNanos());
    for (int i = 0; i < 99; i++) {
      gate.succeeded();
    }
    assertEquals(272_868_750L, gate.intervalNanos());
    for (int i = 0; i < 100_000; i++) {
      gate.succeeded();
    }
    assertEquals(250_000_000L, gate.intervalNanos(), "never faster than configured");

    RequestGate unlimited = new RequestGate(2, 0, () -> 0L);
    for (int i = 0; i < 1000; i++) {
      unlimited.succeeded();
    }
    assertEquals(0, unlimited.intervalNanos());
  }

  @Test
  void boundsConcurrency() throws Exception {
    RequestGate gate = new RequestGate(2, 0, System::nanoTime);
    RequestGate.Permit a = gate.acquire(d -> {});
    RequestGate.Permit b = gate.acquire(d -> {});
    assertEquals(0, gate.availableSlots());
    a.close();
    b.close();
    assertEquals(2, gate.availableSlots());
  }

  @Test
  void waitingRequestsGetTheSlotLowerPriorityFirstThenInArrivalOrder() throws Exception {
    RequestGate gate = new RequestGate(1, 0, System::nanoTime);
    RequestGate.Permit held = gate.acquire(d -> {});
    List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Thread> threads = new ArrayList<>();
    int[][] arrivals = {{5, 0}, {1, 1}, {3, 2}, {1, 3}, {0, 4}};
    for (int[] a : arrivals) {
      Thread t =
          new Thread(
              () -> {
                try (RequestGate.Permit p = gate.acquire(d -> {}, a[0])) {
                  order.add(a[0] + "/" + a[1]);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      t.start();
      threads.add(t);
      // Each waits before the next arrives, so arrival order is known.
      awaitWaiting(gate, threads.size());
    }
    held.close();
    for (Thread t : threads) {
      t.join(10_000);
    }
    assertEquals(List.of("0/4", "1/1", "1/3", "3/2", "5/0"), order);
    assertEquals(1, gate.availableSlots());
    assertEquals(0, gate.waitingRequests());
  }

  @Test
  void anInterruptedWaiterLeavesTheQueueAndTheOthersStillGetTheirTurn() throws Exception {
    RequestGate gate = new RequestGate(1, 0, System::nanoTime);
    RequestGate.Permit held = gate.acquire(d -> {});
    AtomicLong served = new AtomicLong();
    Thread first =
        new Thread(
            () -> {
              try (RequestGate.Permit p = gate.acquire(d -> {}, 0)) {
                served.incrementAndGet();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    Thread second =
        new Thread(
            () -> {
              try (RequestGate.Permit p = gate.acquire(d -> {}, 1)) {
                served.addAndGet(10);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    first.start();
    awaitWaiting(gate, 1);
    second.start();
    awaitWaiting(gate, 2);
    first.interrupt();
    first.join(10_000);
    assertEquals(1, gate.waitingRequests());
    held.close();
    second.join(10_000);
    assertEquals(10, served.get());
    assertEquals(1, gate.availableSlots());
  }

  private static void awaitWaiting(RequestGate gate, int n) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (gate.waitingRequests() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("never saw " + n + " waiting requests");
      }
      Thread.onSpinWait();
    }
  }

  @Test
  void oneGatePerJvmForTheSameBaseUrlAndLimits() {
    ApiConfig c =
        ApiConfig.builder()
            .baseUrl("http://127.0.0.1:1")
            .apiKey(Secret.of("a"))
            .securityKey(Secret.of("b"))
            .build();
    ApiConfig other = c.toBuilder().apiKey(Secret.of("c")).build();
    assertSame(RequestGate.forConfig(c), RequestGate.forConfig(other));
  }
}
