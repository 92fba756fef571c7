package org.imednet.export.testdata.emulator;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.imednet.export.testdata.generator.SyntheticStudyData;
import org.imednet.export.testdata.generator.SyntheticStudySpec;

/**
 * A manual measurement, not a test (surefire does not pick it up): serves a synthetic study from an
 * in-process emulator and pulls every record of every form through keyset pages ({@code
 * formId==F;recordId>X}, {@code sort=recordId,ASC}) with concurrent JDK HttpClients, checking that
 * every form arrives complete and in order.
 *
 * <pre>
 * java -cp testdata/target-x/classes:testdata/target-x/test-classes:$(cat cp.txt) \
 *   org.imednet.export.testdata.emulator.EmulatorThroughput [records] [clients] [pageSize] [forms] [vars]
 * </pre>
 *
 * <p>Prints records/s, MB/s, the process CPU time and the clients' own CPU time (the difference is
 * the emulator's), and /proc/loadavg before and after: the machine is shared, so a figure without
 * its load is meaningless.
 */
public final class EmulatorThroughput {
  private static final byte[] RECORD_ID = "\"recordId\":".getBytes(StandardCharsets.US_ASCII);

  private EmulatorThroughput() {}

  public static void main(String[] args) throws Exception {
    long records = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int pageSize = args.length > 2 ? Integer.parseInt(args[2]) : 500;
    int forms = args.length > 3 ? Integer.parseInt(args[3]) : 20;
    int vars = args.length > 4 ? Integer.parseInt(args[4]) : 30;
    int rounds = args.length > 5 ? Integer.parseInt(args[5]) : 2;
    SyntheticStudyData data =
        new SyntheticStudyData(
            SyntheticStudySpec.create()
                .withFormsPerStudy(forms)
                .withVariablesPerForm(vars)
                .withRecordsPerStudy(records));
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    // -Durl=http://127.0.0.1:PORT pulls from an emulator in another JVM (its main, same spec).
    String url = System.getProperty("url");
    try (ImednetEmulator emu =
        url == null ? ImednetEmulator.builder().data(data).build().start() : null) {
      String base = url == null ? emu.baseUrl() : url;
      HttpClient http = HttpClient.newHttpClient();
      for (int round = 1; round <= rounds; round++) {
        String loadBefore = loadavg();
        ConcurrentLinkedQueue<Integer> todo = new ConcurrentLinkedQueue<>();
        for (int f = 0; f < forms; f++) {
          todo.add(f);
        }
        AtomicLong fetched = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        AtomicLong requests = new AtomicLong();
        AtomicLong clientCpu = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        long cpu0 = os.getProcessCpuTime();
        long server0 = serverCpu(threads);
        long t0 = System.nanoTime();
        for (int c = 0; c < clients; c++) {
          Thread t =
              new Thread(
                  () -> {
                    try {
                      Integer f;
                      while ((f = todo.poll()) != null) {
                        pullForm(http, base, data, f, pageSize, fetched, bytes, requests);
                      }
                    } catch (Exception | AssertionError e) {
                      synchronized (failures) {
                        failures.add(e);
                      }
                    } finally {
                      clientCpu.addAndGet(threads.getCurrentThreadCpuTime());
                    }
                  },
                  "bench-client-" + c);
          workers.add(t);
          t.start();
        }
        for (Thread t : workers) {
          t.join();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
        double server = (serverCpu(threads) - server0) / 1e9;
        if (!failures.isEmpty()) {
          failures.get(0).printStackTrace();
          System.exit(1);
        }
        if (fetched.get() != records) {
          throw new AssertionError("fetched " + fetched + " of " + records);
        }
        System.out.printf(
            "round %d: %,d records in %,d requests of %d, %d clients, %.2f s: %,.0f records/s,"
                + " %.1f MB/s; process CPU %.2f s (emulator threads %.2f s = %.1f us/record,"
                + " client threads %.2f s, rest: HttpClient internals, GC, JIT %.2f s);"
                + " loadavg before [%s] after [%s]%n",
            round,
            fetched.get(),
            requests.get(),
            pageSize,
            clients,
            secs,
            fetched.get() / secs,
            bytes.get() / secs / 1e6,
            cpu,
            server,
            server * 1e6 / records,
            clientCpu.get() / 1e9,
            cpu - server - clientCpu.get() / 1e9,
            loadBefore,
            loadavg());
      }
    }
  }

  /**
   * CPU time of the emulator's threads (its connections' and the acceptor's; the clients keep their
   * connections, so no thread ends during a round).
   */
  private static long serverCpu(ThreadMXBean threads) {
    long sum = 0;
    for (java.lang.management.ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (t != null && t.getThreadName().startsWith("imednet-emulator-")) {
        sum += Math.max(0, threads.getThreadCpuTime(t.getThreadId()));
      }
    }
    return sum;
  }

  private static void pullForm(
      HttpClient http,
      String base,
      SyntheticStudyData data,
      int form,
      int pageSize,
      AtomicLong fetched,
      AtomicLong bytes,
      AtomicLong requests)
      throws IOException, InterruptedException {
    long formId = SyntheticStudyData.FIRST_FORM_ID + form;
    long expected = SyntheticStudyData.FIRST_RECORD_ID + data.firstRecordOfForm(form);
    long end = expected + data.recordsOfForm(form);
    long after = 0;
    while (true) {
      String uri =
          base
              + ImednetEmulator.API_PREFIX
              + "/studies/SYN001/records?size="
              + pageSize
              + "&sort=recordId,ASC&filter="
              + URLEncoder.encode(
                  "formId==" + formId + ";recordId>" + after, StandardCharsets.UTF_8);
      HttpRequest req =
          HttpRequest.newBuilder(URI.create(uri))
              .header("x-api-key", ImednetEmulator.DEFAULT_API_KEY)
              .header("x-imn-security-key", ImednetEmulator.DEFAULT_SECURITY_KEY)
              .GET()
              .build();
      HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
      requests.incrementAndGet();
      if (r.statusCode() != 200) {
        throw new AssertionError("status " + r.statusCode() + " for " + uri);
      }
      byte[] body = r.body();
      bytes.addAndGet(body.length);
      int n = 0;
      // Every record carries exactly one "recordId": (recordData keys are V###_TYPE).
      for (int i = indexOf(body, 0); i >= 0; i = indexOf(body, i + RECORD_ID.length)) {
        long id = parseLong(body, i + RECORD_ID.length);
        if (id != expected) {
          throw new AssertionError("form " + formId + ": expected " + expected + ", got " + id);
        }
        expected++;
        n++;
      }
      fetched.addAndGet(n);
      if (n < pageSize) {
        break;
      }
      after = expected - 1;
    }
    if (expected != end) {
      throw new AssertionError("form " + formId + " ended at " + expected + ", not " + end);
    }
  }

  /** The next {@code "recordId":} at or after {@code from}, or -1; anchored on its rare 'I'. */
  private static int indexOf(byte[] b, int from) {
    int anchor = 7; // RECORD_ID[7] == 'I'
    outer:
    for (int i = from + anchor; i < b.length - RECORD_ID.length + anchor + 1; i++) {
      if (b[i] != 'I') {
        continue;
      }
      int start = i - anchor;
      for (int j = 0; j < RECORD_ID.length; j++) {
        if (b[start + j] != RECORD_ID[j]) {
          continue outer;
        }
      }
      return start;
    }
    return -1;
  }

  private static long parseLong(byte[] b, int at) {
    long v = 0;
    while (at < b.length && b[at] >= '0' && b[at] <= '9') {
      v = v * 10 + (b[at++] - '0');
    }
    return v;
  }

  private static String loadavg() {
    try {
      return Files.readString(Paths.get("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "n/a";
    }
  }
}
