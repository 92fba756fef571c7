package org.imednet.export.api;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A scripted HTTP server on 127.0.0.1 for client unit tests: each request takes the next scripted
 * reply, or the default one. Records what it was sent.
 */
final class FakeApiServer implements AutoCloseable {
  /** One scripted reply. */
  interface Reply {
    void send(HttpExchange exchange) throws IOException;
  }

  /** What the server received. */
  static final class Request {
    final String path;
    final Map<String, String> query;
    final Map<String, String> headers;

    Request(String path, Map<String, String> query, Map<String, String> headers) {
      this.path = path;
      this.query = query;
      this.headers = headers;
    }
  }

  private final HttpServer server;
  private final Deque<Reply> script = new ArrayDeque<>();
  private final List<Request> requests = new ArrayList<>();
  private final CountDownLatch stalled = new CountDownLatch(1);
  private Reply defaultReply = json(200, page(List.of(), 0, 0, 0));

  FakeApiServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.start();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  synchronized FakeApiServer then(Reply reply) {
    script.add(reply);
    return this;
  }

  synchronized FakeApiServer otherwise(Reply reply) {
    defaultReply = reply;
    return this;
  }

  synchronized List<Request> requests() {
    return new ArrayList<>(requests);
  }

  private void handle(HttpExchange exchange) throws IOException {
    Reply reply;
    synchronized (this) {
      Map<String, String> query = new LinkedHashMap<>();
      String raw = exchange.getRequestURI().getRawQuery();
      if (raw != null) {
        for (String part : raw.split("&")) {
          int eq = part.indexOf('=');
          query.put(
              URLDecoder.decode(part.substring(0, eq), StandardCharsets.UTF_8),
              URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
      Map<String, String> headers = new LinkedHashMap<>();
      exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), v.get(0)));
      requests.add(new Request(exchange.getRequestURI().getRawPath(), query, headers));
      reply = script.isEmpty() ? defaultReply : script.poll();
    }
    try {
      reply.send(exchange);
    } finally {
      exchange.close();
    }
  }

  static Reply json(int status, String body) {
    return json(status, body, Map.of());
  }

  static Reply json(int status, String body, Map<String, String> headers) {
    return exchange -> {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      headers.forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    };
  }

  /** Closes the connection without a response. */
  static Reply reset() {
    return exchange -> exchange.getHttpContext().getServer();
  }

  /** Never answers until the server is closed. */
  Reply stall() {
    return exchange -> {
      try {
        stalled.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
  }

  static String error(String message) {
    return "{\"metadata\":{\"status\":\"ERROR\",\"error\":{\"message\":\"" + message + "\"}}}";
  }

  static String page(List<String> items, int currentPage, int totalPages, long totalElements) {
    return "{\"metadata\":{\"status\":\"OK\",\"error\":{}},\"pagination\":{\"currentPage\":"
        + currentPage
        + ",\"size\":500,\"totalPages\":"
        + totalPages
        + ",\"totalElements\":"
        + totalElements
        + ",\"sort\":[]},\"data\":["
        + String.join(",", items)
        + "]}";
  }

  @Override
  public void close() {
    stalled.countDown();
    server.stop(0);
  }
}
