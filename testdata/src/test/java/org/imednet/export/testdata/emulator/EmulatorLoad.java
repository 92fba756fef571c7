package org.imednet.export.testdata.emulator;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.imednet.export.testdata.generator.SyntheticStudyData;

/**
 * A manual measurement, not a test (surefire does not pick it up): pulls from an emulator in
 * another JVM what the exporter pulls from the benchmark's study ({@code --synthetic
 * 42,1,20,30,1000000}): the small metadata lists, every page of subjects and visits, and per form
 * the two planning requests and its keyset pages ({@code formId==F;recordId>X}, 500 records, until
 * a short page), with concurrent keep-alive requests of a JDK HttpClient. With the emulator's pid
 * it prints the CPU seconds that JVM used meanwhile, from /proc.
 *
 * <pre>
 * java -cp testdata/target-x/classes:testdata/target-x/test-classes:$(cat cp.txt) \
 *   org.imednet.export.testdata.emulator.EmulatorLoad http://127.0.0.1:PORT [clients] [pid]
 * </pre>
 *
 * <p>It also prints a digest of every response body (metadata.timestamp masked) in request order,
 * so two emulator builds can be checked to send the same bytes for the whole load.
 */
public final class EmulatorLoad {
  private static final int PAGE = 500;
  private static final int FORMS = 20;
  private static final long RECORDS_PER_FORM = 50_000;
  private static final byte[] TIMESTAMP = ascii("\"timestamp\":\"");

  /** Clock ticks per second of /proc/PID/stat (USER_HZ, 100 on Linux). */
  private static final double USER_HZ = 100;

  private final HttpClient http = HttpClient.newHttpClient();
  private final String base;
  private final Map<String, byte[]> digests = new ConcurrentSkipListMap<>();
  private final AtomicLong bytes = new AtomicLong();

  private EmulatorLoad(String base) {
    this.base = base + ImednetEmulator.API_PREFIX + "/studies";
  }

  public static void main(String[] args) throws Exception {
    EmulatorLoad load = new EmulatorLoad(args[0]);
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    String pid = args.length > 2 ? args[2] : null;
    double cpu0 = pid == null ? 0 : cpuSeconds(pid);
    long t0 = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      load.run(pool);
    } finally {
      pool.shutdown();
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    System.out.printf(
        "%d requests, %.1f MB in %.2f s; digest %s%s%n",
        load.digests.size(),
        load.bytes.get() / 1e6,
        secs,
        load.digest(),
        pid == null ? "" : String.format("; emulator CPU %.2f s", cpuSeconds(pid) - cpu0));
  }

  private void run(ExecutorService pool) throws Exception {
    List<Future<?>> pending = new ArrayList<>();
    get("?page=0&size=" + PAGE + "&sort=" + encode("studyKey,ASC"));
    for (String resource : List.of("sites", "forms", "intervals", "variables")) {
      String id = resource.substring(0, resource.length() - 1) + "Id";
      pending.add(pool.submit(() -> get(page(resource, id, 0))));
    }
    for (String resource : List.of("subjects", "visits")) {
      String id = resource.substring(0, resource.length() - 1) + "Id";
      long pages = totalPages(get(page(resource, id, 0)));
      for (int p = 1; p < pages; p++) {
        int page = p;
        pending.add(pool.submit(() -> get(page(resource, id, page))));
      }
    }
    for (int f = 0; f < FORMS; f++) {
      long formId = SyntheticStudyData.FIRST_FORM_ID + f;
      long first = SyntheticStudyData.FIRST_RECORD_ID + f * RECORDS_PER_FORM;
      pending.add(pool.submit(() -> readForm(formId, first)));
    }
    for (Future<?> f : pending) {
      f.get();
    }
  }

  private Void readForm(long formId, long firstRecordId) throws IOException, InterruptedException {
    String records = "/SYN001/records?page=0&size=";
    get(records + "1&sort=" + encode("recordId,ASC") + "&filter=" + encode("formId==" + formId));
    get(records + "1&sort=" + encode("recordId,DESC") + "&filter=" + encode("formId==" + formId));
    long after = firstRecordId - 1;
    while (true) {
      String filter = "formId==" + formId + ";recordId>" + after;
      byte[] body =
          get(records + PAGE + "&sort=" + encode("recordId,ASC") + "&filter=" + encode(filter));
      String text = new String(body, StandardCharsets.ISO_8859_1);
      int n = 0;
      for (int at = text.indexOf("\"recordId\":");
          at >= 0;
          at = text.indexOf("\"recordId\":", at + 1)) {
        n++;
      }
      if (n < PAGE) {
        return null;
      }
      after += PAGE;
    }
  }

  private static String page(String resource, String id, int page) {
    return "/SYN001/"
        + resource
        + "?page="
        + page
        + "&size="
        + PAGE
        + "&sort="
        + encode(id + ",ASC");
  }

  /** GETs {@code pathAndQuery} below /studies the way the exporter does; returns the body. */
  private byte[] get(String pathAndQuery) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + pathAndQuery))
            .timeout(Duration.ofSeconds(60))
            .header("x-api-key", ImednetEmulator.DEFAULT_API_KEY)
            .header("x-imn-security-key", ImednetEmulator.DEFAULT_SECURITY_KEY)
            .header("Accept", "application/json")
            .GET()
            .build();
    HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() != 200) {
      throw new IOException("HTTP " + response.statusCode() + " for " + pathAndQuery);
    }
    byte[] body = response.body();
    bytes.addAndGet(body.length);
    digests.put(pathAndQuery, sha256(withoutTimestamp(body)));
    return body;
  }

  /** The body with the 19 characters of metadata.timestamp replaced by X. */
  private static byte[] withoutTimestamp(byte[] body) {
    byte[] masked = body.clone();
    outer:
    for (int i = 0; i + TIMESTAMP.length + 19 <= masked.length; i++) {
      for (int j = 0; j < TIMESTAMP.length; j++) {
        if (masked[i + j] != TIMESTAMP[j]) {
          continue outer;
        }
      }
      Arrays.fill(masked, i + TIMESTAMP.length, i + TIMESTAMP.length + 19, (byte) 'X');
      return masked;
    }
    return masked;
  }

  private static long totalPages(byte[] body) {
    String text = new String(body, 0, Math.min(body.length, 1000), StandardCharsets.ISO_8859_1);
    int at = text.indexOf("\"totalPages\":") + "\"totalPages\":".length();
    int end = at;
    while (Character.isDigit(text.charAt(end))) {
      end++;
    }
    return Long.parseLong(text.substring(at, end));
  }

  private String digest() {
    MessageDigest all = sha256();
    digests.forEach(
        (request, digest) -> {
          all.update(ascii(request));
          all.update(digest);
        });
    return HexFormat.of().formatHex(all.digest(), 0, 8);
  }

  /** User plus system CPU seconds of process {@code pid}. */
  private static double cpuSeconds(String pid) throws IOException {
    String stat = Files.readString(Paths.get("/proc", pid, "stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after "pid (comm) ".
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / USER_HZ;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static byte[] sha256(byte[] bytes) {
    return sha256().digest(bytes);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
