package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.imednet.export.pipeline.TargetLock;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.Fault;
import org.imednet.export.testdata.emulator.FaultPlan;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.imednet.export.testdata.emulator.Resource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An incremental export killed with SIGKILL while it reads the next day's records (a child JVM,
 * held by the emulator inside a records request) leaves the DuckDB file and its ledger as they were
 * and its lock behind; the same command then takes the dead run's lock over, repeats the window,
 * and the file equals a plain export of the next day.
 */
class IncrementalKillTest {
  private static final String API_KEY = "kill-test-api-key-6b02";
  private static final String SECURITY_KEY = "kill-test-security-key-e9d1";
  private static final String STUDY = "CARDIO01";

  @TempDir Path tmp;

  @Test
  void aKilledIncrementalRunIsRepeatedExactly() throws Exception {
    FolderStudyData data = FolderStudyData.load(SampleStudies.root());
    AtomicBoolean armed = new AtomicBoolean();
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicReference<CountDownLatch> reached =
        new java.util.concurrent.atomic.AtomicReference<>(inside);
    java.util.concurrent.atomic.AtomicReference<CountDownLatch> hold =
        new java.util.concurrent.atomic.AtomicReference<>(release);
    FaultPlan holdWhenArmed =
        FaultPlan.builder()
            .onResource("records")
            .times(Long.MAX_VALUE)
            .fault(
                Fault.run(
                    () -> {
                      if (armed.get()) {
                        reached.get().countDown();
                        try {
                          hold.get().await(2, TimeUnit.MINUTES);
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                      }
                    }))
            .build();
    try (ImednetEmulator emulator =
        ImednetEmulator.builder()
            .data(data)
            .credentials(API_KEY, SECURITY_KEY)
            .port(0)
            .faults(holdWhenArmed)
            .build()
            .start()) {
      Path env = CliFixture.envFile(tmp, emulator.baseUrl(), API_KEY, SECURITY_KEY);
      Path db = tmp.resolve("inc.duckdb");
      String[] incremental = {
        "export",
        "duckdb",
        STUDY,
        "-",
        db.toString(),
        "--by-form",
        "--incremental",
        "--env-file",
        env.toString(),
        "--progress",
        "none",
        "--runner",
        "direct"
      };
      assertEquals(0, CliFixture.run(incremental).exitCode);
      List<List<Object>> ledgerBefore = ledger(db);
      String digestBefore =
          CliFixture.treeDigest(tmp.resolve("inc.duckdb").getParent()).get("inc.duckdb");

      FolderStudyData next = FolderStudyData.load(SampleStudies.nextDayRoot());
      for (Resource r : Resource.values()) {
        data.setItems(STUDY, r, next.list(STUDY, r));
      }
      armed.set(true);
      Process child =
          new ProcessBuilder(withJava(ImednetCli.class.getName(), incremental))
              .redirectErrorStream(true)
              .redirectOutput(tmp.resolve("child.log").toFile())
              .start();
      try {
        assertTrue(inside.await(2, TimeUnit.MINUTES), "the child reached a records request");
        assertTrue(Files.exists(TargetLock.lockFileOf(db)), "the child holds the lock");
        child.destroyForcibly();
        assertEquals(137, child.waitFor(), "killed by SIGKILL");
      } finally {
        armed.set(false);
        release.countDown();
        child.destroyForcibly();
      }

      // Nothing of the killed run is in the file; its lock (SIGKILL runs no shutdown hook) is left.
      assertEquals(ledgerBefore, ledger(db));
      assertEquals(digestBefore, CliFixture.treeDigest(db.getParent()).get("inc.duckdb"));
      assertTrue(Files.exists(TargetLock.lockFileOf(db)), "a SIGKILL leaves the lock");

      // SIGTERM (a scheduler's timeout, a pod stopped) runs the shutdown hook: the lock goes with
      // the process and the file is unchanged.
      Files.delete(TargetLock.lockFileOf(db));
      CountDownLatch insideAgain = new CountDownLatch(1);
      reached.set(insideAgain);
      CountDownLatch releaseAgain = new CountDownLatch(1);
      hold.set(releaseAgain);
      armed.set(true);
      Process terminated =
          new ProcessBuilder(withJava(ImednetCli.class.getName(), incremental))
              .redirectErrorStream(true)
              .redirectOutput(tmp.resolve("child-term.log").toFile())
              .start();
      try {
        assertTrue(insideAgain.await(2, TimeUnit.MINUTES), "the child reached a records request");
        assertTrue(Files.exists(TargetLock.lockFileOf(db)), "the child holds the lock");
        terminated.destroy();
        assertEquals(143, terminated.waitFor(), "ended by SIGTERM");
      } finally {
        armed.set(false);
        releaseAgain.countDown();
        terminated.destroyForcibly();
      }
      assertTrue(!Files.exists(TargetLock.lockFileOf(db)), "SIGTERM released the lock");
      assertEquals(ledgerBefore, ledger(db));

      CliFixture.Run again = CliFixture.run(incremental);
      assertEquals(0, again.exitCode, again.toString());
      assertTrue(
          again.out.contains("CARDIO01: records modified since 2025-08-05 15:04:00 UTC"),
          again.out);
      Path full = tmp.resolve("full.duckdb");
      CliFixture.Run reference =
          CliFixture.run(
              "export",
              "duckdb",
              STUDY,
              "-",
              full.toString(),
              "--by-form",
              "--env-file",
              env.toString(),
              "--progress",
              "none",
              "--runner",
              "direct");
      assertEquals(0, reference.exitCode, reference.toString());
      CliFixture.assertSameTables(full, db, 192L);
    }
  }

  private static List<List<Object>> ledger(Path db) throws Exception {
    return CliFixture.query(
        db, "SELECT run_id, mode, rows_written FROM imednet_export_ledger ORDER BY committed_at");
  }

  private static List<String> withJava(String mainClass, String... args) {
    List<String> cmd =
        new java.util.ArrayList<>(
            List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                mainClass));
    cmd.addAll(List.of(args));
    return cmd;
  }
}
