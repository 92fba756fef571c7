package org.imednet.export.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RetryAfterTest {
  private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");

  @Test
  void seconds() {
    assertEquals(Duration.ofSeconds(120), RetryAfter.parse(" 120 ", NOW));
    assertEquals(Duration.ZERO, RetryAfter.parse("0", NOW));
  }

  @Test
  void httpDate() {
    assertEquals(Duration.ofSeconds(90), RetryAfter.parse("Sun, 01 Mar 2026 10:01:30 GMT", NOW));
    assertEquals(Duration.ZERO, RetryAfter.parse("Sun, 01 Mar 2026 09:00:00 GMT", NOW));
  }

  @Test
  void absentOrUnreadable() {
    assertNull(RetryAfter.parse(null, NOW));
    assertNull(RetryAfter.parse("", NOW));
    assertNull(RetryAfter.parse("-5", NOW));
    assertNull(RetryAfter.parse("soon", NOW));
  }
}
