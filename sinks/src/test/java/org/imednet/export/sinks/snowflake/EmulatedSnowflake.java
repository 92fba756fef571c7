package org.imednet.export.sinks.snowflake;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.imednet.export.api.Secret;
import org.imednet.export.testdata.snowflake.SnowflakeEmulator;
import org.imednet.export.testdata.snowflake.SnowflakeFaults;

/** A started emulator with database TESTDB, schema RAW and stage MY_STAGE, and settings for it. */
final class EmulatedSnowflake implements AutoCloseable {
  static final String USER = "loader";
  static final String PASSWORD = "Tr0ub4dor&3-s3cr3t";

  final SnowflakeEmulator emulator;
  final SnowflakeSettings settings;

  private EmulatedSnowflake(SnowflakeEmulator emulator) {
    this.emulator = emulator;
    this.settings = settingsWithStage("MY_STAGE");
  }

  /** The same settings with another stage (as the user writes it, e.g. {@code @EXT}). */
  SnowflakeSettings settingsWithStage(String stage) {
    return SnowflakeSettings.builder()
        .account(emulator.account())
        .user(USER)
        .password(Secret.of(PASSWORD))
        .database("TESTDB")
        .schema("RAW")
        .warehouse("EMU_WH")
        .stage(stage)
        .host("127.0.0.1")
        .port(emulator.port())
        .protocol("http")
        .build();
  }

  static EmulatedSnowflake start(Path root, SnowflakeFaults faults) throws Exception {
    return start(root, faults, null);
  }

  /** With external stages read from the S3 server at {@code s3Endpoint} (path-style), if given. */
  static EmulatedSnowflake start(Path root, SnowflakeFaults faults, String s3Endpoint)
      throws Exception {
    SnowflakeEmulator.Builder b =
        SnowflakeEmulator.builder().root(root).credentials(USER, PASSWORD).faults(faults);
    if (s3Endpoint != null) {
      b.s3Endpoint(java.net.URI.create(s3Endpoint)).s3PathStyle(true);
    }
    SnowflakeEmulator emu = b.build().start();
    EmulatedSnowflake s = new EmulatedSnowflake(emu);
    try (Connection c = s.settings.connect();
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE IF NOT EXISTS TESTDB");
      st.execute("CREATE SCHEMA IF NOT EXISTS TESTDB.RAW");
      st.execute("CREATE STAGE IF NOT EXISTS TESTDB.RAW.MY_STAGE");
    }
    return s;
  }

  /** Rows of a DuckDB query on the emulator's storage, each as its values' text joined by |. */
  List<String> rows(String sql) {
    List<String> out = new ArrayList<>();
    for (List<Object> row : emulator.query(sql)) {
      out.add(row.stream().map(String::valueOf).collect(Collectors.joining("|")));
    }
    return out;
  }

  @Override
  public void close() {
    emulator.close();
  }
}
