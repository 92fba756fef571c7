package org.imednet.export.sinks.ledger;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.annotation.Nullable;

/**
 * Who holds a target's run lock: run id, process id, host and start, as {@code key=value} lines
 * (the lock file's content, or a lock table's row). Shared by every target's lock so a second run
 * is refused with the same line everywhere, and a lock left by a dead process of this host (killed
 * with {@code kill -9}) is recognised as stale.
 */
public record LockHolder(String runId, String pid, String host, String started) {

  /** This process, for {@code runId}. */
  public static LockHolder current(String runId) {
    return new LockHolder(
        runId, Long.toString(ProcessHandle.current().pid()), thisHost(), Instant.now().toString());
  }

  /** Parses {@link #toLines()}; missing fields are {@code ?}. */
  public static LockHolder parse(List<String> lines) {
    Map<String, String> v = new LinkedHashMap<>();
    for (String l : lines) {
      int eq = l.indexOf('=');
      if (eq > 0) {
        v.put(l.substring(0, eq), l.substring(eq + 1));
      }
    }
    return new LockHolder(
        v.getOrDefault("run_id", "?"),
        v.getOrDefault("pid", "?"),
        v.getOrDefault("host", "?"),
        v.getOrDefault("started", "?"));
  }

  public String toLines() {
    return "run_id=" + runId + "\npid=" + pid + "\nhost=" + host + "\nstarted=" + started + "\n";
  }

  /**
   * Whether the holder is a process of this host that no longer exists. A holder on another host is
   * never stale: its process cannot be checked from here.
   */
  public boolean isStale() {
    return isStale(null);
  }

  /**
   * As {@link #isStale()}, and also any holder whose start lies more than {@code staleAfter} in the
   * past (for schedulers whose runs change hosts, such as Kubernetes pods: set it above the longest
   * run). Null: no age limit.
   */
  public boolean isStale(@Nullable java.time.Duration staleAfter) {
    if (staleAfter != null) {
      try {
        if (Instant.parse(started).plus(staleAfter).isBefore(Instant.now())) {
          return true;
        }
      } catch (java.time.format.DateTimeParseException e) {
        // an unreadable start: judged by host and process only
      }
    }
    if (!host.equals(thisHost())) {
      return false;
    }
    try {
      return ProcessHandle.of(Long.parseLong(pid)).map(p -> !p.isAlive()).orElse(true);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /**
   * The refusal a second run prints, naming the holder and how to clear a lock known to be dead.
   */
  public String refusal(String target, String howToClear) {
    return "another run holds "
        + target
        + " ("
        + runId
        + ", pid "
        + pid
        + " on "
        + host
        + " since "
        + started
        + "); this run changed nothing. If that run is gone, "
        + howToClear;
  }

  private static String thisHost() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }
}
