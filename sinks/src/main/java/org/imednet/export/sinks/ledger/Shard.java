package org.imednet.export.sinks.ledger;

import java.time.LocalDateTime;
import java.util.Objects;

/**
 * One unit of a backfill: the records of one study whose {@code dateModified} lies in {@code [from,
 * until)} (UTC). A target's ledger records each shard once it is committed.
 */
public record Shard(String studyKey, LocalDateTime from, LocalDateTime until) {
  public Shard {
    Objects.requireNonNull(studyKey, "studyKey");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(until, "until");
    if (!from.isBefore(until)) {
      throw new IllegalArgumentException("a shard's window is empty: " + from + ".." + until);
    }
  }
}
