package org.imednet.export.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApiConfigTest {
  private static final Map<String, String> ENV =
      Map.of("IMEDNET_API_KEY", "the-api-key", "IMEDNET_SECURITY_KEY", "the-sec-key");

  @Test
  void defaults() {
    ApiConfig c = ApiConfig.fromEnvironment(ENV);
    assertEquals("https://edc.prod.imednetapi.com", c.baseUrl());
    assertEquals("the-api-key", c.apiKey().reveal());
    assertEquals("the-sec-key", c.securityKey().reveal());
    assertEquals(Duration.ofSeconds(30), c.requestTimeout());
    assertEquals(5, c.maxRetries());
    assertEquals(Duration.ofMillis(500), c.backoffBase());
    assertEquals(Duration.ofSeconds(30), c.backoffCap());
    assertEquals(4, c.maxConcurrentRequests());
    assertEquals(0.0, c.requestsPerSecond());
    assertEquals(500, c.pageSize());
  }

  @Test
  void environmentBaseUrlAndTimeout() {
    Map<String, String> env =
        Map.of(
            "IMEDNET_API_KEY", "k",
            "IMEDNET_SECURITY_KEY", "s",
            "IMEDNET_BASE_URL", "http://localhost:8080/prefix/api/",
            "IMEDNET_TIMEOUT", "2.5");
    ApiConfig c = ApiConfig.fromEnvironment(env);
    assertEquals("http://localhost:8080/prefix", c.baseUrl());
    assertEquals(Duration.ofMillis(2500), c.requestTimeout());
  }

  @Test
  void missingVariablesAreNamedWithoutValues() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ApiConfig.fromEnvironment(Map.of("IMEDNET_SECURITY_KEY", "the-sec-key")));
    assertEquals(
        "Environment variable IMEDNET_API_KEY is not set; set it to your iMednet credential",
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ApiConfig.fromEnvironment(Map.of("IMEDNET_API_KEY", "the-api-key")));
    assertEquals(
        "Environment variable IMEDNET_SECURITY_KEY is not set; set it to your iMednet credential",
        e.getMessage());
    assertFalse(e.getMessage().contains("the-api-key"));
  }

  @Test
  void badTimeoutIsRejected() {
    Map<String, String> env =
        Map.of("IMEDNET_API_KEY", "k", "IMEDNET_SECURITY_KEY", "s", "IMEDNET_TIMEOUT", "soon");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ApiConfig.fromEnvironment(env));
    assertEquals("IMEDNET_TIMEOUT must be a number of seconds, was 'soon'", e.getMessage());
  }

  @Test
  void baseUrlNormalisation() {
    assertEquals("https://h", ApiConfig.normalizeBaseUrl("https://h/"));
    assertEquals("https://h", ApiConfig.normalizeBaseUrl("https://h/api"));
    assertEquals("https://h", ApiConfig.normalizeBaseUrl("https://h/api/"));
    assertEquals("https://h/x", ApiConfig.normalizeBaseUrl(" https://h/x/api "));
    assertEquals("https://h/apis", ApiConfig.normalizeBaseUrl("https://h/apis"));
    assertThrows(IllegalArgumentException.class, () -> ApiConfig.normalizeBaseUrl("h/api"));
  }

  @Test
  void validation() {
    ApiConfig.Builder b = ApiConfig.fromEnvironment(ENV).toBuilder();
    assertEquals(
        "pageSize must be 1..500, was 501",
        assertThrows(IllegalArgumentException.class, () -> b.pageSize(501)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.pageSize(0));
    assertThrows(IllegalArgumentException.class, () -> b.maxRetries(-1));
    assertThrows(IllegalArgumentException.class, () -> b.maxConcurrentRequests(0));
    assertThrows(IllegalArgumentException.class, () -> b.requestsPerSecond(-1));
    assertThrows(IllegalArgumentException.class, () -> b.requestTimeout(Duration.ZERO));
    assertThrows(
        IllegalArgumentException.class,
        () -> b.backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    assertEquals(
        "apiKey is required (IMEDNET_API_KEY)",
        assertThrows(IllegalArgumentException.class, () -> ApiConfig.builder().build())
            .getMessage());
  }

  @Test
  void toStringAndSerializedFormKeepKeysHidden() throws Exception {
    ApiConfig c = ApiConfig.fromEnvironment(ENV).toBuilder().requestsPerSecond(2.5).build();
    assertEquals(
        "ApiConfig{baseUrl=https://edc.prod.imednetapi.com, apiKey=****, securityKey=****,"
            + " requestTimeout=PT30S, maxRetries=5, backoff=PT0.5S..PT30S,"
            + " maxConcurrentRequests=4, requestsPerSecond=2.5, pageSize=500}",
        c.toString());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(c);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertEquals(c, in.readObject());
    }
  }
}
