package org.imednet.export.sinks.snowflake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Base64;
import org.imednet.export.testdata.snowflake.SnowflakeEmulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key-pair authentication end to end: settings with a PKCS#8 {@code private_key_file} and no
 * password log in through the real driver (which signs a JWT) to an emulator that knows only the
 * public key; a key the emulator does not know is refused.
 */
class SnowflakeKeyPairTest {
  @TempDir Path tmp;

  private static KeyPair rsa() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return g.generateKeyPair();
  }

  private Path pem(KeyPair pair, String name) throws Exception {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pair.getPrivate().getEncoded());
    Path f = tmp.resolve(name);
    Files.writeString(f, "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n");
    return f;
  }

  private static SnowflakeSettings settings(SnowflakeEmulator emu, Path keyFile) {
    return SnowflakeSettings.builder()
        .account(emu.account())
        .user("LOADER")
        .privateKeyFile(keyFile.toString())
        .database("TESTDB")
        .schema("PUBLIC")
        .warehouse("EMU_WH")
        .stage("S")
        .host("127.0.0.1")
        .port(emu.port())
        .protocol("http")
        .build();
  }

  @Test
  void aRegisteredKeyLogsInWithoutAPassword() throws Exception {
    KeyPair registered = rsa();
    try (SnowflakeEmulator emu =
        SnowflakeEmulator.builder()
            .root(tmp.resolve("sf"))
            .publicKey(registered.getPublic())
            .build()
            .start()) {
      SnowflakeSettings ok = settings(emu, pem(registered, "rsa_key.p8")).validate();
      try (Connection c = ok.connect();
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT 42")) {
        rs.next();
        assertEquals(42, rs.getInt(1));
      }

      SnowflakeSettings wrong = settings(emu, pem(rsa(), "other_key.p8")).validate();
      ExportConfigurationError e = assertThrows(ExportConfigurationError.class, wrong::connect);
      assertTrue(e.getMessage().startsWith("Cannot connect to Snowflake account"), e.getMessage());
    }
  }
}
