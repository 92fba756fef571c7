package org.imednet.export.sinks.snowflake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import javax.annotation.Nullable;
import org.imednet.export.api.Secret;

/**
 * How to reach Snowflake and where to load: account, credentials, database, schema, warehouse, role
 * and the internal stage, plus host, port and protocol overrides (that is how tests reach a local
 * emulator).
 *
 * <p>Settings come from, highest precedence first: explicit {@link Builder} calls (command-line
 * flags), {@code SNOWFLAKE_*} environment variables ({@link #fromEnvironment}), and a named
 * connection in Snowflake's {@code connections.toml} ({@link #fromConnectionsToml}), combined with
 * {@link Builder#fillFrom}:
 *
 * <pre>{@code
 * SnowflakeSettings settings =
 *     SnowflakeSettings.builder()
 *         .stage("IMEDNET_STAGE")                      // a flag
 *         .fillFrom(SnowflakeSettings.fromEnvironment(System.getenv()))
 *         .fillFrom(SnowflakeSettings.fromNamedConnection("prod", System.getenv()))
 *         .build();
 * settings.validate(); // ExportConfigurationError naming every missing setting
 * }</pre>
 *
 * <p>The password is a {@link Secret}: from the environment, a file ({@link Builder#passwordFile})
 * or the TOML file, never a command-line argument. {@link #toString()} shows no secret. Key-pair
 * authentication uses {@code private_key_file} (and its passphrase) instead of a password. Settings
 * are {@link Serializable} so DoFns can carry them; transforms keep them out of display data.
 */
public final class SnowflakeSettings implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The default schema, as in Snowflake and the Python SDK. */
  public static final String DEFAULT_SCHEMA = "PUBLIC";

  private final @Nullable String account;
  private final @Nullable String user;
  private final @Nullable Secret password;
  private final @Nullable String database;
  private final @Nullable String schema;
  private final @Nullable String warehouse;
  private final @Nullable String role;
  private final @Nullable String stage;
  private final @Nullable String privateKeyFile;
  private final @Nullable Secret privateKeyFilePassword;
  private final @Nullable String authenticator;
  private final @Nullable String host;
  private final @Nullable Integer port;
  private final @Nullable String protocol;

  private SnowflakeSettings(Builder b) {
    this.account = b.account;
    this.user = b.user;
    this.password = b.password;
    this.database = b.database;
    this.schema = b.schema;
    this.warehouse = b.warehouse;
    this.role = b.role;
    this.stage = stageName(b.stage);
    this.privateKeyFile = b.privateKeyFile;
    this.privateKeyFilePassword = b.privateKeyFilePassword;
    this.authenticator = b.authenticator;
    this.host = b.host;
    this.port = b.port;
    this.protocol = b.protocol;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Reads {@code SNOWFLAKE_ACCOUNT, _USER, _PASSWORD, _DATABASE, _SCHEMA, _WAREHOUSE, _ROLE,
   * _STAGE, _PRIVATE_KEY_FILE, _PRIVATE_KEY_FILE_PWD, _AUTHENTICATOR, _HOST, _PORT, _PROTOCOL}.
   * Blank values count as unset.
   */
  public static Builder fromEnvironment(Map<String, String> env) {
    Builder b = new Builder();
    b.account = blankToNull(env.get("SNOWFLAKE_ACCOUNT"));
    b.user = blankToNull(env.get("SNOWFLAKE_USER"));
    b.password = secretOrNull(env.get("SNOWFLAKE_PASSWORD"));
    b.database = blankToNull(env.get("SNOWFLAKE_DATABASE"));
    b.schema = blankToNull(env.get("SNOWFLAKE_SCHEMA"));
    b.warehouse = blankToNull(env.get("SNOWFLAKE_WAREHOUSE"));
    b.role = blankToNull(env.get("SNOWFLAKE_ROLE"));
    b.stage = blankToNull(env.get("SNOWFLAKE_STAGE"));
    b.privateKeyFile = blankToNull(env.get("SNOWFLAKE_PRIVATE_KEY_FILE"));
    b.privateKeyFilePassword = secretOrNull(env.get("SNOWFLAKE_PRIVATE_KEY_FILE_PWD"));
    b.authenticator = blankToNull(env.get("SNOWFLAKE_AUTHENTICATOR"));
    b.host = blankToNull(env.get("SNOWFLAKE_HOST"));
    String port = blankToNull(env.get("SNOWFLAKE_PORT"));
    if (port != null) {
      b.port(parsePort(port, "SNOWFLAKE_PORT"));
    }
    b.protocol = blankToNull(env.get("SNOWFLAKE_PROTOCOL"));
    return b;
  }

  /**
   * The {@code connections.toml} Snowflake's CLI and connectors use: {@code
   * $SNOWFLAKE_HOME/connections.toml} when {@code SNOWFLAKE_HOME} is set, else {@code
   * ~/.snowflake/connections.toml}.
   */
  public static Path defaultConnectionsToml(Map<String, String> env) {
    String home = blankToNull(env.get("SNOWFLAKE_HOME"));
    if (home != null) {
      return Paths.get(home, "connections.toml");
    }
    return Paths.get(System.getProperty("user.home"), ".snowflake", "connections.toml");
  }

  /** The named connection from {@link #defaultConnectionsToml}. */
  public static Builder fromNamedConnection(String connectionName, Map<String, String> env) {
    return fromConnectionsToml(defaultConnectionsToml(env), connectionName);
  }

  /**
   * Reads connection {@code [name]} (or {@code [connections.name]}) from a {@code
   * connections.toml}. Keys as in Snowflake's documentation: {@code account, user, password,
   * database, schema, warehouse, role, host, port, protocol, authenticator, private_key_file,
   * private_key_file_pwd} ({@code private_key_path} is accepted for {@code private_key_file}). Keys
   * this loader does not use are ignored.
   *
   * @throws ExportConfigurationError when the file cannot be read or has no such connection
   */
  public static Builder fromConnectionsToml(Path tomlFile, String connectionName) {
    JsonNode root;
    try {
      root = new TomlMapper().readTree(tomlFile.toFile());
    } catch (IOException e) {
      // The parser's message may quote a line of the file, which can hold a password.
      throw new ExportConfigurationError(
          "Cannot read Snowflake connections file "
              + tomlFile
              + " ("
              + e.getClass().getSimpleName()
              + "); check that it exists and is valid TOML");
    }
    JsonNode conn = root.get(connectionName);
    if (conn == null && root.has("connections")) {
      conn = root.get("connections").get(connectionName);
    }
    if (conn == null || !conn.isObject()) {
      List<String> names = new ArrayList<>();
      for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
        names.add(it.next());
      }
      throw new ExportConfigurationError(
          "No connection named '" + connectionName + "' in " + tomlFile + "; it has " + names);
    }
    Builder b = new Builder();
    b.account = text(conn, "account");
    b.user = text(conn, "user");
    b.password = secretOrNull(text(conn, "password"));
    b.database = text(conn, "database");
    b.schema = text(conn, "schema");
    b.warehouse = text(conn, "warehouse");
    b.role = text(conn, "role");
    b.stage = text(conn, "stage");
    b.privateKeyFile = text(conn, "private_key_file");
    if (b.privateKeyFile == null) {
      b.privateKeyFile = text(conn, "private_key_path");
    }
    b.privateKeyFilePassword = secretOrNull(text(conn, "private_key_file_pwd"));
    b.authenticator = text(conn, "authenticator");
    b.host = text(conn, "host");
    String port = text(conn, "port");
    if (port != null) {
      b.port(parsePort(port, "port in " + tomlFile));
    }
    b.protocol = text(conn, "protocol");
    return b;
  }

  /**
   * The settings that are required but missing, by their environment variable names: account, user,
   * a password or private key file, database, warehouse and stage.
   */
  public List<String> missingFields() {
    List<String> missing = new ArrayList<>();
    if (account == null) {
      missing.add("SNOWFLAKE_ACCOUNT");
    }
    if (user == null) {
      missing.add("SNOWFLAKE_USER");
    }
    if ((password == null || password.isEmpty())
        && privateKeyFile == null
        && authenticator == null) {
      missing.add("SNOWFLAKE_PASSWORD (or SNOWFLAKE_PRIVATE_KEY_FILE)");
    }
    if (database == null) {
      missing.add("SNOWFLAKE_DATABASE");
    }
    if (warehouse == null) {
      missing.add("SNOWFLAKE_WAREHOUSE");
    }
    if (stage == null) {
      missing.add("SNOWFLAKE_STAGE");
    }
    return missing;
  }

  /**
   * Checks that everything needed to load is set.
   *
   * @throws ExportConfigurationError naming every missing setting
   */
  public SnowflakeSettings validate() {
    List<String> missing = missingFields();
    if (!missing.isEmpty()) {
      throw new ExportConfigurationError(
          "Snowflake settings missing: "
              + String.join(", ", missing)
              + " (set them as flags, environment variables or in connections.toml)");
    }
    String p = protocol();
    if (!p.equals("https") && !p.equals("http")) {
      throw new ExportConfigurationError(
          "SNOWFLAKE_PROTOCOL must be https or http, was '" + protocol + "'");
    }
    return this;
  }

  /** The JDBC URL; {@code ssl=off} when the protocol is http (local emulators only). */
  public String jdbcUrl() {
    String h = host != null ? host : account + ".snowflakecomputing.com";
    int p = port != null ? port : (protocol().equals("http") ? 80 : 443);
    StringBuilder url = new StringBuilder("jdbc:snowflake://").append(h).append(':').append(p);
    url.append("/?account=").append(urlEncode(account == null ? "" : account));
    if (protocol().equals("http")) {
      url.append("&ssl=off");
    }
    return url.toString();
  }

  /**
   * The driver properties, including the secrets: only for {@link DriverManager}, never to be
   * logged.
   */
  Properties connectionProperties() {
    Properties props = new Properties();
    putIfSet(props, "user", user);
    if (password != null) {
      props.put("password", password.reveal());
    }
    putIfSet(props, "db", database);
    putIfSet(props, "schema", schema());
    putIfSet(props, "warehouse", warehouse);
    putIfSet(props, "role", role);
    putIfSet(props, "authenticator", authenticator);
    putIfSet(props, "private_key_file", privateKeyFile);
    if (privateKeyFilePassword != null) {
      props.put("private_key_file_pwd", privateKeyFilePassword.reveal());
    }
    // Without it, login probes cloud metadata endpoints (seconds of delay outside a cloud VM).
    props.put("disablePlatformDetection", "true");
    return props;
  }

  /**
   * Opens a connection.
   *
   * @throws ExportConfigurationError when settings are missing or the connection fails; the message
   *     names account, user and URL and never the password
   */
  public Connection connect() {
    validate();
    try {
      return DriverManager.getConnection(jdbcUrl(), connectionProperties());
    } catch (SQLException e) {
      throw new ExportConfigurationError(
          "Cannot connect to Snowflake account "
              + account
              + " as user "
              + user
              + " at "
              + jdbcUrl()
              + ": "
              + redact(e.getMessage()),
          redactedCopy(e));
    }
  }

  /** Replaces every occurrence of a secret of these settings in a text by {@code ****}. */
  String redact(@Nullable String text) {
    if (text == null) {
      return "";
    }
    String out = text;
    for (Secret s : new Secret[] {password, privateKeyFilePassword}) {
      if (s != null && !s.isEmpty()) {
        out = out.replace(s.reveal(), "****");
      }
    }
    return out;
  }

  /**
   * A copy of a driver exception with secrets removed from its message, keeping vendor code and SQL
   * state; the driver's own cause chain is dropped because we cannot vouch for its messages.
   */
  SQLException redactedCopy(SQLException e) {
    SQLException copy =
        new SQLException(
            e.getClass().getSimpleName() + ": " + redact(e.getMessage()),
            e.getSQLState(),
            e.getErrorCode());
    copy.setStackTrace(e.getStackTrace());
    return copy;
  }

  public @Nullable String account() {
    return account;
  }

  public @Nullable String user() {
    return user;
  }

  public @Nullable Secret password() {
    return password;
  }

  public @Nullable String database() {
    return database;
  }

  /** The schema; {@value #DEFAULT_SCHEMA} when unset. */
  public String schema() {
    return schema != null ? schema : DEFAULT_SCHEMA;
  }

  public @Nullable String warehouse() {
    return warehouse;
  }

  public @Nullable String role() {
    return role;
  }

  /**
   * The stage's name, without the {@code @} of a stage reference: {@code --stage @EXT_STAGE} and
   * {@code --stage EXT_STAGE} name the same stage.
   */
  public @Nullable String stage() {
    return stage;
  }

  private static @Nullable String stageName(@Nullable String stage) {
    return stage != null && stage.startsWith("@") && stage.length() > 1
        ? stage.substring(1)
        : stage;
  }

  public @Nullable String privateKeyFile() {
    return privateKeyFile;
  }

  public @Nullable String authenticator() {
    return authenticator;
  }

  public @Nullable String host() {
    return host;
  }

  public @Nullable Integer port() {
    return port;
  }

  /** {@code https} unless overridden. */
  public String protocol() {
    return protocol != null ? protocol.toLowerCase(Locale.ROOT) : "https";
  }

  @Override
  public String toString() {
    return "SnowflakeSettings{account="
        + account
        + ", user="
        + user
        + ", password="
        + (password == null ? "unset" : "****")
        + ", database="
        + database
        + ", schema="
        + schema()
        + ", warehouse="
        + warehouse
        + ", role="
        + role
        + ", stage="
        + stage
        + ", privateKeyFile="
        + privateKeyFile
        + ", url="
        + jdbcUrl()
        + "}";
  }

  /** Mutable builder; unset values are null. */
  public static final class Builder {
    private @Nullable String account;
    private @Nullable String user;
    private @Nullable Secret password;
    private @Nullable String database;
    private @Nullable String schema;
    private @Nullable String warehouse;
    private @Nullable String role;
    private @Nullable String stage;
    private @Nullable String privateKeyFile;
    private @Nullable Secret privateKeyFilePassword;
    private @Nullable String authenticator;
    private @Nullable String host;
    private @Nullable Integer port;
    private @Nullable String protocol;

    private Builder() {}

    public Builder account(String v) {
      account = blankToNull(v);
      return this;
    }

    public Builder user(String v) {
      user = blankToNull(v);
      return this;
    }

    public Builder password(Secret v) {
      password = v;
      return this;
    }

    /**
     * Reads the password from a file (its first line, without the line ending), so it never appears
     * on a command line.
     *
     * @throws ExportConfigurationError when the file cannot be read or is empty
     */
    public Builder passwordFile(Path file) {
      String content;
      try {
        content = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new ExportConfigurationError(
            "Cannot read the Snowflake password file " + file + ": " + e.getClass().getSimpleName(),
            e);
      }
      int eol = content.indexOf('\n');
      String first = (eol >= 0 ? content.substring(0, eol) : content).replace("\r", "");
      if (first.isEmpty()) {
        throw new ExportConfigurationError("The Snowflake password file " + file + " is empty");
      }
      password = Secret.of(first);
      return this;
    }

    public Builder database(String v) {
      database = blankToNull(v);
      return this;
    }

    public Builder schema(String v) {
      schema = blankToNull(v);
      return this;
    }

    public Builder warehouse(String v) {
      warehouse = blankToNull(v);
      return this;
    }

    public Builder role(String v) {
      role = blankToNull(v);
      return this;
    }

    public Builder stage(String v) {
      stage = blankToNull(v);
      return this;
    }

    public Builder privateKeyFile(String v) {
      privateKeyFile = blankToNull(v);
      return this;
    }

    public Builder privateKeyFilePassword(Secret v) {
      privateKeyFilePassword = v;
      return this;
    }

    public Builder authenticator(String v) {
      authenticator = blankToNull(v);
      return this;
    }

    public Builder host(String v) {
      host = blankToNull(v);
      return this;
    }

    public Builder port(int v) {
      if (v < 1 || v > 65535) {
        throw new ExportConfigurationError("Snowflake port must be 1..65535, was " + v);
      }
      port = v;
      return this;
    }

    public Builder protocol(String v) {
      protocol = blankToNull(v);
      return this;
    }

    /** Copies every setting this builder lacks from {@code lower} (a lower-precedence source). */
    public Builder fillFrom(Builder lower) {
      account = account != null ? account : lower.account;
      user = user != null ? user : lower.user;
      password = password != null ? password : lower.password;
      database = database != null ? database : lower.database;
      schema = schema != null ? schema : lower.schema;
      warehouse = warehouse != null ? warehouse : lower.warehouse;
      role = role != null ? role : lower.role;
      stage = stage != null ? stage : lower.stage;
      privateKeyFile = privateKeyFile != null ? privateKeyFile : lower.privateKeyFile;
      privateKeyFilePassword =
          privateKeyFilePassword != null ? privateKeyFilePassword : lower.privateKeyFilePassword;
      authenticator = authenticator != null ? authenticator : lower.authenticator;
      host = host != null ? host : lower.host;
      port = port != null ? port : lower.port;
      protocol = protocol != null ? protocol : lower.protocol;
      return this;
    }

    /** The settings; call {@link SnowflakeSettings#validate()} to check completeness. */
    public SnowflakeSettings build() {
      return new SnowflakeSettings(this);
    }
  }

  private static @Nullable String text(JsonNode conn, String key) {
    JsonNode v = conn.get(key);
    return v == null || v.isNull() ? null : blankToNull(v.asText());
  }

  private static int parsePort(String value, String source) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new ExportConfigurationError(source + " must be a port number, was '" + value + "'");
    }
  }

  private static @Nullable String blankToNull(@Nullable String v) {
    return v == null || v.isBlank() ? null : v.trim();
  }

  private static @Nullable Secret secretOrNull(@Nullable String v) {
    return v == null || v.isEmpty() ? null : Secret.of(v);
  }

  private static void putIfSet(Properties props, String key, @Nullable String value) {
    if (value != null) {
      props.put(key, value);
    }
  }

  private static String urlEncode(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
