package org.imednet.export.api;

import java.io.Serializable;
import java.util.Objects;

/**
 * A credential (API key, security key, password). Its {@link #toString()} never reveals the value,
 * so a secret that ends up in a log line, an exception message or Beam display data shows only
 * {@code ****}. Read the value with {@link #reveal()} at the one place it is sent.
 */
public final class Secret implements Serializable {
  private static final long serialVersionUID = 1L;
  private final String value;

  private Secret(String value) {
    this.value = Objects.requireNonNull(value, "value");
  }

  public static Secret of(String value) {
    return new Secret(value);
  }

  public String reveal() {
    return value;
  }

  public boolean isEmpty() {
    return value.isEmpty();
  }

  @Override
  public String toString() {
    return "****";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Secret && ((Secret) o).value.equals(value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }
}
