package org.imednet.export.sinks.snowflake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.beam.sdk.util.SerializableUtils;
import org.imednet.export.api.Secret;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnowflakeSettingsTest {
  private static final String PASSWORD = "pa55-'w\"rd";

  @TempDir Path tmp;

  @Test
  void readsEveryEnvironmentVariable() {
    SnowflakeSettings s =
        SnowflakeSettings.fromEnvironment(
                Map.ofEntries(
                    Map.entry("SNOWFLAKE_ACCOUNT", "myorg-acct"),
                    Map.entry("SNOWFLAKE_USER", "loader"),
                    Map.entry("SNOWFLAKE_PASSWORD", PASSWORD),
                    Map.entry("SNOWFLAKE_DATABASE", "IMEDNET_DB"),
                    Map.entry("SNOWFLAKE_SCHEMA", "RAW"),
                    Map.entry("SNOWFLAKE_WAREHOUSE", "WH"),
                    Map.entry("SNOWFLAKE_ROLE", "LOADER_ROLE"),
                    Map.entry("SNOWFLAKE_STAGE", "MY_STAGE"),
                    Map.entry("SNOWFLAKE_PRIVATE_KEY_FILE", "/keys/rsa.p8"),
                    Map.entry("SNOWFLAKE_PRIVATE_KEY_FILE_PWD", "keypass"),
                    Map.entry("SNOWFLAKE_HOST", "127.0.0.1"),
                    Map.entry("SNOWFLAKE_PORT", "8081"),
                    Map.entry("SNOWFLAKE_PROTOCOL", "http")))
            .build();
    assertEquals("myorg-acct", s.account());
    assertEquals("loader", s.user());
    assertEquals(PASSWORD, s.password().reveal());
    assertEquals("IMEDNET_DB", s.database());
    assertEquals("RAW", s.schema());
    assertEquals("WH", s.warehouse());
    assertEquals("LOADER_ROLE", s.role());
    assertEquals("MY_STAGE", s.stage());
    assertEquals("/keys/rsa.p8", s.privateKeyFile());
    assertEquals("jdbc:snowflake://127.0.0.1:8081/?account=myorg-acct&ssl=off", s.jdbcUrl());
    Properties p = s.connectionProperties();
    assertEquals("loader", p.get("user"));
    assertEquals(PASSWORD, p.get("password"));
    assertEquals("IMEDNET_DB", p.get("db"));
    assertEquals("RAW", p.get("schema"));
    assertEquals("WH", p.get("warehouse"));
    assertEquals("LOADER_ROLE", p.get("role"));
    assertEquals("/keys/rsa.p8", p.get("private_key_file"));
    assertEquals("keypass", p.get("private_key_file_pwd"));
    assertEquals("true", p.get("disablePlatformDetection"));
    assertEquals(List.of(), s.missingFields());
  }

  @Test
  void defaultsToHttpsOnTheAccountHostAndPublicSchema() {
    SnowflakeSettings s = SnowflakeSettings.builder().account("myorg-acct").build();
    assertEquals(
        "jdbc:snowflake://myorg-acct.snowflakecomputing.com:443/?account=myorg-acct", s.jdbcUrl());
    assertEquals("PUBLIC", s.schema());
  }

  @Test
  void missingFieldsAreNamedWithoutThePassword() {
    SnowflakeSettings s =
        SnowflakeSettings.builder()
            .account("a")
            .password(Secret.of(PASSWORD))
            .database("D")
            .build();
    ExportConfigurationError e = assertThrows(ExportConfigurationError.class, s::validate);
    assertEquals(
        "Snowflake settings missing: SNOWFLAKE_USER, SNOWFLAKE_WAREHOUSE, SNOWFLAKE_STAGE"
            + " (set them as flags, environment variables or in connections.toml)",
        e.getMessage());
    assertEquals(
        List.of(
            "SNOWFLAKE_ACCOUNT",
            "SNOWFLAKE_USER",
            "SNOWFLAKE_PASSWORD (or SNOWFLAKE_PRIVATE_KEY_FILE)",
            "SNOWFLAKE_DATABASE",
            "SNOWFLAKE_WAREHOUSE",
            "SNOWFLAKE_STAGE"),
        SnowflakeSettings.builder().build().missingFields());
  }

  @Test
  void aStageReferenceNamesItsStage() {
    assertEquals("EXT_STAGE", complete().stage("@EXT_STAGE").build().stage());
    assertEquals("EXT_STAGE", complete().stage("EXT_STAGE").build().stage());
    assertEquals("~", complete().stage("@~").build().stage());
    assertEquals(
        "EXT_STAGE",
        SnowflakeSettings.fromEnvironment(Map.of("SNOWFLAKE_STAGE", "@EXT_STAGE")).build().stage());
  }

  @Test
  void keyPairReplacesThePassword() {
    SnowflakeSettings s = complete().password(null).privateKeyFile("/k.p8").build();
    assertEquals(List.of(), s.missingFields());
    assertNull(s.connectionProperties().get("password"));
  }

  @Test
  void readsANamedConnectionFromConnectionsToml() throws Exception {
    Path toml = tmp.resolve("connections.toml");
    Files.writeString(
        toml,
        "default_connection_name = \"dev\"\n"
            + "[dev]\naccount = \"dev-acct\"\nuser = \"dev\"\n\n"
            + "[prod]\n"
            + "account = \"myorg-prod\"\n"
            + "user = \"loader\"\n"
            + "password = \""
            + "s3cret\\\"x"
            + "\"\n"
            + "database = \"IMEDNET_DB\"\n"
            + "schema = \"RAW\"\n"
            + "warehouse = \"WH\"\n"
            + "role = \"R\"\n"
            + "host = \"127.0.0.1\"\n"
            + "port = 9000\n"
            + "protocol = \"http\"\n"
            + "authenticator = \"snowflake\"\n"
            + "private_key_path = \"/k.p8\"\n"
            + "client_session_keep_alive = true\n");
    SnowflakeSettings s = SnowflakeSettings.fromConnectionsToml(toml, "prod").build();
    assertEquals("myorg-prod", s.account());
    assertEquals("loader", s.user());
    assertEquals("s3cret\"x", s.password().reveal());
    assertEquals("IMEDNET_DB", s.database());
    assertEquals("RAW", s.schema());
    assertEquals("WH", s.warehouse());
    assertEquals("R", s.role());
    assertEquals("snowflake", s.authenticator());
    assertEquals("/k.p8", s.privateKeyFile());
    assertEquals("jdbc:snowflake://127.0.0.1:9000/?account=myorg-prod&ssl=off", s.jdbcUrl());

    ExportConfigurationError e =
        assertThrows(
            ExportConfigurationError.class,
            () -> SnowflakeSettings.fromConnectionsToml(toml, "staging"));
    assertEquals(
        "No connection named 'staging' in "
            + toml
            + "; it has [default_connection_name, dev, prod]",
        e.getMessage());
  }

  @Test
  void acceptsTheConnectionsTableForm() throws Exception {
    Path toml = tmp.resolve("c.toml");
    Files.writeString(toml, "[connections.prod]\naccount = \"acct\"\n");
    assertEquals("acct", SnowflakeSettings.fromConnectionsToml(toml, "prod").build().account());
  }

  @Test
  void unreadableTomlDoesNotEchoItsContent() throws Exception {
    Path toml = tmp.resolve("bad.toml");
    Files.writeString(toml, "[prod]\npassword = \"" + PASSWORD + "\n");
    ExportConfigurationError e =
        assertThrows(
            ExportConfigurationError.class,
            () -> SnowflakeSettings.fromConnectionsToml(toml, "prod"));
    assertFalse(e.getMessage().contains(PASSWORD), e.getMessage());
  }

  @Test
  void connectionsTomlLivesInSnowflakeHome() {
    assertEquals(
        Path.of("/opt/sf/connections.toml"),
        SnowflakeSettings.defaultConnectionsToml(Map.of("SNOWFLAKE_HOME", "/opt/sf")));
    assertEquals(
        Path.of(System.getProperty("user.home"), ".snowflake", "connections.toml"),
        SnowflakeSettings.defaultConnectionsToml(Map.of()));
  }

  @Test
  void flagsOverrideEnvironmentOverrideToml() throws Exception {
    Path toml = tmp.resolve("connections.toml");
    Files.writeString(
        toml, "[prod]\naccount = \"toml-acct\"\nuser = \"toml-user\"\nwarehouse = \"TOML_WH\"\n");
    SnowflakeSettings s =
        SnowflakeSettings.builder()
            .user("flag-user")
            .fillFrom(
                SnowflakeSettings.fromEnvironment(
                    Map.of("SNOWFLAKE_USER", "env-user", "SNOWFLAKE_ACCOUNT", "env-acct")))
            .fillFrom(
                SnowflakeSettings.fromNamedConnection(
                    "prod", Map.of("SNOWFLAKE_HOME", tmp.toString())))
            .build();
    assertEquals("flag-user", s.user());
    assertEquals("env-acct", s.account());
    assertEquals("TOML_WH", s.warehouse());
  }

  @Test
  void passwordFileIsReadWithoutItsLineEnding() throws Exception {
    Path file = tmp.resolve("pw");
    Files.writeString(file, PASSWORD + "\r\n");
    assertEquals(
        PASSWORD, SnowflakeSettings.builder().passwordFile(file).build().password().reveal());
    Files.writeString(file, "");
    assertThrows(
        ExportConfigurationError.class, () -> SnowflakeSettings.builder().passwordFile(file));
  }

  @Test
  void toStringAndSerializedFormHideThePassword() {
    SnowflakeSettings s = complete().build();
    assertFalse(s.toString().contains(PASSWORD), s.toString());
    assertTrue(s.toString().contains("password=****"), s.toString());
    SnowflakeSettings copy = SerializableUtils.clone(s);
    assertEquals(PASSWORD, copy.password().reveal());
    assertEquals(s.jdbcUrl(), copy.jdbcUrl());
  }

  @Test
  void redactRemovesSecretsFromDriverMessages() {
    SnowflakeSettings s = complete().build();
    assertEquals("bad password ****!", s.redact("bad password " + PASSWORD + "!"));
  }

  @Test
  void rejectsAnUnknownProtocolAndBadPort() {
    assertThrows(
        ExportConfigurationError.class, () -> complete().protocol("ftp").build().validate());
    assertThrows(
        ExportConfigurationError.class,
        () -> SnowflakeSettings.fromEnvironment(Map.of("SNOWFLAKE_PORT", "80a")));
    assertThrows(ExportConfigurationError.class, () -> SnowflakeSettings.builder().port(0));
  }

  static SnowflakeSettings.Builder complete() {
    return SnowflakeSettings.builder()
        .account("acct")
        .user("loader")
        .password(Secret.of(PASSWORD))
        .database("DB")
        .warehouse("WH")
        .stage("STAGE");
  }
}
