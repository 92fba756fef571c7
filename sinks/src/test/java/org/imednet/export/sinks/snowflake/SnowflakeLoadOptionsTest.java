package org.imednet.export.sinks.snowflake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SnowflakeLoadOptionsTest {
  @Test
  void backoffDoublesFromTheConfiguredBase() {
    SnowflakeLoadOptions o =
        SnowflakeLoadOptions.defaults().withRetryBackoff(Duration.ofMillis(250));
    assertEquals(Duration.ofMillis(250), o.backoffBeforeRetry(1));
    assertEquals(Duration.ofMillis(500), o.backoffBeforeRetry(2));
    assertEquals(Duration.ofMillis(1000), o.backoffBeforeRetry(3));
  }

  @Test
  void defaults() {
    SnowflakeLoadOptions o = SnowflakeLoadOptions.defaults();
    assertEquals("imednet", o.stagePrefix());
    assertEquals(3, o.maxRetries());
    assertEquals(Duration.ofSeconds(1), o.retryBackoff());
    assertEquals(100_000, o.batchSize());
    assertEquals(false, o.forceReload());
    assertEquals(false, o.keepStaged());
  }

  @Test
  void validatesEachSetting() {
    SnowflakeLoadOptions o = SnowflakeLoadOptions.defaults();
    assertEquals(
        "batchSize must be 1..10000000, was 0",
        assertThrows(IllegalArgumentException.class, () -> o.withBatchSize(0)).getMessage());
    assertEquals(
        "maxRetries must be 0..20, was -1",
        assertThrows(IllegalArgumentException.class, () -> o.withMaxRetries(-1)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> o.withRetryBackoff(Duration.ofSeconds(-1)));
    assertThrows(IllegalArgumentException.class, () -> o.withStagePrefix("has space"));
    assertThrows(IllegalArgumentException.class, () -> o.withSingleTable(" "));
    assertEquals("imednet/prod", o.withStagePrefix("/imednet/prod/").stagePrefix());
  }
}
