package org.imednet.export.testdata.snowflake;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.duckdb.DuckDBConnection;

/**
 * The DuckDB side of the emulator: one in-memory DuckDB instance with one attached file per
 * Snowflake database, a connection per session, Snowflake statements mapped onto DuckDB, per
 * database write locks and the COPY load history.
 */
final class Backend implements AutoCloseable {
  private static final long LOCK_TIMEOUT_MILLIS = 120_000;
  private static final Set<String> SELECT_WORDS =
      Set.of("SELECT", "WITH", "VALUES", "EXPLAIN", "FROM", "TABLE", "SUMMARIZE");

  /** Function shims for Snowflake functions DuckDB lacks; TEMP so they survive USE. */
  private static final List<String> MACROS =
      List.of(
          "CREATE OR REPLACE TEMP MACRO IFF(c, a, b) AS CASE WHEN c THEN a ELSE b END",
          "CREATE OR REPLACE TEMP MACRO NVL(a, b) AS COALESCE(a, b)",
          "CREATE OR REPLACE TEMP MACRO NVL2(a, b, c) AS CASE WHEN a IS NOT NULL THEN b ELSE c END",
          "CREATE OR REPLACE TEMP MACRO ZEROIFNULL(a) AS COALESCE(a, 0)",
          "CREATE OR REPLACE TEMP MACRO TO_VARCHAR(a) AS CAST(a AS VARCHAR)",
          "CREATE OR REPLACE TEMP MACRO PARSE_JSON(a) AS CAST(a AS JSON)",
          "CREATE OR REPLACE TEMP MACRO SYSDATE() AS CAST(now() AS TIMESTAMP)");

  private final Path databaseDir;
  private final DuckDBConnection main;
  final Stages stages;
  private final Map<String, Path> databases = new ConcurrentHashMap<>();
  private final Map<String, Map<String, String>> loadHistory = new ConcurrentHashMap<>();
  private final Map<String, Session> lockOwners = new HashMap<>();
  private final CopyInto copy;

  private final ObjectStore objectStore;

  Backend(Path root, ObjectStore objectStore) throws SQLException {
    this.databaseDir = root.resolve("databases");
    this.objectStore = objectStore;
    this.stages = new Stages(root, objectStore);
    this.copy = new CopyInto(this);
    try {
      Files.createDirectories(databaseDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.main = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:");
    try (Statement st = main.createStatement()) {
      // The sessions' TIMEZONE is UTC: time-zone-aware Parquet timestamps load as UTC wall clock.
      st.execute("SET GLOBAL TimeZone = 'UTC'");
    }
    try (Stream<Path> files = Files.list(databaseDir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        String fileName = file.getFileName().toString();
        if (fileName.endsWith(".duckdb")) {
          String name =
              URLDecoder.decode(
                  fileName.substring(0, fileName.length() - ".duckdb".length()),
                  StandardCharsets.UTF_8);
          attach(name, file);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void attach(String name, Path file) throws SQLException {
    try (Statement st = main.createStatement()) {
      st.execute("ATTACH " + SqlText.literal(file.toString()) + " AS " + SqlText.quote(name));
    }
    databases.put(name, file);
  }

  Session openSession(long id, String token, String masterToken, String user) throws SQLException {
    Connection duck = main.duplicate();
    try (Statement st = duck.createStatement()) {
      for (String macro : MACROS) {
        st.execute(macro);
      }
    }
    return new Session(id, token, masterToken, user, duck);
  }

  /** Sets the session's database and schema, keeping only the parts that exist. */
  void useInitial(Session s, String database, String schema) throws SQLException {
    if (database != null && databases.containsKey(database)) {
      s.database = database;
      s.schema = schema != null && schemaExists(database, schema) ? schema : null;
      if (schema == null && schemaExists(database, "PUBLIC")) {
        s.schema = "PUBLIC";
      }
    }
    syncDuckDb(s);
  }

  void closeSession(Session s) {
    try {
      if (s.inTransaction) {
        rollback(s);
      }
    } catch (SQLException e) {
      // The connection is closed next either way; the rollback only releases DuckDB state.
    }
    releaseAll(s);
    try {
      s.duck.close();
    } catch (SQLException e) {
      // Nothing left to release.
    }
  }

  boolean databaseExists(String name) {
    return databases.containsKey(name);
  }

  boolean schemaExists(String db, String schema) throws SQLException {
    try (PreparedStatement ps =
        main.prepareStatement(
            "SELECT 1 FROM duckdb_schemas() WHERE database_name = ? AND schema_name = ?")) {
      ps.setString(1, db);
      ps.setString(2, schema);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Table columns in order, or an empty list when the table does not exist. */
  List<String> tableColumns(String db, String schema, String table) throws SQLException {
    List<String> cols = new ArrayList<>();
    try (PreparedStatement ps =
        main.prepareStatement(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = ?"
                + " AND table_name = ? ORDER BY column_index")) {
      ps.setString(1, db);
      ps.setString(2, schema);
      ps.setString(3, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          cols.add(rs.getString(1));
        }
      }
    }
    return cols;
  }

  /** The load history of one table: stage file → checksum of the version loaded. */
  Map<String, String> history(String qualifiedTable) {
    return loadHistory.computeIfAbsent(qualifiedTable, k -> new ConcurrentHashMap<>());
  }

  private void forgetHistory(String db, String schema, String table) {
    if (table == null) {
      String prefix = schema == null ? db + "." : db + "." + schema + ".";
      loadHistory.keySet().removeIf(k -> k.startsWith(prefix));
    } else {
      loadHistory.remove(db + "." + schema + "." + table);
    }
  }

  List<List<Object>> query(String sql) throws SQLException {
    try (Connection c = main.duplicate();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      List<List<Object>> rows = new ArrayList<>();
      while (rs.next()) {
        List<Object> row = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
          row.add(DuckDbValues.plain(rs, i));
        }
        rows.add(java.util.Collections.unmodifiableList(row));
      }
      return rows;
    }
  }

  // ---------------------------------------------------------------- statements

  Result execute(
      Session s,
      String sql,
      JsonNode bindings,
      boolean describeOnly,
      SnowflakeError injected,
      String queryId)
      throws SnowflakeError {
    SqlText text = SqlText.parse(sql);
    String first = text.firstWord();
    if (injected != null && !first.equals("COPY")) {
      throw injected;
    }
    try {
      if (describeOnly && !isPassthrough(text)) {
        Result r = new Result(typeOf(text));
        r.numberOfBinds = text.bindCount();
        return r;
      }
      switch (first) {
        case "USE":
          return use(s, text);
        case "BEGIN":
        case "START":
          if (!s.inTransaction) {
            begin(s);
          }
          return Result.status(Result.TCL, "Statement executed successfully.");
        case "COMMIT":
          commit(s);
          return Result.status(Result.TCL, "Statement executed successfully.");
        case "ROLLBACK":
          rollback(s);
          return Result.status(Result.TCL, "Statement executed successfully.");
        case "PUT":
          return stages.put(sql, s, queryId);
        case "LIST":
        case "LS":
          return stages.list(sql, s);
        case "REMOVE":
        case "RM":
          return stages.remove(sql, s);
        case "COPY":
          return copy.run(s, text, injected);
        case "GRANT":
        case "REVOKE":
          return Result.status(Result.DDL, "Statement executed successfully.");
        case "ALTER":
          return alter(s, text, bindings);
        case "CREATE":
          return create(s, text, bindings);
        case "DROP":
          return drop(s, text, bindings);
        case "TRUNCATE":
          return truncate(s, text);
        case "SHOW":
        case "DESCRIBE":
        case "DESC":
        case "GET":
          throw SnowflakeError.unsupported(first);
        default:
          return passthrough(s, text, bindings, describeOnly, typeOf(text));
      }
    } catch (SQLException e) {
      throw SnowflakeError.fromDuckDb(e);
    }
  }

  private static boolean isPassthrough(SqlText text) {
    String first = text.firstWord();
    return SELECT_WORDS.contains(first)
        || first.equals("INSERT")
        || first.equals("UPDATE")
        || first.equals("DELETE")
        || first.equals("MERGE")
        || text.tokens().get(0).isSymbol("(");
  }

  static int typeOf(SqlText text) {
    String first = text.firstWord();
    switch (first) {
      case "INSERT":
        return Result.INSERT;
      case "UPDATE":
        return Result.UPDATE;
      case "DELETE":
        return Result.DELETE;
      case "MERGE":
        return Result.MERGE;
      case "COPY":
        return Result.COPY;
      case "USE":
        return Result.USE;
      case "SHOW":
        return Result.SHOW;
      case "DESCRIBE":
      case "DESC":
        return Result.DESCRIBE;
      case "LIST":
      case "LS":
        return Result.LIST;
      case "PUT":
        return Result.PUT;
      case "REMOVE":
      case "RM":
        return Result.REMOVE;
      case "BEGIN":
      case "START":
      case "COMMIT":
      case "ROLLBACK":
        return Result.TCL;
      case "ALTER":
        return text.word(1).equals("SESSION") ? Result.ALTER_SESSION : Result.DDL;
      default:
        return SELECT_WORDS.contains(first) || text.tokens().get(0).isSymbol("(")
            ? Result.SELECT
            : Result.DDL;
    }
  }

  private Result passthrough(
      Session s, SqlText text, JsonNode bindings, boolean describeOnly, int typeId)
      throws SQLException, SnowflakeError {
    boolean dml =
        typeId == Result.INSERT
            || typeId == Result.UPDATE
            || typeId == Result.DELETE
            || typeId == Result.MERGE;
    String duckSql = text.toDuckDb(s.database);
    boolean merge = typeId == Result.MERGE;
    if (merge && !text.containsWord("RETURNING")) {
      duckSql = duckSql.replaceFirst("[\\s;]*$", "") + " RETURNING merge_action";
    }
    List<String> countNames = dml ? countColumns(text, typeId) : List.of();
    if (describeOnly) {
      Result r;
      if (dml) {
        r = Result.counts(typeId, countNames, new long[countNames.size()]);
        r.rows.clear();
      } else {
        r = new Result(typeId);
        try (PreparedStatement ps = s.duck.prepareStatement(duckSql)) {
          ResultSetMetaData md = ps.getMetaData();
          boolean upper = text.containsWord("INFORMATION_SCHEMA");
          for (int i = 1; md != null && i <= md.getColumnCount(); i++) {
            r.columns.add(DuckDbValues.column(md, i, upper));
          }
        }
      }
      r.numberOfBinds = text.bindCount();
      r.arrayBindSupported = dml;
      return r;
    }
    if (!dml && typeId != Result.SELECT) {
      return ddl(s, text, duckSql, bindings);
    }
    if (!dml) {
      try (PreparedStatement ps = s.duck.prepareStatement(duckSql)) {
        bindRow(ps, bindings, -1);
        try (ResultSet rs = ps.executeQuery()) {
          Result r = new Result(typeId);
          ResultSetMetaData md = rs.getMetaData();
          boolean upper = text.containsWord("INFORMATION_SCHEMA");
          for (int i = 1; i <= md.getColumnCount(); i++) {
            r.columns.add(DuckDbValues.column(md, i, upper));
          }
          DuckDbValues.readRows(rs, r);
          r.numberOfBinds = text.bindCount();
          return r;
        }
      }
    }
    int rows = arrayRows(bindings);
    String finalSql = duckSql;
    long[] counts = new long[countNames.size()];
    write(
        s,
        targetDatabase(text, s),
        rows > 0,
        () -> {
          try (PreparedStatement ps = s.duck.prepareStatement(finalSql)) {
            for (int row = 0; row < Math.max(rows, 1); row++) {
              bindRow(ps, bindings, rows > 0 ? row : -1);
              if (merge) {
                try (ResultSet rs = ps.executeQuery()) {
                  while (rs.next()) {
                    String action = rs.getString(1);
                    int at = countNames.indexOf("number of rows " + action.toLowerCase() + "d");
                    if (at < 0) {
                      at = countNames.indexOf("number of rows " + action.toLowerCase() + "ed");
                    }
                    counts[Math.max(at, 0)]++;
                  }
                }
              } else {
                counts[0] += ps.executeUpdate();
              }
            }
          }
        });
    Result r = Result.counts(typeId, countNames, counts);
    r.numberOfBinds = text.bindCount();
    r.arrayBindSupported = true;
    return r;
  }

  private static List<String> countColumns(SqlText text, int typeId) {
    switch (typeId) {
      case Result.INSERT:
        return List.of("number of rows inserted");
      case Result.UPDATE:
        return List.of("number of rows updated", "number of multi-joined rows updated");
      case Result.DELETE:
        return List.of("number of rows deleted");
      default:
        List<String> names = new ArrayList<>();
        List<SqlText.Token> t = text.tokens();
        boolean insert = false;
        boolean update = false;
        boolean delete = false;
        for (int i = 0; i + 1 < t.size(); i++) {
          if (t.get(i).isWord("THEN")) {
            insert |= t.get(i + 1).isWord("INSERT");
            update |= t.get(i + 1).isWord("UPDATE");
            delete |= t.get(i + 1).isWord("DELETE");
          }
        }
        if (insert) {
          names.add("number of rows inserted");
        }
        if (update) {
          names.add("number of rows updated");
        }
        if (delete) {
          names.add("number of rows deleted");
        }
        return names;
    }
  }

  private static int arrayRows(JsonNode bindings) {
    if (bindings == null || !bindings.isObject()) {
      return -1;
    }
    Iterator<JsonNode> it = bindings.elements();
    if (!it.hasNext()) {
      return -1;
    }
    JsonNode value = it.next().get("value");
    return value != null && value.isArray() ? value.size() : -1;
  }

  private static void bindRow(PreparedStatement ps, JsonNode bindings, int row)
      throws SQLException {
    if (bindings == null || !bindings.isObject()) {
      return;
    }
    Iterator<Map.Entry<String, JsonNode>> it = bindings.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode bind = e.getValue();
      JsonNode value = bind.get("value");
      if (row >= 0) {
        value = value.get(row);
      }
      String type = bind.hasNonNull("type") ? bind.get("type").asText() : "TEXT";
      DuckDbValues.bind(ps, Integer.parseInt(e.getKey()), type, value);
    }
  }

  /** A write under the database's lock; atomic on its own unless a transaction is open. */
  interface Work {
    void run() throws SQLException, SnowflakeError;
  }

  void write(Session s, String db, boolean atomic, Work work) throws SQLException, SnowflakeError {
    if (!s.autocommit && !s.inTransaction) {
      begin(s);
    }
    acquire(s, db == null ? "" : db);
    try {
      if (s.inTransaction || !atomic) {
        work.run();
        return;
      }
      try (Statement st = s.duck.createStatement()) {
        st.execute("BEGIN TRANSACTION");
      }
      try {
        work.run();
        try (Statement st = s.duck.createStatement()) {
          st.execute("COMMIT");
        }
      } catch (SQLException | SnowflakeError | RuntimeException e) {
        try (Statement st = s.duck.createStatement()) {
          st.execute("ROLLBACK");
        } catch (SQLException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
    } finally {
      if (!s.inTransaction) {
        release(s, db == null ? "" : db);
      }
    }
  }

  /** The database a write goes to: the first qualified table name's, else the session's. */
  private static String targetDatabase(SqlText text, Session s) {
    List<SqlText.Token> t = text.tokens();
    for (int i = 0; i < t.size(); i++) {
      SqlText.Token k = t.get(i);
      if (k.isWord("INTO")
          || k.isWord("UPDATE")
          || k.isWord("TABLE")
          || k.isWord("FROM")
          || k.isWord("SCHEMA")
          || k.isWord("VIEW")) {
        int j = i + 1;
        while (j < t.size()
            && (t.get(j).isWord("IF") || t.get(j).isWord("NOT") || t.get(j).isWord("EXISTS"))) {
          j++;
        }
        List<String> name = qualifiedName(t, j);
        if (name.size() == 3 || (k.isWord("SCHEMA") && name.size() == 2)) {
          return name.get(0);
        }
        return s.database;
      }
    }
    return s.database;
  }

  static List<String> qualifiedName(List<SqlText.Token> t, int from) {
    List<String> parts = new ArrayList<>();
    int j = from;
    while (j < t.size() && t.get(j).isIdentifier()) {
      parts.add(t.get(j).value);
      if (j + 1 < t.size() && t.get(j + 1).isSymbol(".")) {
        j += 2;
      } else {
        break;
      }
    }
    return parts;
  }

  // ---------------------------------------------------------------- transactions and locks

  private void begin(Session s) throws SQLException {
    try (Statement st = s.duck.createStatement()) {
      st.execute("BEGIN TRANSACTION");
    }
    s.inTransaction = true;
  }

  void commit(Session s) throws SQLException {
    if (!s.inTransaction) {
      return;
    }
    try (Statement st = s.duck.createStatement()) {
      st.execute("COMMIT");
      s.onCommit.forEach(Runnable::run);
    } finally {
      s.onCommit.clear();
      s.inTransaction = false;
      releaseAll(s);
    }
  }

  void rollback(Session s) throws SQLException {
    if (!s.inTransaction) {
      return;
    }
    try (Statement st = s.duck.createStatement()) {
      st.execute("ROLLBACK");
    } finally {
      s.onCommit.clear();
      s.inTransaction = false;
      releaseAll(s);
    }
  }

  /** Snowflake queues writers to a table where DuckDB would raise a write-write conflict. */
  private synchronized void acquire(Session s, String db) throws SnowflakeError {
    long deadline = System.nanoTime() + LOCK_TIMEOUT_MILLIS * 1_000_000L;
    while (lockOwners.get(db) != null && lockOwners.get(db) != s) {
      long waitMillis = (deadline - System.nanoTime()) / 1_000_000L;
      if (waitMillis <= 0) {
        throw new SnowflakeError(
            "000625",
            "57014",
            "Statement reached its statement or warehouse timeout while waiting for a lock on"
                + " database "
                + db);
      }
      try {
        wait(waitMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SnowflakeError("000604", "57014", "SQL execution canceled");
      }
    }
    lockOwners.put(db, s);
  }

  private synchronized void release(Session s, String db) {
    if (lockOwners.get(db) == s) {
      lockOwners.remove(db);
      notifyAll();
    }
  }

  private synchronized void releaseAll(Session s) {
    lockOwners.values().removeIf(owner -> owner == s);
    notifyAll();
  }

  // ---------------------------------------------------------------- USE, DDL

  private Result use(Session s, SqlText text) throws SQLException, SnowflakeError {
    List<SqlText.Token> t = text.tokens();
    int i = 1;
    String kind = "DATABASE";
    if (text.word(1).equals("DATABASE")
        || text.word(1).equals("SCHEMA")
        || text.word(1).equals("WAREHOUSE")
        || text.word(1).equals("ROLE")
        || text.word(1).equals("SECONDARY")) {
      kind = text.word(1);
      i = 2;
    }
    List<String> name = qualifiedName(t, i);
    if (kind.equals("SECONDARY")) {
      return Result.status(Result.USE, "Statement executed successfully.");
    }
    if (name.isEmpty()) {
      throw SnowflakeError.syntax("USE needs a name");
    }
    switch (kind) {
      case "WAREHOUSE":
        s.warehouse = name.get(0);
        break;
      case "ROLE":
        s.role = name.get(0);
        break;
      case "SCHEMA":
        String db = name.size() == 2 ? name.get(0) : s.database;
        String schema = name.get(name.size() - 1);
        if (db == null || !databases.containsKey(db) || !schemaExists(db, schema)) {
          throw new SnowflakeError(
              "002043",
              "02000",
              "SQL compilation error:\nObject does not exist, or operation cannot be performed.");
        }
        s.database = db;
        s.schema = schema;
        break;
      default:
        if (name.size() == 2) {
          return use(s, SqlText.parse("USE SCHEMA " + quoteAll(name)));
        }
        if (!databases.containsKey(name.get(0))) {
          throw new SnowflakeError(
              "002043",
              "02000",
              "SQL compilation error:\nObject does not exist, or operation cannot be performed.");
        }
        s.database = name.get(0);
        s.schema = schemaExists(s.database, "PUBLIC") ? "PUBLIC" : null;
    }
    syncDuckDb(s);
    return Result.status(Result.USE, "Statement executed successfully.");
  }

  private static String quoteAll(List<String> parts) {
    List<String> quoted = new ArrayList<>();
    for (String p : parts) {
      quoted.add(SqlText.quote(p));
    }
    return String.join(".", quoted);
  }

  private void syncDuckDb(Session s) throws SQLException {
    String target;
    if (s.database == null) {
      target = "memory.main";
    } else if (s.schema == null) {
      target = SqlText.quote(s.database);
    } else {
      target = SqlText.quote(s.database) + "." + SqlText.quote(s.schema);
    }
    try (Statement st = s.duck.createStatement()) {
      st.execute("USE " + target);
    }
  }

  /** Snowflake commits an open transaction before any DDL statement. */
  private void implicitCommit(Session s) throws SQLException {
    if (s.inTransaction) {
      commit(s);
    }
  }

  private Result create(Session s, SqlText text, JsonNode bindings)
      throws SQLException, SnowflakeError {
    List<SqlText.Token> t = text.tokens();
    int i = 1;
    boolean orReplace = false;
    if (t.size() > 2 && t.get(1).isWord("OR") && t.get(2).isWord("REPLACE")) {
      orReplace = true;
      i = 3;
    }
    while (i < t.size()
        && (t.get(i).isWord("TRANSIENT")
            || t.get(i).isWord("TEMPORARY")
            || t.get(i).isWord("TEMP")
            || t.get(i).isWord("VOLATILE")
            || t.get(i).isWord("LOCAL")
            || t.get(i).isWord("GLOBAL"))) {
      i++;
    }
    String kind = i < t.size() ? t.get(i).value : "";
    int nameAt = i + 1;
    boolean ifNotExists = false;
    if (nameAt + 2 < t.size()
        && t.get(nameAt).isWord("IF")
        && t.get(nameAt + 1).isWord("NOT")
        && t.get(nameAt + 2).isWord("EXISTS")) {
      ifNotExists = true;
      nameAt += 3;
    }
    List<String> name = qualifiedName(t, nameAt);
    implicitCommit(s);
    switch (kind) {
      case "DATABASE":
        return createDatabase(s, name.get(0), orReplace, ifNotExists);
      case "SCHEMA":
        return createSchema(s, name, orReplace, ifNotExists);
      case "STAGE":
        return createStage(s, name, orReplace, ifNotExists, t.subList(nameAt, t.size()));
      case "STORAGE":
        // CREATE STORAGE INTEGRATION: nothing to emulate; an external stage naming one signs with
        // the emulator's own AWS credentials (see ExternalStage).
        return Result.status(
            Result.DDL,
            "Integration "
                + (nameAt < t.size() && t.get(nameAt).isWord("INTEGRATION") && nameAt + 1 < t.size()
                    ? t.get(nameAt + 1).value
                    : "")
                + " successfully created.");
      case "WAREHOUSE":
      case "ROLE":
      case "USER":
      case "FILE":
        return Result.status(Result.DDL, "Statement executed successfully.");
      case "TABLE":
        String[] fq = qualify(s, name);
        boolean exists = !tableColumns(fq[0], fq[1], fq[2]).isEmpty();
        if (exists && ifNotExists) {
          return Result.status(Result.DDL, fq[2] + " already exists, statement succeeded.");
        }
        String duckSql = text.toDuckDb().replaceFirst("(?i)\\b(TRANSIENT|VOLATILE)\\s+", "");
        ddl(s, text, duckSql, bindings);
        forgetHistory(fq[0], fq[1], fq[2]);
        return Result.status(Result.DDL, "Table " + fq[2] + " successfully created.");
      default:
        ddl(s, text, text.toDuckDb(), bindings);
        String what = kind.isEmpty() ? "Object" : kind.charAt(0) + kind.substring(1).toLowerCase();
        return Result.status(
            Result.DDL,
            what
                + " "
                + (name.isEmpty() ? "" : name.get(name.size() - 1))
                + " successfully created.");
    }
  }

  private String[] qualify(Session s, List<String> name) throws SnowflakeError {
    if (name.isEmpty()) {
      throw SnowflakeError.syntax("missing object name");
    }
    String db = name.size() == 3 ? name.get(0) : s.database;
    String schema = name.size() >= 2 ? name.get(name.size() - 2) : s.schema;
    if (db == null || schema == null) {
      throw new SnowflakeError(
          "090105",
          "22000",
          "Cannot perform operation. This session does not have a current "
              + (db == null ? "database" : "schema")
              + ". Call 'USE DATABASE', or use a qualified name.");
    }
    return new String[] {db, schema, name.get(name.size() - 1)};
  }

  private Result ddl(Session s, SqlText text, String duckSql, JsonNode bindings)
      throws SQLException, SnowflakeError {
    implicitCommit(s);
    write(
        s,
        targetDatabase(text, s),
        false,
        () -> {
          try (PreparedStatement ps = s.duck.prepareStatement(duckSql)) {
            bindRow(ps, bindings, -1);
            ps.execute();
          }
        });
    return Result.status(Result.DDL, "Statement executed successfully.");
  }

  private synchronized Result createDatabase(
      Session s, String name, boolean orReplace, boolean ifNotExists)
      throws SQLException, SnowflakeError {
    if (databases.containsKey(name)) {
      if (ifNotExists) {
        return Result.status(Result.DDL, name + " already exists, statement succeeded.");
      }
      if (!orReplace) {
        throw new SnowflakeError(
            SnowflakeError.ALREADY_EXISTS,
            "42710",
            "SQL compilation error:\nObject '" + name + "' already exists.");
      }
      dropDatabase(name);
    }
    Path file = databaseDir.resolve(URLEncoder.encode(name, StandardCharsets.UTF_8) + ".duckdb");
    attach(name, file);
    try (Statement st = main.createStatement()) {
      st.execute("CREATE SCHEMA IF NOT EXISTS " + SqlText.quote(name) + ".\"PUBLIC\"");
    }
    s.database = name;
    s.schema = "PUBLIC";
    syncDuckDb(s);
    return Result.status(Result.DDL, "Database " + name + " successfully created.");
  }

  private void dropDatabase(String name) throws SQLException {
    try (Statement st = main.createStatement()) {
      st.execute("DETACH " + SqlText.quote(name));
    }
    Path file = databases.remove(name);
    try {
      Files.deleteIfExists(file);
      Files.deleteIfExists(Path.of(file + ".wal"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    stages.dropDatabase(name);
    forgetHistory(name, null, null);
  }

  private Result createSchema(Session s, List<String> name, boolean orReplace, boolean ifNotExists)
      throws SQLException, SnowflakeError {
    String db = name.size() == 2 ? name.get(0) : s.database;
    String schema = name.get(name.size() - 1);
    if (db == null || !databases.containsKey(db)) {
      throw SnowflakeError.notFound("Database", String.valueOf(db));
    }
    boolean exists = schemaExists(db, schema);
    if (exists && ifNotExists) {
      return Result.status(Result.DDL, schema + " already exists, statement succeeded.");
    }
    if (exists && !orReplace) {
      throw new SnowflakeError(
          SnowflakeError.ALREADY_EXISTS,
          "42710",
          "SQL compilation error:\nObject '" + schema + "' already exists.");
    }
    String fq = SqlText.quote(db) + "." + SqlText.quote(schema);
    write(
        s,
        db,
        true,
        () -> {
          try (Statement st = s.duck.createStatement()) {
            if (exists) {
              st.execute("DROP SCHEMA " + fq + " CASCADE");
            }
            st.execute("CREATE SCHEMA " + fq);
          }
        });
    if (exists) {
      stages.dropSchema(db, schema);
      forgetHistory(db, schema, null);
    }
    s.database = db;
    s.schema = schema;
    syncDuckDb(s);
    return Result.status(Result.DDL, "Schema " + schema + " successfully created.");
  }

  /**
   * {@code CREATE STAGE name [URL = 's3://…' [CREDENTIALS = (…) | STORAGE_INTEGRATION = …]]}; other
   * options (FILE_FORMAT, COPY_OPTIONS, ENCRYPTION, DIRECTORY, COMMENT) are accepted and ignored.
   */
  private Result createStage(
      Session s,
      List<String> name,
      boolean orReplace,
      boolean ifNotExists,
      List<SqlText.Token> fromName)
      throws SQLException, SnowflakeError {
    String[] fq = qualify(s, name);
    if (!databases.containsKey(fq[0]) || !schemaExists(fq[0], fq[1])) {
      throw SnowflakeError.notFound("Schema", fq[0] + "." + fq[1]);
    }
    Map<String, Object> options =
        CopyInto.options(
            fromName.subList(Math.min(name.size() * 2 - 1, fromName.size()), fromName.size()));
    ExternalStage external = null;
    if (options.containsKey("URL")
        || options.containsKey("CREDENTIALS")
        || options.containsKey("STORAGE_INTEGRATION")) {
      external = ExternalStage.fromOptions(options);
    }
    if (stages.exists(fq[0], fq[1], fq[2])) {
      if (ifNotExists) {
        return Result.status(Result.DDL, fq[2] + " already exists, statement succeeded.");
      }
      if (!orReplace) {
        throw new SnowflakeError(
            SnowflakeError.ALREADY_EXISTS,
            "42710",
            "SQL compilation error:\nObject '" + fq[2] + "' already exists.");
      }
      stages.drop(fq[0], fq[1], fq[2]);
    }
    stages.create(fq[0], fq[1], fq[2], external);
    return Result.status(Result.DDL, "Stage area " + fq[2] + " successfully created.");
  }

  private Result drop(Session s, SqlText text, JsonNode bindings)
      throws SQLException, SnowflakeError {
    List<SqlText.Token> t = text.tokens();
    String kind = text.word(1);
    int nameAt = 2;
    boolean ifExists = false;
    if (text.word(2).equals("IF") && text.word(3).equals("EXISTS")) {
      ifExists = true;
      nameAt = 4;
    }
    List<String> name = qualifiedName(t, nameAt);
    if (name.isEmpty()) {
      throw SnowflakeError.syntax("DROP needs a name");
    }
    String last = name.get(name.size() - 1);
    implicitCommit(s);
    switch (kind) {
      case "DATABASE":
        synchronized (this) {
          if (!databases.containsKey(last)) {
            if (ifExists) {
              return Result.status(
                  Result.DDL,
                  "Drop statement executed successfully (" + last + " already dropped).");
            }
            throw SnowflakeError.notFound("Database", last);
          }
          dropDatabase(last);
        }
        if (last.equals(s.database)) {
          s.database = null;
          s.schema = null;
          syncDuckDb(s);
        }
        return Result.status(Result.DDL, last + " successfully dropped.");
      case "STAGE":
        String[] fq = qualify(s, name);
        if (!stages.exists(fq[0], fq[1], fq[2])) {
          if (ifExists) {
            return Result.status(
                Result.DDL, "Drop statement executed successfully (" + last + " already dropped).");
          }
          throw SnowflakeError.notFound("Stage", String.join(".", fq));
        }
        stages.drop(fq[0], fq[1], fq[2]);
        return Result.status(Result.DDL, last + " successfully dropped.");
      case "SCHEMA":
        String db = name.size() == 2 ? name.get(0) : s.database;
        String duckSql = text.toDuckDb();
        if (!duckSql.toUpperCase().contains("CASCADE")
            && !duckSql.toUpperCase().contains("RESTRICT")) {
          duckSql = duckSql.replaceFirst("[\\s;]*$", "") + " CASCADE";
        }
        ddl(s, text, duckSql, bindings);
        if (db != null) {
          stages.dropSchema(db, last);
          forgetHistory(db, last, null);
        }
        return Result.status(Result.DDL, last + " successfully dropped.");
      case "TABLE":
        String[] table = qualify(s, name);
        ddl(s, text, text.toDuckDb(), bindings);
        forgetHistory(table[0], table[1], table[2]);
        return Result.status(Result.DDL, last + " successfully dropped.");
      default:
        ddl(s, text, text.toDuckDb(), bindings);
        return Result.status(Result.DDL, last + " successfully dropped.");
    }
  }

  private Result truncate(Session s, SqlText text) throws SQLException, SnowflakeError {
    List<SqlText.Token> t = text.tokens();
    int at = 1;
    if (text.word(at).equals("TABLE")) {
      at++;
    }
    boolean ifExists = false;
    if (text.word(at).equals("IF") && text.word(at + 1).equals("EXISTS")) {
      ifExists = true;
      at += 2;
    }
    String[] fq = qualify(s, qualifiedName(t, at));
    if (tableColumns(fq[0], fq[1], fq[2]).isEmpty()) {
      if (ifExists) {
        return Result.status(Result.DDL, "Statement executed successfully.");
      }
      throw SnowflakeError.notFound("Table", String.join(".", fq));
    }
    String target = SqlText.quote(fq[0]) + "." + SqlText.quote(fq[1]) + "." + SqlText.quote(fq[2]);
    write(
        s,
        fq[0],
        false,
        () -> {
          try (Statement st = s.duck.createStatement()) {
            st.execute("DELETE FROM " + target);
          }
        });
    // Snowflake's TRUNCATE also clears the table's load metadata, so the files load again.
    forgetHistory(fq[0], fq[1], fq[2]);
    return Result.status(Result.DDL, "Statement executed successfully.");
  }

  private Result alter(Session s, SqlText text, JsonNode bindings)
      throws SQLException, SnowflakeError {
    String what = text.word(1);
    if (what.equals("SESSION")) {
      List<SqlText.Token> t = text.tokens();
      for (int i = 0; i + 2 < t.size(); i++) {
        if (t.get(i).isWord("AUTOCOMMIT") && t.get(i + 1).isSymbol("=")) {
          boolean on = t.get(i + 2).isWord("TRUE") || t.get(i + 2).text.equals("1");
          if (on && s.inTransaction) {
            commit(s);
          }
          s.autocommit = on;
        }
      }
      return Result.status(Result.ALTER_SESSION, "Statement executed successfully.");
    }
    if (!what.equals("TABLE")) {
      return Result.status(Result.DDL, "Statement executed successfully.");
    }
    List<SqlText.Token> t = text.tokens();
    int at = 2;
    boolean ifExists = false;
    if (text.word(2).equals("IF") && text.word(3).equals("EXISTS")) {
      ifExists = true;
      at = 4;
    }
    List<String> name = qualifiedName(t, at);
    int after = at + name.size() * 2 - 1;
    if (after < t.size() && t.get(after).isWord("ADD")) {
      return addColumns(s, text, name, after + 1, ifExists);
    }
    ddl(s, text, text.toDuckDb(), bindings);
    return Result.status(Result.DDL, "Statement executed successfully.");
  }

  /** Snowflake adds several columns in one ALTER; DuckDB takes one per statement. */
  private Result addColumns(Session s, SqlText text, List<String> name, int from, boolean ifExists)
      throws SQLException, SnowflakeError {
    String[] fq = qualify(s, name);
    if (tableColumns(fq[0], fq[1], fq[2]).isEmpty()) {
      if (ifExists) {
        return Result.status(Result.DDL, "Statement executed successfully.");
      }
      throw SnowflakeError.notFound("Table", String.join(".", fq));
    }
    List<SqlText.Token> t = text.tokens();
    int i = from;
    if (i < t.size() && t.get(i).isWord("COLUMN")) {
      i++;
    }
    String ifNotExists = "";
    if (i + 2 < t.size()
        && t.get(i).isWord("IF")
        && t.get(i + 1).isWord("NOT")
        && t.get(i + 2).isWord("EXISTS")) {
      ifNotExists = "IF NOT EXISTS ";
      i += 3;
    }
    List<String> definitions = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    int depth = 0;
    for (; i < t.size(); i++) {
      SqlText.Token tok = t.get(i);
      if (tok.isSymbol(",") && depth == 0) {
        definitions.add(current.toString());
        current.setLength(0);
        continue;
      }
      if (tok.isSymbol(";")) {
        continue;
      }
      depth += tok.isSymbol("(") ? 1 : tok.isSymbol(")") ? -1 : 0;
      current
          .append(tok.kind == SqlText.Kind.STRING ? SqlText.literal(tok.value) : tok.text)
          .append(' ');
    }
    if (current.length() > 0) {
      definitions.add(current.toString());
    }
    String target = SqlText.quote(fq[0]) + "." + SqlText.quote(fq[1]) + "." + SqlText.quote(fq[2]);
    List<String> statements = new ArrayList<>();
    for (String def : definitions) {
      statements.add(
          SqlText.parse("ALTER TABLE " + target + " ADD COLUMN " + ifNotExists + def).toDuckDb());
    }
    implicitCommit(s);
    write(
        s,
        fq[0],
        true,
        () -> {
          for (String sql : statements) {
            try (Statement st = s.duck.createStatement()) {
              st.execute(sql);
            }
          }
        });
    return Result.status(Result.DDL, "Statement executed successfully.");
  }

  @Override
  public void close() throws SQLException {
    objectStore.close();
    main.close();
  }
}
