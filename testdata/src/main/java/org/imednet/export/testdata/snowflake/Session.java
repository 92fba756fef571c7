package org.imednet.export.testdata.snowflake;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;

/** One driver session: its DuckDB connection, current database/schema and transaction state. */
final class Session {
  final long id;
  final String token;
  final String masterToken;
  final String user;
  final Connection duck;
  String database;
  String schema;
  String warehouse;
  String role = "SYSADMIN";
  boolean autocommit = true;
  boolean inTransaction;

  /** Load-history entries of COPYs in the open transaction, recorded when it commits. */
  final List<Runnable> onCommit = new ArrayList<>();

  Session(long id, String token, String masterToken, String user, Connection duck) {
    this.id = id;
    this.token = token;
    this.masterToken = masterToken;
    this.user = user;
    this.duck = duck;
  }
}
