package org.imednet.export.testdata.emulator;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP/1.1 server of the {@link ImednetEmulator}: blocking sockets, a thread per connection,
 * and at most {@code workers} requests handled at once. It replaced the JDK's {@code
 * com.sun.net.httpserver}, whose machinery around each request (a selector thread handing every
 * connection to a worker and back, header maps, filter chains, a Date formatted per response, two
 * copies of every body) cost more CPU than generating the pages: with a handler answering a fixed
 * 26-byte body it used about 2 CPU-s for the benchmark's 2,665 requests, most of it the JIT
 * compiling that machinery, where a blocking server like this one used 0.2 s.
 *
 * <p>What goes on the wire is what the JDK 17 server sent, byte for byte (EmulatorResponseBytesTest
 * pins it): its status lines and reason phrases, a {@code Date} header, headers named and ordered
 * as its header map wrote them, {@code Content-length} or 4096-byte chunks, and its replies to
 * malformed requests, parsed as it parsed them. So is the protocol behaviour: keep-alive unless
 * {@code Connection: close} or HTTP/1.0 without {@code Connection: keep-alive}; {@code 100
 * Continue} on {@code Expect: 100-continue}; request bodies ({@code Content-Length} or chunked,
 * never read by the emulator) skipped after the response, the connection closed instead when one is
 * 64 KB or more; HEAD answered with headers only; a connection closed without a response when the
 * handler sends none. Unlike the JDK server, which had no request timeout, a connection whose reads
 * stall for 30 s is closed, idle or not (the JDK server closed idle ones after 30 to 40 s).
 */
final class EmulatorHttpServer implements AutoCloseable {

  /**
   * Answers one request; the server completes the response when it returns, and closes the
   * connection if no response was sent.
   */
  @FunctionalInterface
  interface Handler {
    void handle(Exchange exchange);
  }

  private static final int IDLE_MILLIS = 30_000;
  private static final int MAX_REQUEST_HEADERS = 200;

  /** Request line and header bytes, plus 32 per header, as the JDK server counted them. */
  private static final long MAX_REQUEST_HEAD = 380 * 1024;

  private static final long MAX_DRAINED_BODY = 64 * 1024;
  private static final int CHUNK_SIZE = 4096;
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] LAST_CHUNK = ascii("0\r\n\r\n");
  private static final PerSecondText DATE =
      new PerSecondText(
          DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss zzz", Locale.US)
              .withZone(ZoneId.of("GMT")));

  private final ServerSocket listener;
  private final Handler handler;
  private final Semaphore workers;
  private final String threadPrefix;
  private final AtomicInteger threadNo = new AtomicInteger();
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private EmulatorHttpServer(
      ServerSocket listener, Handler handler, int workers, String threadPrefix) {
    this.listener = listener;
    this.handler = handler;
    this.workers = new Semaphore(workers);
    this.threadPrefix = threadPrefix;
  }

  /**
   * Binds {@code address} and starts accepting on a thread named {@code threadPrefix-accept}, which
   * (like the JDK server's dispatcher) keeps the JVM alive until {@link #close}; connections get
   * daemon threads {@code threadPrefix-1}, {@code -2}, ….
   */
  static EmulatorHttpServer start(
      InetSocketAddress address, int backlog, int workers, String threadPrefix, Handler handler)
      throws IOException {
    ServerSocket listener = new ServerSocket();
    try {
      listener.setReuseAddress(true);
      listener.bind(address, backlog);
    } catch (IOException e) {
      listener.close();
      throw e;
    }
    EmulatorHttpServer server = new EmulatorHttpServer(listener, handler, workers, threadPrefix);
    new Thread(server::accept, threadPrefix + "-accept").start();
    return server;
  }

  int port() {
    return listener.getLocalPort();
  }

  /** Stops accepting, closes every connection and interrupts requests being handled. */
  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (Connection c : connections) {
      c.close();
    }
  }

  private void accept() {
    while (!closed) {
      Socket socket;
      try {
        socket = listener.accept();
      } catch (IOException e) {
        return; // closed
      }
      Connection c = new Connection(socket);
      Thread t = new Thread(c, threadPrefix + "-" + threadNo.incrementAndGet());
      t.setDaemon(true);
      c.thread = t;
      connections.add(c);
      if (closed) {
        c.close();
      }
      t.start();
    }
  }

  /** One client connection and the thread serving its requests in turn. */
  private final class Connection implements Runnable {
    private final Socket socket;
    private volatile Thread thread;

    Connection(Socket socket) {
      this.socket = socket;
    }

    @Override
    public void run() {
      try (socket) {
        // Without TCP_NODELAY the end of each response waits for the client's delayed ACK
        // (Nagle): keyset paging of the synthetic study measured 2.3x slower.
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(IDLE_MILLIS);
        RequestInput in = new RequestInput(socket.getInputStream());
        OutputStream out = socket.getOutputStream();
        while (!closed && exchange(in, out)) {
          // next request on this connection
        }
      } catch (IOException e) {
        // The client went away, idled out, or sent a request too large: the connection ends.
      } catch (InterruptedException e) {
        // close(): the server is stopping.
      } finally {
        connections.remove(this);
      }
    }

    void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway
      }
      Thread t = thread;
      if (t != null) {
        t.interrupt();
      }
    }
  }

  /** Reads and answers one request; returns whether the connection stays open for another. */
  private boolean exchange(RequestInput in, OutputStream out)
      throws IOException, InterruptedException {
    String requestLine = in.readRequestLine();
    if (requestLine == null) {
      return false;
    }
    int methodEnd = requestLine.indexOf(' ');
    int targetEnd = methodEnd < 0 ? -1 : requestLine.indexOf(' ', methodEnd + 1);
    if (targetEnd < 0) {
      return reject(out, 400, "Bad request line");
    }
    URI uri;
    try {
      uri = new URI(requestLine.substring(methodEnd + 1, targetEnd));
    } catch (URISyntaxException e) {
      return reject(out, 400, "URISyntaxException thrown");
    }
    boolean http10 = requestLine.substring(targetEnd + 1).equalsIgnoreCase("http/1.0");
    RequestHeaders headers = in.readHeaders(requestLine.length());
    if (headers.hasLineBreakInName()) {
      return false; // the JDK's header map refused the name and the connection was dropped
    }
    if (!headers.namesAreTokens()) {
      return reject(out, 400, "Header key contains illegal characters");
    }
    List<String> lengths = headers.all("Content-Length");
    List<String> encodings = headers.all("Transfer-Encoding");
    if (!lengths.isEmpty() && (!encodings.isEmpty() || lengths.size() > 1)) {
      return reject(out, 400, "Conflicting or malformed headers detected");
    }
    long bodyLength = 0; // -1: chunked
    if (!encodings.isEmpty()) {
      if (!encodings.get(0).equalsIgnoreCase("chunked") || encodings.size() > 1) {
        return reject(out, 501, "Unsupported Transfer-Encoding value");
      }
      bodyLength = -1;
    } else if (!lengths.isEmpty()) {
      try {
        bodyLength = Long.parseLong(lengths.get(0));
      } catch (NumberFormatException e) {
        return reject(out, 400, "NumberFormatException thrown");
      }
      if (bodyLength < 0) {
        return reject(out, 400, "Illegal Content-Length value");
      }
    }
    String path = uri.getPath();
    if (path == null) {
      return false; // an opaque URI such as mailto:x; the JDK server dropped the connection
    }
    if (!path.startsWith("/")) {
      return reject(out, 404, "No context found for request");
    }
    Exchange ex = new Exchange(requestLine.substring(0, methodEnd), uri, headers, out, http10);
    String connection = headers.first("Connection");
    ex.close = "close".equalsIgnoreCase(connection);
    if (http10) {
      if (connection == null) {
        ex.close = true;
        ex.setResponseHeader("Connection", "close");
      } else if (connection.equalsIgnoreCase("keep-alive")) {
        ex.setResponseHeader("Connection", "keep-alive");
        ex.setResponseHeader("Keep-Alive", "timeout=" + IDLE_MILLIS / 1000 + ", max=200");
      }
    }
    if ("100-continue".equalsIgnoreCase(headers.first("Expect"))) {
      out.write(ascii("HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\n"));
    }
    workers.acquire();
    try {
      handler.handle(ex);
    } finally {
      workers.release();
    }
    if (!ex.headersSent) {
      return false;
    }
    // As the JDK server did: the request body is skipped before the response is ended.
    boolean bodyRead = bodyLength == -1 ? in.skipChunks() : in.skip(bodyLength);
    return ex.finish() && bodyRead;
  }

  /** The JDK server's answer to a request it could not take; the connection then closes. */
  private static boolean reject(OutputStream out, int status, String message) throws IOException {
    String body = "<h1>" + status + reason(status) + "</h1>" + message;
    out.write(
        ascii(
            "HTTP/1.1 "
                + status
                + reason(status)
                + "\r\nContent-Length: "
                + body.length()
                + "\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
                + body));
    return false;
  }

  /** Whether a header name is an RFC 7230 token. */
  static boolean isToken(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean alphanumeric =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alphanumeric && "!#$%&'*+-.^_`|~".indexOf(c) < 0) {
        return false;
      }
    }
    return true;
  }

  /** The reason phrase after the status code, with its leading space (just {@code " "} if none). */
  static String reason(int status) {
    switch (status) {
      case 200:
        return " OK";
      case 400:
        return " Bad Request";
      case 401:
        return " Unauthorized";
      case 402:
        return " Payment Required";
      case 403:
        return " Forbidden";
      case 404:
        return " Not Found";
      case 405:
        return " Method Not Allowed";
      case 406:
        return " Not Acceptable";
      case 407:
        return " Proxy Authentication Required";
      case 408:
        return " Request Time-Out";
      case 409:
        return " Conflict";
      case 410:
        return " Gone";
      case 411:
        return " Length Required";
      case 412:
        return " Precondition Failed";
      case 413:
        return " Request Entity Too Large";
      case 414:
        return " Request-URI Too Large";
      case 415:
        return " Unsupported Media Type";
      case 500:
        return " Internal Server Error";
      case 501:
        return " Not Implemented";
      case 502:
        return " Bad Gateway";
      case 503:
        return " Service Unavailable";
      case 504:
        return " Gateway Timeout";
      case 505:
        return " HTTP Version Not Supported";
      default:
        return " ";
    }
  }

  /**
   * A header name as the JDK's header map keyed it: the first letter upper case, the others lower
   * case ({@code Content-length}, {@code X-api-key}).
   */
  static String normalize(String name) {
    char[] c = name.toCharArray();
    for (int i = 0; i < c.length; i++) {
      if (i == 0 && c[i] >= 'a' && c[i] <= 'z') {
        c[i] = Character.toUpperCase(c[i]);
      } else if (i > 0 && c[i] >= 'A' && c[i] <= 'Z') {
        c[i] = Character.toLowerCase(c[i]);
      }
    }
    return new String(c);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** One request and its response. */
  static final class Exchange {
    private final String method;
    private final URI uri;
    private final RequestHeaders requestHeaders;
    private final OutputStream out;
    private final boolean http10;
    // Keyed by normalized name in a map of the JDK header map's capacity, so that iterating it
    // gives the JDK server's header order.
    private final Map<String, String> responseHeaders = new HashMap<>(32);
    private boolean close;
    private boolean headersSent;
    private Body body;
    private boolean recorded;

    private Exchange(
        String method, URI uri, RequestHeaders requestHeaders, OutputStream out, boolean http10) {
      this.method = method;
      this.uri = uri;
      this.requestHeaders = requestHeaders;
      this.out = out;
      this.http10 = http10;
    }

    String method() {
      return method;
    }

    /** The raw (still encoded) path. */
    String rawPath() {
      return uri.getRawPath();
    }

    /** The raw query, or null. */
    String rawQuery() {
      return uri.getRawQuery();
    }

    /** The first value of request header {@code name} (any case), or null. */
    String requestHeader(String name) {
      return requestHeaders.first(name);
    }

    void setResponseHeader(String name, String value) {
      responseHeaders.put(normalize(name), value);
    }

    /**
     * Marks the exchange as counted by the emulator; returns false if it already was (a response is
     * recorded once, before its status line goes out).
     */
    boolean markRecorded() {
      boolean first = !recorded;
      recorded = true;
      return first;
    }

    /**
     * Sends the status line and headers. {@code length} > 0 is the body's exact length; 0 means
     * unknown: the body goes out in chunks (for HTTP/1.0, until the connection closes). A HEAD
     * request gets no body and no length.
     */
    void sendResponseHeaders(int status, long length) throws IOException {
      if (headersSent) {
        throw new IOException("headers already sent");
      }
      headersSent = true;
      setResponseHeader("Date", DATE.format(System.currentTimeMillis() / 1000));
      if (method.equals("HEAD")) {
        body = new FixedLengthBody(out, 0);
      } else if (length == 0) {
        if (http10) {
          close = true;
          body = new UntilCloseBody(out);
        } else {
          setResponseHeader("Transfer-Encoding", "chunked");
          body = new ChunkedBody(out);
        }
      } else {
        setResponseHeader("Content-Length", Long.toString(length));
        body = new FixedLengthBody(out, length);
      }
      StringBuilder head = new StringBuilder(160);
      head.append("HTTP/1.1 ").append(status).append(reason(status)).append("\r\n");
      responseHeaders.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
      out.write(ascii(head.append("\r\n").toString()));
    }

    /** The response body; only after {@link #sendResponseHeaders}. */
    OutputStream responseBody() {
      if (body == null) {
        throw new IllegalStateException("response headers not sent yet");
      }
      return body;
    }

    /** Ends the response; returns whether the connection may carry another request. */
    private boolean finish() throws IOException {
      return body.finish() && !close;
    }
  }

  /** A response body; {@link #finish} ends it and tells whether the connection can go on. */
  private abstract static class Body extends OutputStream {
    abstract boolean finish() throws IOException;

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }
  }

  /** {@code Content-length} bytes exactly; a short body closes the connection. */
  private static final class FixedLengthBody extends Body {
    private final OutputStream out;
    private long remaining;

    FixedLengthBody(OutputStream out, long length) {
      this.out = out;
      this.remaining = length;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (len > remaining) {
        throw new IOException("too many bytes to write to stream");
      }
      out.write(b, off, len);
      remaining -= len;
    }

    @Override
    boolean finish() {
      return remaining == 0;
    }
  }

  /** Chunks of 4096 bytes (the last one shorter) and the zero-length last chunk. */
  private static final class ChunkedBody extends Body {
    private final OutputStream out;
    private final byte[] chunk = new byte[CHUNK_SIZE];
    private int count;

    ChunkedBody(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        int n = Math.min(len, CHUNK_SIZE - count);
        System.arraycopy(b, off, chunk, count, n);
        count += n;
        off += n;
        len -= n;
        if (count == CHUNK_SIZE) {
          writeChunk();
        }
      }
    }

    private void writeChunk() throws IOException {
      out.write(ascii(Integer.toHexString(count) + "\r\n"));
      out.write(chunk, 0, count);
      out.write(CRLF);
      count = 0;
    }

    @Override
    boolean finish() throws IOException {
      if (count > 0) {
        writeChunk();
      }
      out.write(LAST_CHUNK);
      return true;
    }
  }

  /** An HTTP/1.0 body of unknown length: it ends when the connection closes. */
  private static final class UntilCloseBody extends Body {
    private final OutputStream out;

    UntilCloseBody(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    boolean finish() {
      return false;
    }
  }

  /** A request's header lines, names as the client sent them. */
  private static final class RequestHeaders {
    final List<String> names = new ArrayList<>();
    final List<String> values = new ArrayList<>();

    boolean hasLineBreakInName() {
      for (String name : names) {
        if (name.indexOf('\r') >= 0 || name.indexOf('\n') >= 0) {
          return true;
        }
      }
      return false;
    }

    boolean namesAreTokens() {
      for (String name : names) {
        if (!isToken(name)) {
          return false;
        }
      }
      return true;
    }

    /** Every value of header {@code name} (any case), in order. */
    List<String> all(String name) {
      List<String> found = new ArrayList<>(1);
      for (int i = 0; i < names.size(); i++) {
        if (names.get(i).equalsIgnoreCase(name)) {
          found.add(values.get(i));
        }
      }
      return found;
    }

    String first(String name) {
      for (int i = 0; i < names.size(); i++) {
        if (names.get(i).equalsIgnoreCase(name)) {
          return values.get(i);
        }
      }
      return null;
    }
  }

  /** A buffered socket input that reads request heads byte by byte and skips request bodies. */
  private static final class RequestInput {
    private final InputStream in;
    private final byte[] buf = new byte[8192];
    private int pos;
    private int limit;

    RequestInput(InputStream in) {
      this.in = in;
    }

    int read() throws IOException {
      if (pos == limit && !fill()) {
        return -1;
      }
      return buf[pos++] & 0xFF;
    }

    /** Reads what the socket has into the (consumed) buffer; returns false at its end. */
    private boolean fill() throws IOException {
      int n = in.read(buf, 0, buf.length);
      if (n <= 0) {
        return false;
      }
      pos = 0;
      limit = n;
      return true;
    }

    /**
     * The request line, skipping empty lines before it, or null at the end of the stream. A line
     * ends at CR LF; a CR or LF alone is part of it.
     */
    String readRequestLine() throws IOException {
      StringBuilder line = new StringBuilder(128);
      do {
        line.setLength(0);
        boolean cr = false;
        while (true) {
          int c = read();
          if (c < 0) {
            return null;
          }
          if (cr) {
            if (c == '\n') {
              break;
            }
            cr = false;
            line.append('\r').append((char) c);
          } else if (c == '\r') {
            cr = true;
          } else {
            line.append((char) c);
          }
        }
      } while (line.length() == 0);
      return line.toString();
    }

    /**
     * The header lines up to the empty line (or the end of the stream), parsed as the JDK server
     * did, quirks included. A line ends at CR LF, LF or CR; a line starting with a space or tab
     * continues the previous one (the line break and that first blank become one space, tabs
     * spaces). The name is what precedes the first ':' unless a blank comes first (then it is
     * empty: not a valid name); the value is the rest without leading and trailing blanks. A single
     * line break right after the request line and followed by more is kept as the first character
     * of the first name (which the caller then refuses).
     */
    RequestHeaders readHeaders(int requestLineLength) throws IOException {
      RequestHeaders headers = new RequestHeaders();
      long budget = MAX_REQUEST_HEAD - requestLineLength - 32;
      StringBuilder line = new StringBuilder(64);
      int first = read();
      if (first == '\r' || first == '\n') {
        int c = read();
        if (c == '\r' || c == '\n') {
          return headers; // no headers at all
        }
        line.append((char) first);
        first = c;
      }
      while (first != '\n' && first != '\r' && first >= 0) {
        int nameEnd = -1;
        boolean inName = first > ' ';
        line.append((char) first);
        int c;
        while ((c = read()) >= 0) {
          if (c == ':') {
            if (inName && line.length() > 0) {
              nameEnd = line.length();
            }
            inName = false;
          } else if (c == '\t' || c == ' ') {
            c = ' ';
            inName = false;
          } else if (c == '\r' || c == '\n') {
            first = read();
            if (c == '\r' && first == '\n') {
              first = read();
              if (first == '\r') {
                first = read();
              }
            }
            if (first == '\n' || first == '\r' || first > ' ') {
              break;
            }
            c = ' '; // a continuation line
          }
          line.append((char) c);
          budget--;
        }
        if (c < 0) {
          first = -1;
        }
        if (budget < 0 || headers.names.size() >= MAX_REQUEST_HEADERS) {
          throw new IOException("request headers over the limits");
        }
        int end = line.length();
        while (end > 0 && line.charAt(end - 1) <= ' ') {
          end--;
        }
        int valueStart = 0;
        if (nameEnd > 0) {
          valueStart = nameEnd + 1; // after the ':'
          while (valueStart < end && line.charAt(valueStart) <= ' ') {
            valueStart++;
          }
        }
        headers.names.add(nameEnd > 0 ? line.substring(0, nameEnd) : "");
        headers.values.add(valueStart < end ? line.substring(valueStart, end) : "");
        budget -= 32;
        line.setLength(0);
      }
      return headers;
    }

    /**
     * Skips a body of {@code length} bytes, reading at most {@link #MAX_DRAINED_BODY} of them;
     * returns whether it ended before that many (else the connection is closed).
     */
    boolean skip(long length) throws IOException {
      return discard(Math.min(length, MAX_DRAINED_BODY)) && length < MAX_DRAINED_BODY;
    }

    /**
     * Skips a chunked body: chunk-size lines, data and CR LF, up to the last chunk and the CR LF
     * right after it (trailers are not accepted), reading at most {@link #MAX_DRAINED_BODY} bytes
     * of data. Returns whether it ended before that many; a malformed body closes the connection.
     */
    boolean skipChunks() throws IOException {
      long budget = MAX_DRAINED_BODY;
      while (true) {
        long size = readChunkSize();
        if (size == 0) {
          expectCrlf();
          return true;
        }
        if (size >= budget) {
          discard(budget);
          return false;
        }
        if (!discard(size)) {
          return false;
        }
        budget -= size;
        expectCrlf();
      }
    }

    /** Reads and drops {@code n} bytes; returns false if the stream ends first. */
    private boolean discard(long n) throws IOException {
      while (n > 0) {
        if (pos == limit && !fill()) {
          return false;
        }
        int k = (int) Math.min(n, limit - pos);
        pos += k;
        n -= k;
      }
      return true;
    }

    /**
     * A chunk-size line: hex digits up to CR LF, anything after a ';' ignored. A CR not followed by
     * LF is dropped and the character after it taken as a digit; at most 15 digits and 2050
     * characters.
     */
    private long readChunkSize() throws IOException {
      StringBuilder digits = new StringBuilder(16);
      boolean extension = false;
      boolean cr = false;
      for (int read = 1; read <= 2050 && digits.length() < 15; read++) {
        int c = read();
        if (c < 0) {
          throw new IOException("end of stream reading chunk header");
        }
        if (cr) {
          if (c == '\n') {
            return hex(digits);
          }
          cr = false;
          if (!extension) {
            digits.append((char) c);
          }
        } else if (c == '\r') {
          cr = true;
        } else if (c == ';') {
          extension = true;
        } else if (!extension) {
          digits.append((char) c);
        }
      }
      throw new IOException("invalid chunk header");
    }

    private static long hex(CharSequence digits) throws IOException {
      long size = 0;
      for (int i = 0; i < digits.length(); i++) {
        char c = digits.charAt(i);
        int v = c <= 'f' ? Character.digit(c, 16) : -1;
        if (v < 0) {
          throw new IOException("invalid chunk length");
        }
        size = size * 16 + v;
      }
      return size;
    }

    private void expectCrlf() throws IOException {
      if (read() != '\r' || read() != '\n') {
        throw new IOException("invalid chunk end");
      }
    }
  }
}
