package org.imednet.export.api;

import java.io.Serializable;

/**
 * Creates the client a DoFn uses, in {@code @Setup}. Serializable so it travels with the transform;
 * the default is {@link HttpImednetClient#create(ApiConfig)}, tests pass a client with a recording
 * {@link Sleeper}.
 */
@FunctionalInterface
public interface ImednetApiFactory extends Serializable {
  ImednetApiFactory HTTP = HttpImednetClient::create;

  ImednetApi create(ApiConfig config);
}
