package org.imednet.export.testdata.emulator;

import java.time.Instant;
import java.time.format.DateTimeFormatter;

/**
 * A formatter's text of an instant whose format shows whole seconds at most (a {@code Date} header,
 * {@code metadata.timestamp}), formatted once per second instead of once per response.
 */
final class PerSecondText {
  private final DateTimeFormatter formatter;
  private volatile Formatted last = new Formatted(Long.MIN_VALUE, "");

  /** {@code formatter} must have a zone and no field finer than seconds. */
  PerSecondText(DateTimeFormatter formatter) {
    this.formatter = formatter;
  }

  String format(long epochSecond) {
    Formatted f = last;
    if (f.epochSecond != epochSecond) {
      f = new Formatted(epochSecond, formatter.format(Instant.ofEpochSecond(epochSecond)));
      last = f;
    }
    return f.text;
  }

  private static final class Formatted {
    final long epochSecond;
    final String text;

    Formatted(long epochSecond, String text) {
      this.epochSecond = epochSecond;
      this.text = text;
    }
  }
}
