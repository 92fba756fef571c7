package org.imednet.export.testdata.snowflake;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * The definition of an external stage: its {@code s3://bucket/prefix} URL and how the emulator
 * signs its requests there, either the stage's own {@code CREDENTIALS = (AWS_KEY_ID = '…'
 * AWS_SECRET_KEY = '…' [AWS_TOKEN = '…'])}, or, for {@code STORAGE_INTEGRATION = name} (and a stage
 * with neither), the emulator's own AWS default credential chain, which stands in for the IAM role
 * a storage integration lends Snowflake.
 *
 * <p>Kept as a properties file readable only by its owner, so a stage survives a restart on the
 * same root as internal stages do.
 */
final class ExternalStage {
  private static final String URL = "url";
  private static final String KEY_ID = "aws_key_id";
  private static final String SECRET_KEY = "aws_secret_key";
  private static final String TOKEN = "aws_token";
  private static final String INTEGRATION = "storage_integration";

  /** The URL as {@code s3://bucket[/prefix]}, without a trailing slash. */
  final String url;

  final String bucket;

  /** The key prefix of the stage's files: "" or {@code prefix/}. */
  final String prefix;

  final String keyId;
  final String secretKey;
  final String token;
  final String integration;

  private ExternalStage(
      String url, String keyId, String secretKey, String token, String integration)
      throws SnowflakeError {
    String u = url.strip();
    if (!u.regionMatches(true, 0, "s3://", 0, 5)) {
      String scheme = u.contains("://") ? u.substring(0, u.indexOf("://") + 3) : u;
      throw SnowflakeError.unsupported(
          "external stage URL " + scheme + " (only s3:// stages are emulated)");
    }
    String rest = u.substring(5);
    while (rest.endsWith("/")) {
      rest = rest.substring(0, rest.length() - 1);
    }
    int slash = rest.indexOf('/');
    String b = slash < 0 ? rest : rest.substring(0, slash);
    if (b.isEmpty()) {
      throw SnowflakeError.syntax("external stage URL has no bucket: " + url);
    }
    this.bucket = b;
    this.prefix = slash < 0 ? "" : rest.substring(slash + 1) + "/";
    this.url = "s3://" + rest;
    if ((keyId == null) != (secretKey == null)) {
      throw SnowflakeError.syntax("CREDENTIALS need both AWS_KEY_ID and AWS_SECRET_KEY");
    }
    this.keyId = keyId;
    this.secretKey = secretKey;
    this.token = token;
    this.integration = integration;
  }

  /**
   * The stage a {@code CREATE STAGE … URL = '…'} defines, from its parsed options ({@link
   * CopyInto#options}).
   */
  static ExternalStage fromOptions(Map<String, Object> options) throws SnowflakeError {
    Object url = options.get("URL");
    if (!(url instanceof String) || ((String) url).isBlank()) {
      throw SnowflakeError.syntax("an external stage needs URL = 's3://bucket/path/'");
    }
    Object credentials = options.get("CREDENTIALS");
    String keyId = null;
    String secretKey = null;
    String token = null;
    if (credentials instanceof Map) {
      Map<?, ?> c = (Map<?, ?>) credentials;
      keyId = text(c.get("AWS_KEY_ID"));
      secretKey = text(c.get("AWS_SECRET_KEY"));
      token = text(c.get("AWS_TOKEN"));
    } else if (credentials != null) {
      throw SnowflakeError.syntax("CREDENTIALS must be (AWS_KEY_ID = '…' AWS_SECRET_KEY = '…')");
    }
    String integration = text(options.get("STORAGE_INTEGRATION"));
    if (keyId != null && integration != null) {
      throw SnowflakeError.syntax("give either CREDENTIALS or STORAGE_INTEGRATION, not both");
    }
    return new ExternalStage((String) url, keyId, secretKey, token, integration);
  }

  private static String text(Object v) {
    return v == null || v.toString().isEmpty() ? null : v.toString();
  }

  /** Whether the stage signs with its own CREDENTIALS (else the emulator's default chain). */
  boolean hasCredentials() {
    return keyId != null;
  }

  /** The {@code s3://bucket/key} of an object key. */
  String urlOf(String key) {
    return "s3://" + bucket + "/" + key;
  }

  void save(Path file) {
    Properties p = new Properties();
    p.setProperty(URL, url);
    put(p, KEY_ID, keyId);
    put(p, SECRET_KEY, secretKey);
    put(p, TOKEN, token);
    put(p, INTEGRATION, integration);
    try {
      Files.createDirectories(file.getParent());
      Files.deleteIfExists(file);
      try {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException notPosix) {
        Files.createFile(file);
      } catch (FileAlreadyExistsException raced) {
        // Replaced concurrently by the same statement's retry: overwritten below.
      }
      try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        p.store(w, "external stage of the Snowflake emulator");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The stage saved at {@code file}, or null when there is none. */
  static ExternalStage load(Path file) {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
      return new ExternalStage(
          p.getProperty(URL),
          p.getProperty(KEY_ID),
          p.getProperty(SECRET_KEY),
          p.getProperty(TOKEN),
          p.getProperty(INTEGRATION));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (SnowflakeError e) {
      throw new IllegalStateException("corrupt external stage definition " + file, e);
    }
  }

  private static void put(Properties p, String key, String value) {
    if (value != null) {
      p.setProperty(key, value);
    }
  }

  @Override
  public String toString() {
    // Never the keys.
    return "ExternalStage{"
        + url
        + (hasCredentials() ? ", own credentials" : "")
        + (integration == null
            ? ""
            : ", storage integration " + integration.toUpperCase(Locale.ROOT))
        + "}";
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ExternalStage)) {
      return false;
    }
    ExternalStage s = (ExternalStage) o;
    return url.equals(s.url)
        && Objects.equals(keyId, s.keyId)
        && Objects.equals(secretKey, s.secretKey)
        && Objects.equals(token, s.token)
        && Objects.equals(integration, s.integration);
  }

  @Override
  public int hashCode() {
    return Objects.hash(url, keyId, secretKey, token, integration);
  }
}
