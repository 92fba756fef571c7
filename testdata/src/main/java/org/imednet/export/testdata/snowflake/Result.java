package org.imednet.export.testdata.snowflake;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** A statement's answer before it is written as JSON: typed columns and string-encoded rows. */
final class Result {

  /**
   * A result column in Snowflake's terms ({@code fixed}, {@code text}, {@code timestamp_ntz}...).
   */
  static final class Column {
    final String name;
    final String type;
    final int precision;
    final int scale;

    Column(String name, String type, int precision, int scale) {
      this.name = name;
      this.type = type;
      this.precision = precision;
      this.scale = scale;
    }

    static Column text(String name) {
      return new Column(name, "text", 0, 0);
    }

    static Column fixed(String name) {
      return new Column(name, "fixed", 38, 0);
    }
  }

  final int statementTypeId;
  final List<Column> columns = new ArrayList<>();
  final List<List<String>> rows = new ArrayList<>();
  int numberOfBinds;
  boolean arrayBindSupported;

  /** Set for PUT: the transfer instructions replace the result set. */
  ObjectNode transfer;

  Result(int statementTypeId) {
    this.statementTypeId = statementTypeId;
  }

  static Result status(int statementTypeId, String message) {
    Result r = new Result(statementTypeId);
    r.columns.add(Column.text("status"));
    r.rows.add(List.of(message));
    return r;
  }

  static Result counts(int statementTypeId, List<String> names, long... counts) {
    Result r = new Result(statementTypeId);
    List<String> row = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      r.columns.add(Column.fixed(names.get(i)));
      row.add(Long.toString(counts[i]));
    }
    r.rows.add(row);
    return r;
  }

  /** Statement type ids from the driver's {@code SFStatementType}. */
  static final int SELECT = 4096;

  static final int INSERT = 12544;
  static final int UPDATE = 12800;
  static final int DELETE = 13056;
  static final int MERGE = 13312;
  static final int COPY = 13824;
  static final int ALTER_SESSION = 16640;
  static final int USE = 17152;
  static final int SHOW = 17408;
  static final int DESCRIBE = 17664;
  static final int LIST = 18177;
  static final int TCL = 20480;
  static final int DDL = 24576;
  static final int PUT = 28930;
  static final int REMOVE = 28931;
}
