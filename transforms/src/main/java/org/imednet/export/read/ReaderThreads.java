package org.imednet.export.read;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.beam.sdk.metrics.MetricsContainer;
import org.apache.beam.sdk.metrics.MetricsEnvironment;

/**
 * The helper threads the readers use to keep several API requests in flight. Beam metrics live in a
 * thread-local container, so work on such a thread must run inside the calling step's container
 * (its cells are thread-safe), or the client's retry counts would be lost.
 */
final class ReaderThreads {
  private ReaderThreads() {}

  /** A fixed pool of daemon threads, so a stuck request never keeps the worker JVM alive. */
  static ExecutorService daemonPool(int threads, String name) {
    return Executors.newFixedThreadPool(
        Math.max(1, threads),
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }

  /** {@code task} wrapped to report its metrics into {@code metrics}. */
  static <T> Callable<T> inMetricsScope(MetricsContainer metrics, Callable<T> task) {
    return () -> {
      try (Closeable scope = MetricsEnvironment.scopedMetricsContainer(metrics)) {
        return task.call();
      }
    };
  }

  /** {@code task} wrapped to report its metrics into {@code metrics}. */
  static Runnable inMetricsScope(MetricsContainer metrics, Runnable task) {
    return () -> {
      try (Closeable scope = MetricsEnvironment.scopedMetricsContainer(metrics)) {
        task.run();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
  }
}
