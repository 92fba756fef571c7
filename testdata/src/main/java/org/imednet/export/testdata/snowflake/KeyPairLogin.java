package org.imednet.export.testdata.snowflake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;

/**
 * Checks a SNOWFLAKE_JWT login token the way Snowflake does: an RS256 JWT whose subject is {@code
 * ACCOUNT.USER}, whose issuer is {@code ACCOUNT.USER.SHA256:<public key fingerprint>}, signed by
 * the private key of the registered public key, and not expired.
 */
final class KeyPairLogin {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long CLOCK_SKEW_SECONDS = 60;

  private KeyPairLogin() {}

  /** Returns null when the token is valid, else the reason it is not. */
  static String check(String jwt, PublicKey key, String account, String user) {
    if (jwt == null) {
      return "no TOKEN in a SNOWFLAKE_JWT login";
    }
    String[] parts = jwt.split("\\.");
    if (parts.length != 3) {
      return "the token is not a JWT";
    }
    try {
      Base64.Decoder b64 = Base64.getUrlDecoder();
      JsonNode header = JSON.readTree(b64.decode(parts[0]));
      JsonNode claims = JSON.readTree(b64.decode(parts[1]));
      if (!"RS256".equals(header.path("alg").asText())) {
        return "unsupported JWT algorithm " + header.path("alg").asText();
      }
      Signature verifier = Signature.getInstance("SHA256withRSA");
      verifier.initVerify(key);
      verifier.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
      if (!verifier.verify(b64.decode(parts[2]))) {
        return "the JWT signature does not match the registered public key";
      }
      String subject = (account + "." + user).toUpperCase(Locale.ROOT);
      if (!subject.equals(claims.path("sub").asText())) {
        return "the JWT subject does not name this account and user";
      }
      String fingerprint =
          "SHA256:"
              + Base64.getEncoder()
                  .encodeToString(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
      if (!(subject + "." + fingerprint).equals(claims.path("iss").asText())) {
        return "the JWT issuer does not carry the registered key's fingerprint";
      }
      if (claims.path("exp").asLong(0) < Instant.now().getEpochSecond() - CLOCK_SKEW_SECONDS) {
        return "the JWT has expired";
      }
      return null;
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      return "the JWT cannot be read: " + e.getClass().getSimpleName();
    }
  }
}
