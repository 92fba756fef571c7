package org.imednet.export.testdata.snowflake;

/** A statement failure as Snowflake reports it: a vendor code, an SQLSTATE and a message. */
final class SnowflakeError extends Exception {
  private static final long serialVersionUID = 1L;

  static final String NOT_FOUND = "002003";
  static final String COMPILATION = "001003";
  static final String INVALID_IDENTIFIER = "000904";
  static final String ALREADY_EXISTS = "002002";
  static final String CONVERSION = "100038";
  static final String UNSUPPORTED = "002040";

  private final String code;
  private final String sqlState;

  SnowflakeError(String code, String sqlState, String message) {
    super(message);
    this.code = code;
    this.sqlState = sqlState;
  }

  static SnowflakeError notFound(String kind, String name) {
    return new SnowflakeError(
        NOT_FOUND,
        "42S02",
        "SQL compilation error:\n" + kind + " '" + name + "' does not exist or not authorized.");
  }

  static SnowflakeError unsupported(String what) {
    return new SnowflakeError(
        UNSUPPORTED, "0A000", "Unsupported feature in the Snowflake emulator: " + what);
  }

  static SnowflakeError syntax(String detail) {
    return new SnowflakeError(COMPILATION, "42000", "SQL compilation error:\n" + detail);
  }

  /** Maps a DuckDB failure to the Snowflake code a client would see for the same mistake. */
  static SnowflakeError fromDuckDb(java.sql.SQLException e) {
    String msg = String.valueOf(e.getMessage());
    String marker = "closed pending query result";
    int cut = msg.indexOf(marker);
    if (cut >= 0) {
      msg = msg.substring(cut + marker.length()).replaceFirst("^[\\s:]*(Error:\\s*)?", "");
    }
    msg = msg.trim();
    if (msg.startsWith("Catalog Error") && msg.contains("does not exist")) {
      return new SnowflakeError(NOT_FOUND, "42S02", "SQL compilation error:\n" + msg);
    }
    if (msg.startsWith("Catalog Error") && msg.contains("already exists")) {
      return new SnowflakeError(ALREADY_EXISTS, "42710", "SQL compilation error:\n" + msg);
    }
    if (msg.startsWith("Binder Error") || msg.startsWith("Catalog Error")) {
      return new SnowflakeError(INVALID_IDENTIFIER, "42000", "SQL compilation error:\n" + msg);
    }
    if (msg.startsWith("Parser Error")) {
      return syntax(msg);
    }
    if (msg.startsWith("Conversion Error") || msg.contains("Could not convert")) {
      return new SnowflakeError(CONVERSION, "22018", msg);
    }
    if (msg.startsWith("Constraint Error")) {
      return new SnowflakeError("100072", "22000", msg);
    }
    if (msg.startsWith("TransactionContext Error")) {
      return new SnowflakeError("000625", "57014", msg);
    }
    return new SnowflakeError("100000", "22000", msg);
  }

  String code() {
    return code;
  }

  String sqlState() {
    return sqlState;
  }
}
