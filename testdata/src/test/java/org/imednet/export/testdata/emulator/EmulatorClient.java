package org.imednet.export.testdata.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A tiny client for emulator tests: GET with the emulator's credentials. */
final class EmulatorClient {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private final ImednetEmulator emu;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  EmulatorClient(ImednetEmulator emu) {
    this.emu = emu;
  }

  /** {@code pathAndQuery} after /api/v1/edc, query values given as name, value pairs. */
  HttpResponse<String> get(String path, String... params) throws IOException, InterruptedException {
    return send(path, emu.apiKey(), emu.securityKey(), Duration.ofSeconds(20), params);
  }

  HttpResponse<String> send(
      String path, String apiKey, String securityKey, Duration timeout, String... params)
      throws IOException, InterruptedException {
    StringBuilder uri = new StringBuilder(emu.baseUrl()).append(ImednetEmulator.API_PREFIX);
    uri.append(path);
    for (int i = 0; i < params.length; i += 2) {
      uri.append(i == 0 ? '?' : '&')
          .append(params[i])
          .append('=')
          .append(URLEncoder.encode(params[i + 1], StandardCharsets.UTF_8));
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri.toString())).timeout(timeout);
    if (apiKey != null) {
      b.header("x-api-key", apiKey);
    }
    if (securityKey != null) {
      b.header("x-imn-security-key", securityKey);
    }
    return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  JsonNode json(String path, String... params) throws IOException, InterruptedException {
    HttpResponse<String> r = get(path, params);
    if (r.statusCode() != 200) {
      throw new AssertionError("status " + r.statusCode() + ": " + r.body());
    }
    return MAPPER.readTree(r.body());
  }
}
