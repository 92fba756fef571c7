package org.imednet.export.testdata.snowflake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local stand-in for Snowflake that the unmodified {@code snowflake-jdbc} driver (tested with
 * 4.4.1) talks to over plain HTTP on 127.0.0.1, backed by embedded DuckDB.
 *
 * <pre>{@code
 * try (SnowflakeEmulator emu = SnowflakeEmulator.builder().root(tempDir).build().start()) {
 *   Properties p = new Properties();
 *   p.put("user", "loader"); p.put("password", "x"); p.put("db", "TESTDB"); p.put("schema", "RAW");
 *   p.put("disablePlatformDetection", "true");
 *   try (Connection c = DriverManager.getConnection(emu.jdbcUrl(), p)) { ... }
 *   emu.query("SELECT count(*) FROM TESTDB.RAW.T");   // read DuckDB directly
 * }
 * }</pre>
 *
 * <p><b>The subset of Snowflake implemented.</b> Everything not listed fails with SQL error 002040
 * ("Unsupported feature") or whatever DuckDB says about the statement.
 *
 * <ul>
 *   <li>Sessions: password login (checked only when {@link Builder#credentials} is set, else any
 *       user/password is accepted; a mismatch is error 390100), key-pair login (SNOWFLAKE_JWT:
 *       RS256 signature, subject {@code ACCOUNT.USER} and issuer fingerprint checked against {@link
 *       Builder#publicKey}; error 390144 otherwise), session close, heartbeat, token renew and
 *       telemetry (answered, ignored). The session's {@code db}/{@code schema} apply when they
 *       exist. Session parameters: AUTOCOMMIT, TIMEZONE = UTC and the default output formats.
 *   <li>Databases are DuckDB files attached under {@code <root>/databases/}, schemas are DuckDB
 *       schemas: {@code CREATE [OR REPLACE] DATABASE|SCHEMA [IF NOT EXISTS]} (which also make the
 *       new object current, as Snowflake does; a database gets a PUBLIC schema), {@code DROP
 *       DATABASE|SCHEMA [IF EXISTS]}, {@code USE [DATABASE|SCHEMA|WAREHOUSE|ROLE]}. Databases found
 *       under the root at start are attached again.
 *   <li>Other statements pass through to DuckDB after a rewrite: unquoted identifiers are
 *       upper-cased (Snowflake stores them so; quoted ones are kept exactly), types map as
 *       NUMBER/INT/… → DECIMAL(p,s) (default 38,0), FLOAT/DOUBLE/REAL → DOUBLE, STRING/TEXT →
 *       VARCHAR, TIMESTAMP[_NTZ]/DATETIME → TIMESTAMP (microseconds), TIMESTAMP_LTZ/_TZ →
 *       TIMESTAMPTZ, VARIANT/OBJECT/ARRAY → JSON, BINARY → BLOB; words DuckDB reserves but
 *       Snowflake allows as names ({@code AT}, {@code END}, …) are quoted where they are names;
 *       {@code [db.]INFORMATION_SCHEMA.COLUMNS|TABLES|SCHEMATA} are views over DuckDB's catalog for
 *       that (or the current) database with Snowflake's column names and type names (NUMBER, FLOAT,
 *       TEXT, TIMESTAMP_NTZ, …), other INFORMATION_SCHEMA views are DuckDB's; shims for IFF, NVL,
 *       NVL2, ZEROIFNULL, TO_VARCHAR, PARSE_JSON, SYSDATE(), CURRENT_TIMESTAMP(). Result labels of
 *       unaliased expressions are upper-cased ({@code COUNT(*)}).
 *   <li>CREATE [OR REPLACE] TABLE [IF NOT EXISTS], DROP TABLE, TRUNCATE (clears the load history),
 *       {@code ALTER TABLE … ADD [COLUMN] [IF NOT EXISTS] c1 t1, c2 t2}; INSERT, UPDATE, DELETE
 *       (with USING), MERGE with Snowflake's update-count result columns; SELECT; scalar binds
 *       ({@code ?} and {@code :n}) and array (batch) binds, executed atomically; describeOnly
 *       requests; the driver's statementTypeId for each statement kind.
 *   <li>Transactions: BEGIN / START TRANSACTION, COMMIT, ROLLBACK and {@code ALTER SESSION SET
 *       AUTOCOMMIT} (what {@code Connection.setAutoCommit} sends). DDL commits an open transaction
 *       first, as in Snowflake. Writes are serialised per database (a session holds the database
 *       until its transaction ends) so concurrent writers queue as they would in Snowflake instead
 *       of hitting DuckDB's write-write conflicts. Unlike Snowflake, a failing statement inside an
 *       explicit transaction leaves DuckDB's transaction aborted: roll it back.
 *   <li>Internal named stages ({@code CREATE [OR REPLACE] STAGE [IF NOT EXISTS]}, DROP STAGE), the
 *       user stage {@code @~} and table stages {@code @%T}, as directories under {@code
 *       <root>/stages/}: PUT (LOCAL_FS transfer, the driver copies, skips unchanged files and
 *       reports), LIST and REMOVE with a path prefix and {@code PATTERN}. Names are listed as
 *       {@code stage_name_lower/path}.
 *   <li>External stages on S3: {@code CREATE [OR REPLACE] STAGE name URL = 's3://bucket/prefix/'
 *       [CREDENTIALS = (AWS_KEY_ID = '…' AWS_SECRET_KEY = '…' [AWS_TOKEN = '…']) |
 *       STORAGE_INTEGRATION = name]} (other stage options are ignored; {@code CREATE STORAGE
 *       INTEGRATION} is accepted and does nothing). The objects under the URL are read from {@link
 *       Builder#s3Endpoint} (the S3-compatible server the files were written to; {@link
 *       Builder#s3PathStyle} for one reached by address) with the stage's CREDENTIALS, or, for a
 *       storage integration, with the emulator's own AWS default credential chain ({@code
 *       AWS_ACCESS_KEY_ID}/{@code aws.accessKeyId}, profile, instance role), which stands in for
 *       the integration's IAM role. LIST names objects by URL ({@code s3://bucket/prefix/path})
 *       with their ETag as md5, COPY reads them (downloaded for the statement, then deleted
 *       locally), REMOVE and PURGE delete them from the bucket, PUT into an external stage is
 *       refused. The definition, keys included, is kept under {@code <root>/external-stages/},
 *       readable only by its owner.
 *   <li>{@code COPY INTO [db.][schema.]table FROM @stage[/path] FILE_FORMAT = (TYPE = PARQUET)}
 *       with {@code MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE|CASE_SENSITIVE} (unmatched table
 *       columns get NULL, extra file columns are ignored; NONE loads into a single VARIANT column),
 *       {@code FILES}, {@code PATTERN}, {@code FORCE}, {@code PURGE}, {@code ON_ERROR =
 *       ABORT_STATEMENT} (default: any error rolls back the whole COPY) or {@code SKIP_FILE} /
 *       {@code CONTINUE} (both skip a failing file whole). The stage path is a prefix. Load history
 *       is kept per table in memory, keyed on the staged file and its MD5 (an external stage's
 *       object: its URL and ETag): without FORCE an unchanged loaded file is silently skipped and a
 *       changed one loads again. Results are Snowflake's 10 columns per file, or the single {@code
 *       status} row "Copy executed with 0 files processed.".
 *   <li>Errors are HTTP 200 with {@code success:false}, a Snowflake code and SQLSTATE (002003 /
 *       42S02 for a missing object, 001003 syntax, 000904 invalid identifier, 100038 conversion),
 *       so the driver raises {@code SnowflakeSQLException}.
 *   <li>Retries: a retried requestId (the driver re-sends after a dropped connection or a 5xx) gets
 *       the first answer when {@link Builder#dedupeRetriedRequestIds} is on (default), or runs
 *       again when off. Faults come from {@link SnowflakeFaults}.
 * </ul>
 *
 * <p>Not implemented: TLS, multi-statement requests, async queries, result chunks (all results are
 * inline JSON), query cancel, SHOW / DESCRIBE (so no {@code DatabaseMetaData}), GET, external
 * stages on GCS or Azure, storage integrations' own settings, file formats other than Parquet, COPY
 * transformations and unloading, time travel, streams/tasks, and Snowflake's stricter type checks
 * (DuckDB casts implicitly).
 *
 * <p>{@link #statements()} records every query request's SQL text as received (driver retries
 * included), with values of PASSWORD/TOKEN/KEY style options replaced by {@code ****}. Passwords
 * and tokens are never logged.
 */
public final class SnowflakeEmulator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SnowflakeEmulator.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ACCOUNT = "emuacct";
  private static final String WAREHOUSE = "EMU_WH";
  private static final Pattern SECRET_OPTION =
      Pattern.compile(
          "(?i)\\b(PASSWORD|AWS_SECRET_KEY|AWS_KEY_ID|AWS_TOKEN|AZURE_SAS_TOKEN|PRIVATE_KEY"
              + "|ENCRYPTION_KEY|MASTER_KEY|TOKEN|RSA_PUBLIC_KEY(?:_2)?)\\s*=\\s*"
              + "('(?:[^'\\\\]|\\\\.|'')*'|\\S+)");
  private static final int DEDUPE_CAPACITY = 10_000;

  private final Path root;
  private final String user;
  private final String password;
  private final PublicKey publicKey;
  private final SnowflakeFaults faults;
  private final boolean dedupe;
  private final int requestedPort;
  private final URI s3Endpoint;
  private final boolean s3PathStyle;
  private final String s3Region;

  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  private final List<String> statements = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, CompletableFuture<byte[]>> answers =
      Collections.synchronizedMap(
          new LinkedHashMap<>() {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<byte[]>> e) {
              return size() > DEDUPE_CAPACITY;
            }
          });
  private final Map<SnowflakeFaults.Rule, AtomicInteger> ruleCounts = new ConcurrentHashMap<>();
  private final AtomicLong sessionIds = new AtomicLong(1000);
  private final AtomicInteger faultsFired = new AtomicInteger();

  private Backend backend;
  private HttpServer server;
  private ExecutorService executor;

  private SnowflakeEmulator(Builder b) {
    this.root = b.root;
    this.user = b.user;
    this.password = b.password;
    this.publicKey = b.publicKey;
    this.faults = b.faults;
    this.dedupe = b.dedupe;
    this.requestedPort = b.port;
    this.s3Endpoint = b.s3Endpoint;
    this.s3PathStyle = b.s3PathStyle;
    this.s3Region = b.s3Region;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Settings for a {@link SnowflakeEmulator}; only {@link #root} is required. */
  public static final class Builder {
    private Path root;
    private String user;
    private String password;
    private PublicKey publicKey;
    private SnowflakeFaults faults = SnowflakeFaults.none();
    private boolean dedupe = true;
    private int port;
    private URI s3Endpoint;
    private boolean s3PathStyle;
    private String s3Region = "us-east-1";

    private Builder() {}

    /** Directory for the DuckDB database files and the stages; created if missing. Required. */
    public Builder root(Path root) {
      this.root = Objects.requireNonNull(root, "root");
      return this;
    }

    /** Only this user/password may log in with a password. Default: any login is accepted. */
    public Builder credentials(String user, String password) {
      this.user = Objects.requireNonNull(user, "user");
      this.password = Objects.requireNonNull(password, "password");
      return this;
    }

    /** Accept key-pair (SNOWFLAKE_JWT) logins signed by the matching private key. Default: none. */
    public Builder publicKey(PublicKey publicKey) {
      this.publicKey = Objects.requireNonNull(publicKey, "publicKey");
      return this;
    }

    /** Fault injection; default {@link SnowflakeFaults#none()}. */
    public Builder faults(SnowflakeFaults faults) {
      this.faults = Objects.requireNonNull(faults, "faults");
      return this;
    }

    /** Whether a retried requestId gets the first answer (default) or runs again. */
    public Builder dedupeRetriedRequestIds(boolean dedupe) {
      this.dedupe = dedupe;
      return this;
    }

    /** Port on 127.0.0.1 to listen on; default 0, an ephemeral port (see {@link #port()}). */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port must be 0..65535, was " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * The S3 server whose buckets the {@code s3://} URLs of external stages name, such as {@code
     * http://127.0.0.1:9000} for a local MinIO or S3Proxy: the server the workers wrote the stage's
     * files to. Default: AWS's own S3 endpoint for {@link #s3Region}.
     */
    public Builder s3Endpoint(URI endpoint) {
      Objects.requireNonNull(endpoint, "endpoint");
      if (endpoint.getScheme() == null || endpoint.getHost() == null) {
        throw new IllegalArgumentException(
            "s3Endpoint must be an absolute http(s)://host[:port] URL, was " + endpoint);
      }
      this.s3Endpoint = endpoint;
      return this;
    }

    /**
     * Path-style S3 requests ({@code http://host:port/bucket/key}) instead of virtual-hosted ones
     * ({@code http://bucket.host/key}), as servers reached by address need. Default false.
     */
    public Builder s3PathStyle(boolean pathStyle) {
      this.s3PathStyle = pathStyle;
      return this;
    }

    /** The region S3 requests are signed for; default {@code us-east-1}. */
    public Builder s3Region(String region) {
      Objects.requireNonNull(region, "region");
      if (region.isBlank()) {
        throw new IllegalArgumentException("s3Region must not be blank");
      }
      this.s3Region = region;
      return this;
    }

    public SnowflakeEmulator build() {
      if (root == null) {
        throw new IllegalStateException("root() is required");
      }
      return new SnowflakeEmulator(this);
    }
  }

  /**
   * Opens DuckDB and starts listening on 127.0.0.1 (an ephemeral port unless {@link Builder#port}).
   */
  public SnowflakeEmulator start() throws IOException {
    if (server != null) {
      throw new IllegalStateException("already started");
    }
    Files.createDirectories(root);
    try {
      backend = new Backend(root, new ObjectStore(s3Endpoint, s3PathStyle, s3Region));
    } catch (SQLException e) {
      throw new IOException("cannot open DuckDB under " + root, e);
    }
    try {
      server =
          HttpServer.create(
              new InetSocketAddress(InetAddress.getLoopbackAddress(), requestedPort), 0);
    } catch (IOException e) {
      IOException failure =
          new IOException("cannot listen on 127.0.0.1:" + requestedPort + ": " + e.getMessage(), e);
      try {
        backend.close();
      } catch (SQLException suppressed) {
        failure.addSuppressed(suppressed);
      }
      backend = null;
      throw failure;
    }
    executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "snowflake-emulator");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
    LOG.info("Snowflake emulator listening on {} with root {}", jdbcUrl(), root);
    return this;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public String jdbcUrl() {
    return "jdbc:snowflake://127.0.0.1:" + port() + "/?account=" + ACCOUNT + "&ssl=off";
  }

  /** The account name the driver must send (it is in {@link #jdbcUrl()}). */
  public String account() {
    return ACCOUNT;
  }

  /**
   * Runs DuckDB SQL directly on the backing database (not through the Snowflake rewrite), for test
   * assertions. Tables are {@code DB.SCHEMA.TABLE}; values come as DuckDB's JDBC driver gives them,
   * with dates and timestamps as {@code LocalDate}/{@code LocalDateTime}.
   */
  public List<List<Object>> query(String sql) {
    try {
      return backend.query(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("emulator query failed: " + e.getMessage(), e);
    }
  }

  /** How many injected faults have fired so far, so a test can show its fault happened. */
  public int faultsFired() {
    return faultsFired.get();
  }

  /** The SQL texts received so far, in order, secrets masked. */
  public List<String> statements() {
    synchronized (statements) {
      return List.copyOf(statements);
    }
  }

  @Override
  public void close() {
    if (server == null) {
      return;
    }
    server.stop(0);
    executor.shutdownNow();
    try {
      // Statements still running for a client that gave up (a failed pipeline's other workers)
      // finish first: a login or statement after the sessions are closed below would keep a
      // DuckDB connection, and with it the database files, open after close.
      if (!executor.awaitTermination(60, TimeUnit.SECONDS)) {
        LOG.warn("Snowflake emulator closes with requests still running");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Session s : sessions.values()) {
      backend.closeSession(s);
    }
    sessions.clear();
    try {
      backend.close();
    } catch (SQLException e) {
      throw new IllegalStateException("cannot close DuckDB", e);
    }
    server = null;
  }

  // ---------------------------------------------------------------- HTTP

  private void handle(HttpExchange ex) throws IOException {
    try {
      for (SnowflakeFaults.Rule rule : faults.rules()) {
        if (rule.action == SnowflakeFaults.Action.HTTP_STATUS && fires(rule)) {
          ex.sendResponseHeaders(rule.httpStatus, -1);
          return;
        }
      }
      String path = ex.getRequestURI().getPath();
      Map<String, String> params = params(ex.getRequestURI().getRawQuery());
      byte[] body = readBody(ex);
      switch (path) {
        case "/session/v1/login-request":
          send(ex, login(body, params));
          return;
        case "/queries/v1/query-request":
          query(ex, body, params);
          return;
        case "/session":
          if ("true".equals(params.get("delete"))) {
            Session s = sessions.remove(token(ex));
            if (s != null) {
              synchronized (s) {
                backend.closeSession(s);
              }
            }
          }
          send(ex, ok());
          return;
        case "/session/token-request":
          send(ex, renew(body));
          return;
        case "/session/heartbeat":
        case "/telemetry/send":
        case "/queries/v1/abort-request":
          send(ex, ok());
          return;
        default:
          ex.sendResponseHeaders(404, -1);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("Snowflake emulator failed on {}", ex.getRequestURI().getPath(), e);
      ex.sendResponseHeaders(500, -1);
    } finally {
      ex.close();
    }
  }

  private boolean fires(SnowflakeFaults.Rule rule) {
    boolean fires =
        rule.fires(ruleCounts.computeIfAbsent(rule, r -> new AtomicInteger()).incrementAndGet());
    if (fires) {
      faultsFired.incrementAndGet();
    }
    return fires;
  }

  private static Map<String, String> params(String rawQuery) {
    Map<String, String> out = new HashMap<>();
    if (rawQuery == null) {
      return out;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      out.put(
          URLDecoder.decode(k, StandardCharsets.UTF_8),
          URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return out;
  }

  private static byte[] readBody(HttpExchange ex) throws IOException {
    InputStream in = ex.getRequestBody();
    if ("gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"))) {
      in = new GZIPInputStream(in);
    }
    try (InputStream body = in) {
      return body.readAllBytes();
    }
  }

  private static String token(HttpExchange ex) {
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (auth == null) {
      return "";
    }
    int start = auth.indexOf("Token=\"");
    if (start < 0) {
      return "";
    }
    int end = auth.indexOf('"', start + 7);
    return end < 0 ? "" : auth.substring(start + 7, end);
  }

  private static void send(HttpExchange ex, ObjectNode answer) throws IOException {
    send(ex, JSON.writeValueAsBytes(answer));
  }

  private static void send(HttpExchange ex, byte[] bytes) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static ObjectNode ok() {
    ObjectNode n = JSON.createObjectNode();
    n.putNull("data");
    n.putNull("code");
    n.putNull("message");
    n.put("success", true);
    return n;
  }

  private static ObjectNode failure(String code, String sqlState, String message, String queryId) {
    ObjectNode n = JSON.createObjectNode();
    ObjectNode data = n.putObject("data");
    data.put("sqlState", sqlState);
    data.put("errorCode", code);
    data.put("queryId", queryId);
    data.put("internalError", false);
    n.put("code", code);
    n.put("message", message);
    n.put("success", false);
    return n;
  }

  // ---------------------------------------------------------------- login

  private ObjectNode login(byte[] body, Map<String, String> params) throws IOException {
    JsonNode data = JSON.readTree(body).path("data");
    String loginName = data.path("LOGIN_NAME").asText("");
    String authenticator = data.path("AUTHENTICATOR").asText("SNOWFLAKE");
    if (authenticator.equalsIgnoreCase("SNOWFLAKE_JWT")) {
      String reason =
          publicKey == null
              ? "no public key is registered for key-pair login"
              : KeyPairLogin.check(
                  data.path("TOKEN").asText(null),
                  publicKey,
                  data.path("ACCOUNT_NAME").asText(ACCOUNT),
                  loginName);
      if (reason == null && user != null && !user.equalsIgnoreCase(loginName)) {
        reason = "the user has no registered public key";
      }
      if (reason != null) {
        LOG.info("Snowflake emulator rejected a key-pair login: {}", reason);
        return failure("390144", "08001", "JWT token is invalid. " + reason, null);
      }
    } else if (!authenticator.equalsIgnoreCase("SNOWFLAKE")) {
      return failure(
          "390100", "08001", "Authenticator " + authenticator + " is not emulated.", null);
    } else if (user != null
        && (!user.equalsIgnoreCase(loginName)
            || !password.equals(data.path("PASSWORD").asText(null)))) {
      return failure("390100", "08001", "Incorrect username or password was specified.", null);
    }
    long id = sessionIds.incrementAndGet();
    Session s;
    try {
      s =
          backend.openSession(
              id,
              "emu-session-" + UUID.randomUUID(),
              "emu-master-" + UUID.randomUUID(),
              loginName.toUpperCase(java.util.Locale.ROOT));
      s.warehouse = SqlText.normalizeIdentifier(params.getOrDefault("warehouse", WAREHOUSE));
      String role = SqlText.normalizeIdentifier(params.get("roleName"));
      if (role != null) {
        s.role = role;
      }
      backend.useInitial(
          s,
          SqlText.normalizeIdentifier(params.get("databaseName")),
          SqlText.normalizeIdentifier(params.get("schemaName")));
    } catch (SQLException e) {
      throw new IllegalStateException("cannot open a DuckDB session", e);
    }
    sessions.put(s.token, s);

    ObjectNode answer = JSON.createObjectNode();
    ObjectNode d = answer.putObject("data");
    d.put("token", s.token);
    d.put("masterToken", s.masterToken);
    d.put("validityInSeconds", 3600);
    d.put("masterValidityInSeconds", 14400);
    d.put("sessionId", id);
    d.put("serverVersion", "9.0.0-emulator");
    d.put("displayUserName", s.user);
    d.put("healthCheckInterval", 45);
    ObjectNode info = d.putObject("sessionInfo");
    info.put("databaseName", s.database);
    info.put("schemaName", s.schema);
    info.put("warehouseName", s.warehouse);
    info.put("roleName", s.role);
    ArrayNode p = d.putArray("parameters");
    parameter(p, "AUTOCOMMIT", true);
    parameter(p, "TIMEZONE", "UTC");
    parameter(p, "TIMESTAMP_OUTPUT_FORMAT", "YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM");
    parameter(p, "TIMESTAMP_NTZ_OUTPUT_FORMAT", "YYYY-MM-DD HH24:MI:SS.FF3");
    parameter(p, "TIMESTAMP_LTZ_OUTPUT_FORMAT", "");
    parameter(p, "TIMESTAMP_TZ_OUTPUT_FORMAT", "");
    parameter(p, "DATE_OUTPUT_FORMAT", "YYYY-MM-DD");
    parameter(p, "TIME_OUTPUT_FORMAT", "HH24:MI:SS");
    parameter(p, "CLIENT_TELEMETRY_ENABLED", false);
    parameter(p, "CLIENT_SESSION_KEEP_ALIVE", false);
    answer.putNull("code");
    answer.putNull("message");
    answer.put("success", true);
    return answer;
  }

  private static void parameter(ArrayNode p, String name, Object value) {
    ObjectNode n = p.addObject();
    n.put("name", name);
    if (value instanceof Boolean) {
      n.put("value", (Boolean) value);
    } else {
      n.put("value", value.toString());
    }
  }

  private ObjectNode renew(byte[] body) throws IOException {
    String old = JSON.readTree(body).path("oldSessionToken").asText("");
    Session s = sessions.get(old);
    if (s == null) {
      return failure("390114", "08001", "Authentication token has expired.", null);
    }
    ObjectNode answer = ok();
    ObjectNode d = answer.putObject("data");
    d.put("sessionToken", s.token);
    d.put("validityInSecondsST", 3600);
    d.put("masterToken", s.masterToken);
    d.put("validityInSecondsMT", 14400);
    d.put("sessionId", s.id);
    return answer;
  }

  // ---------------------------------------------------------------- queries

  private void query(HttpExchange ex, byte[] body, Map<String, String> params) throws IOException {
    Session s = sessions.get(token(ex));
    if (s == null) {
      send(ex, failure("390111", "08001", "Session no longer exists. New login required.", null));
      return;
    }
    JsonNode request = JSON.readTree(body);
    String sql = request.path("sqlText").asText("");
    statements.add(SECRET_OPTION.matcher(sql).replaceAll("$1 = '****'"));

    SnowflakeError injected = null;
    boolean dropBefore = false;
    boolean dropAfter = false;
    for (SnowflakeFaults.Rule rule : faults.rules()) {
      if (rule.statement == null || !rule.statement.matcher(sql).find()) {
        continue;
      }
      int count = ruleCounts.computeIfAbsent(rule, r -> new AtomicInteger()).incrementAndGet();
      if (!rule.fires(count)) {
        continue;
      }
      faultsFired.incrementAndGet();
      switch (rule.action) {
        case SQL_ERROR:
          injected =
              new SnowflakeError(
                  "100038",
                  "22000",
                  "Injected failure for statement #" + count + " matching " + rule.statement);
          break;
        case DROP_BEFORE_EXECUTE:
          dropBefore = true;
          break;
        case DROP_AFTER_EXECUTE:
          dropAfter = true;
          break;
        default:
          break;
      }
    }
    if (dropBefore) {
      LOG.info("Snowflake emulator drops the connection before running: {}", statements.size());
      ex.close();
      return;
    }

    String requestId = params.get("requestId");
    byte[] answer;
    if (dedupe && requestId != null) {
      CompletableFuture<byte[]> mine = new CompletableFuture<>();
      CompletableFuture<byte[]> first = answers.putIfAbsent(requestId, mine);
      if (first != null) {
        answer = first.join();
      } else {
        try {
          answer = execute(s, request, injected);
          mine.complete(answer);
        } catch (RuntimeException | IOException e) {
          answers.remove(requestId);
          mine.completeExceptionally(e);
          throw e;
        }
      }
    } else {
      answer = execute(s, request, injected);
    }
    if (dropAfter) {
      LOG.info("Snowflake emulator drops the connection after running statement {}", requestId);
      ex.close();
      return;
    }
    send(ex, answer);
  }

  private byte[] execute(Session s, JsonNode request, SnowflakeError injected) throws IOException {
    String queryId = UUID.randomUUID().toString();
    Result result;
    synchronized (s) {
      try {
        result =
            backend.execute(
                s,
                request.path("sqlText").asText(""),
                request.get("bindings"),
                request.path("describeOnly").asBoolean(false),
                injected,
                queryId);
      } catch (SnowflakeError e) {
        return JSON.writeValueAsBytes(failure(e.code(), e.sqlState(), e.getMessage(), queryId));
      } catch (RuntimeException e) {
        // An emulator defect: answer with an SQL error, because an HTTP 500 would make the
        // driver retry the same request until its own timeout.
        LOG.warn("Snowflake emulator failed to run a statement", e);
        return JSON.writeValueAsBytes(
            failure("000603", "XX000", "SQL execution internal error: " + e, queryId));
      }
    }
    return JSON.writeValueAsBytes(success(s, result, queryId));
  }

  private static ObjectNode success(Session s, Result r, String queryId) {
    ObjectNode answer = JSON.createObjectNode();
    ObjectNode d;
    if (r.transfer != null) {
      d = answer.set("data", r.transfer);
    } else {
      d = answer.putObject("data");
      d.putArray("parameters");
      ArrayNode rowtype = d.putArray("rowtype");
      for (Result.Column c : r.columns) {
        ObjectNode col = rowtype.addObject();
        col.put("name", c.name);
        col.put("database", s.database == null ? "" : s.database);
        col.put("schema", s.schema == null ? "" : s.schema);
        col.put("table", "");
        col.put("type", c.type);
        col.put("nullable", true);
        if (c.type.equals("fixed")) {
          col.put("precision", c.precision);
          col.put("scale", c.scale);
        } else {
          col.putNull("precision");
          col.put("scale", c.scale);
        }
        if (c.type.equals("text") || c.type.equals("variant") || c.type.equals("binary")) {
          col.put("length", 16_777_216);
          col.put("byteLength", 16_777_216);
        } else {
          col.putNull("length");
          col.putNull("byteLength");
        }
        col.putNull("collation");
      }
      ArrayNode rowset = d.putArray("rowset");
      for (List<String> row : r.rows) {
        ArrayNode out = rowset.addArray();
        row.forEach(out::add);
      }
      d.put("total", r.rows.size());
      d.put("returned", r.rows.size());
      d.put("queryResultFormat", "json");
      d.put("numberOfBinds", r.numberOfBinds);
      d.put("arrayBindSupported", r.arrayBindSupported);
      d.put("version", 1);
    }
    d.put("queryId", queryId);
    d.put("statementTypeId", r.statementTypeId);
    d.put("finalDatabaseName", s.database);
    d.put("finalSchemaName", s.schema);
    d.put("finalWarehouseName", s.warehouse);
    d.put("finalRoleName", s.role);
    answer.putNull("code");
    answer.putNull("message");
    answer.put("success", true);
    return answer;
  }
}
