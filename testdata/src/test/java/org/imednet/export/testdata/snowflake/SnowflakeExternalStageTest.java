package org.imednet.export.testdata.snowflake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;
import net.snowflake.client.api.exception.SnowflakeSQLException;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.jclouds.blobstore.domain.StorageType;
import org.jclouds.blobstore.options.ListContainerOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * External stages through the real snowflake-jdbc driver: the emulator reads an {@code s3://}
 * stage's objects from an in-process S3Proxy on 127.0.0.1 (signature checking on), for LIST, COPY
 * (with its load history), REMOVE, and survives a restart.
 */
class SnowflakeExternalStageTest {
  private static final String ACCESS = "ext-stage-access";
  private static final String SECRET = "ext-stage-secret-7f3a-never-shown";
  private static final String BUCKET = "landing-bucket";

  @TempDir Path tmp;
  private BlobStoreContext store;
  private S3Proxy proxy;
  private SnowflakeEmulator emu;

  @BeforeEach
  void start() throws Exception {
    store =
        ContextBuilder.newBuilder("transient-nio2")
            .credentials("identity", "credential")
            .build(BlobStoreContext.class);
    proxy =
        S3Proxy.builder()
            .blobStore(store.getBlobStore())
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS, SECRET)
            .build();
    proxy.start();
    store.getBlobStore().createContainerInLocation(null, BUCKET);
    emu = emulator();
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE TESTDB");
      st.execute("CREATE SCHEMA TESTDB.RAW");
    }
  }

  private SnowflakeEmulator emulator() throws Exception {
    return SnowflakeEmulator.builder()
        .root(tmp.resolve("emu"))
        .credentials("loader", "pw")
        .s3Endpoint(URI.create("http://127.0.0.1:" + proxy.getPort()))
        .s3PathStyle(true)
        .build()
        .start();
  }

  @AfterEach
  void stop() throws Exception {
    if (emu != null) {
      emu.close();
    }
    proxy.stop();
    store.close();
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
  }

  @Test
  void createStageWithUrlThenListCopyRemoveAndRestart() throws Exception {
    Path a = parquet("a.parquet", "SELECT i AS id, 'a' || i AS name FROM range(10) t(i)");
    Path b = parquet("b.parquet", "SELECT 100 + i AS id, 'b' AS name FROM range(4) t(i)");
    Path other = parquet("c.parquet", "SELECT 1000 AS id, 'c' AS name");
    put("exports/run1/a.parquet", a);
    put("exports/run1/b.parquet", b);
    put("elsewhere/c.parquet", other);
    String copy =
        "COPY INTO TESTDB.RAW.LOADED FROM @EXT/run1/ FILE_FORMAT = (TYPE = PARQUET)"
            + " MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE FORCE = FALSE";
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE LOADED (ID NUMBER, NAME VARCHAR)");
      assertEquals(
          List.of(List.of("Stage area EXT successfully created.")),
          rows(
              st,
              "CREATE STAGE EXT URL = 's3://"
                  + BUCKET
                  + "/exports/' CREDENTIALS = (AWS_KEY_ID = '"
                  + ACCESS
                  + "' AWS_SECRET_KEY = '"
                  + SECRET
                  + "') FILE_FORMAT = (TYPE = PARQUET)"));

      List<List<String>> listed = rows(st, "LIST @EXT");
      assertEquals(
          List.of(
              List.of(
                  "s3://landing-bucket/exports/run1/a.parquet",
                  Long.toString(Files.size(a)),
                  Stages.md5(a)),
              List.of(
                  "s3://landing-bucket/exports/run1/b.parquet",
                  Long.toString(Files.size(b)),
                  Stages.md5(b))),
          listed.stream().map(r -> r.subList(0, 3)).collect(Collectors.toList()));
      assertTrue(listed.get(0).get(3).endsWith(" GMT"), listed.toString());
      assertEquals(
          List.of("s3://landing-bucket/exports/run1/b.parquet"),
          rows(st, "LIST @EXT/run1/ PATTERN = '.*b[.]parquet'").stream()
              .map(r -> r.get(0))
              .collect(Collectors.toList()));

      // FILES picks one file; the load history then skips it, and the next COPY loads the other.
      assertEquals(
          List.of(
              Arrays.asList(
                  "s3://landing-bucket/exports/run1/a.parquet",
                  "LOADED",
                  "10",
                  "10",
                  "1",
                  "0",
                  null,
                  null,
                  null,
                  null)),
          rows(st, copy + " FILES = ('a.parquet')"));
      assertEquals(
          List.of(List.of("Copy executed with 0 files processed.")),
          rows(st, copy + " FILES = ('a.parquet')"));
      assertEquals(4, st.executeUpdate(copy));
      assertEquals(0, st.executeUpdate(copy));
      assertEquals(
          List.of(List.of(14L, 10L, 4L)),
          emu.query(
              "SELECT count(*), count(*) FILTER (NAME LIKE 'a%'), count(*) FILTER (NAME = 'b')"
                  + " FROM TESTDB.RAW.LOADED"));
      // FORCE loads again; an object changed under the same key loads again without it.
      assertEquals(
          10,
          st.executeUpdate(
              copy.replace("FORCE = FALSE", "FORCE = TRUE") + " FILES = ('a.parquet')"));
      put("exports/run1/b.parquet", parquet("b2.parquet", "SELECT 200 AS id, 'b2' AS name"));
      assertEquals(1, st.executeUpdate(copy));
      assertEquals(List.of(List.of(25L)), emu.query("SELECT count(*) FROM TESTDB.RAW.LOADED"));

      // PUT into an external stage is refused; REMOVE deletes from the bucket.
      SnowflakeSQLException putRefused =
          assertThrows(
              SnowflakeSQLException.class,
              () -> st.executeQuery("PUT file://" + a + " @EXT/run1/ AUTO_COMPRESS = FALSE"));
      assertTrue(
          putRefused.getMessage().contains("PUT cannot upload into the external stage EXT"),
          putRefused.getMessage());
      assertEquals(
          List.of(List.of("s3://landing-bucket/exports/run1/a.parquet", "removed")),
          rows(st, "REMOVE @EXT/run1/a.parquet"));
      assertEquals(List.of("elsewhere/c.parquet", "exports/run1/b.parquet"), keys());
    }

    String log = String.join("\n", emu.statements());
    assertTrue(log.contains("AWS_SECRET_KEY = '****'"), log);
    assertFalse(log.contains(SECRET), log);
    assertFalse(log.contains(ACCESS), log);

    // The stage, credentials included, survives a restart on the same root.
    emu.close();
    emu = emulator();
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      assertEquals(
          List.of("s3://landing-bucket/exports/run1/b.parquet"),
          rows(st, "LIST @TESTDB.RAW.EXT").stream()
              .map(r -> r.get(0))
              .collect(Collectors.toList()));
      st.execute("DROP STAGE TESTDB.RAW.EXT");
      assertThrows(SnowflakeSQLException.class, () -> st.executeQuery("LIST @TESTDB.RAW.EXT"));
      // Dropping an external stage leaves its objects alone, as in Snowflake.
      assertEquals(List.of("elsewhere/c.parquet", "exports/run1/b.parquet"), keys());
    }
  }

  @Test
  void storageIntegrationSignsWithTheEmulatorsDefaultChainAndBadKeysFailAsSqlErrors()
      throws Exception {
    put("in/x.parquet", parquet("x.parquet", "SELECT 7 AS id"));
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE STORAGE INTEGRATION S3_INT TYPE = EXTERNAL_STAGE STORAGE_PROVIDER = 'S3'"
              + " ENABLED = TRUE STORAGE_ALLOWED_LOCATIONS = ('s3://"
              + BUCKET
              + "/')");
      st.execute(
          "CREATE STAGE VIA_INT URL = 's3://" + BUCKET + "/in' STORAGE_INTEGRATION = S3_INT");
      System.setProperty("aws.accessKeyId", ACCESS);
      System.setProperty("aws.secretAccessKey", SECRET);
      assertEquals(
          List.of("s3://landing-bucket/in/x.parquet"),
          rows(st, "LIST @VIA_INT").stream().map(r -> r.get(0)).collect(Collectors.toList()));

      st.execute(
          "CREATE OR REPLACE STAGE WRONG URL = 's3://"
              + BUCKET
              + "/in/' CREDENTIALS = (AWS_KEY_ID = '"
              + ACCESS
              + "' AWS_SECRET_KEY = 'not-the-secret')");
      SnowflakeSQLException denied =
          assertThrows(SnowflakeSQLException.class, () -> st.executeQuery("LIST @WRONG"));
      assertEquals(91003, denied.getErrorCode());
      assertTrue(
          denied.getMessage().startsWith("Failure using stage area s3://landing-bucket/in."),
          denied.getMessage());
      assertFalse(denied.getMessage().contains(SECRET));

      SnowflakeSQLException gcs =
          assertThrows(
              SnowflakeSQLException.class,
              () -> st.execute("CREATE STAGE ON_GCS URL = 'gcs://bucket/path/'"));
      assertEquals(2040, gcs.getErrorCode());
      SnowflakeSQLException both =
          assertThrows(
              SnowflakeSQLException.class,
              () ->
                  st.execute(
                      "CREATE STAGE BOTH URL = 's3://b/p' STORAGE_INTEGRATION = S3_INT"
                          + " CREDENTIALS = (AWS_KEY_ID = 'k' AWS_SECRET_KEY = 's')"));
      assertEquals(1003, both.getErrorCode());
    }
  }

  private Path parquet(String name, String select) throws SQLException {
    Path file = tmp.resolve("local").resolve(name);
    try {
      Files.createDirectories(file.getParent());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      st.execute("COPY (" + select + ") TO '" + file + "' (FORMAT parquet)");
    }
    return file;
  }

  /** Writes an object as a worker would (straight into the store, not through the emulator). */
  private void put(String key, Path file) throws Exception {
    BlobStore blobs = store.getBlobStore();
    blobs.putBlob(BUCKET, blobs.blobBuilder(key).payload(Files.readAllBytes(file)).build());
  }

  private List<String> keys() {
    List<String> keys = new ArrayList<>();
    for (StorageMetadata m :
        store.getBlobStore().list(BUCKET, ListContainerOptions.Builder.recursive())) {
      if (m.getType() == StorageType.BLOB) {
        keys.add(m.getName());
      }
    }
    keys.sort(null);
    return keys;
  }

  private Connection connect() throws SQLException {
    Properties p = new Properties();
    p.put("user", "loader");
    p.put("password", "pw");
    p.put("db", "TESTDB");
    p.put("schema", "RAW");
    p.put("warehouse", "EMU_WH");
    p.put("disablePlatformDetection", "true");
    return DriverManager.getConnection(emu.jdbcUrl(), p);
  }

  private static List<List<String>> rows(Statement st, String sql) throws SQLException {
    List<List<String>> out = new ArrayList<>();
    try (ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          row.add(rs.getString(i));
        }
        out.add(row);
      }
    }
    return out;
  }
}
