package org.imednet.export.testdata.snowflake;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * How the emulator reaches the buckets of external stages: one S3 client per set of credentials,
 * against {@link SnowflakeEmulator.Builder#s3Endpoint} (an S3-compatible server such as MinIO or
 * S3Proxy) or AWS's own endpoint for the region. Failures become Snowflake's "Failure using stage
 * area" error (091003), so the driver raises them as SQL errors.
 */
final class ObjectStore implements AutoCloseable {
  /** An object of a stage's bucket. */
  static final class Entry {
    final String key;
    final long size;
    final String etag;
    final Instant lastModified;

    Entry(String key, long size, String etag, Instant lastModified) {
      this.key = key;
      this.size = size;
      this.etag = etag;
      this.lastModified = lastModified;
    }
  }

  private final URI endpoint;
  private final boolean pathStyle;
  private final String region;
  private final Map<ExternalStage, S3Client> clients = new ConcurrentHashMap<>();

  ObjectStore(URI endpoint, boolean pathStyle, String region) {
    this.endpoint = endpoint;
    this.pathStyle = pathStyle;
    this.region = region;
  }

  /** The stage's objects whose key starts with {@code keyPrefix}, in key order. */
  List<Entry> list(ExternalStage stage, String keyPrefix) throws SnowflakeError {
    List<Entry> out = new ArrayList<>();
    try {
      for (S3Object o :
          client(stage)
              .listObjectsV2Paginator(
                  ListObjectsV2Request.builder().bucket(stage.bucket).prefix(keyPrefix).build())
              .contents()) {
        if (!o.key().endsWith("/")) {
          out.add(new Entry(o.key(), o.size(), unquote(o.eTag()), o.lastModified()));
        }
      }
    } catch (SdkException e) {
      throw failure(stage, e);
    }
    return out;
  }

  /** Downloads an object to {@code target}, which must not exist yet. */
  void download(ExternalStage stage, String key, Path target) throws SnowflakeError {
    try {
      client(stage)
          .getObject(
              GetObjectRequest.builder().bucket(stage.bucket).key(key).build(),
              ResponseTransformer.toFile(target));
    } catch (SdkException e) {
      try {
        Files.deleteIfExists(target);
      } catch (java.io.IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw failure(stage, e);
    }
  }

  void delete(ExternalStage stage, String key) throws SnowflakeError {
    try {
      client(stage)
          .deleteObject(DeleteObjectRequest.builder().bucket(stage.bucket).key(key).build());
    } catch (SdkException e) {
      throw failure(stage, e);
    }
  }

  private S3Client client(ExternalStage stage) {
    return clients.computeIfAbsent(stage, this::newClient);
  }

  private S3Client newClient(ExternalStage stage) {
    AwsCredentialsProvider credentials;
    if (!stage.hasCredentials()) {
      credentials = DefaultCredentialsProvider.create();
    } else if (stage.token != null) {
      credentials =
          StaticCredentialsProvider.create(
              AwsSessionCredentials.create(stage.keyId, stage.secretKey, stage.token));
    } else {
      credentials =
          StaticCredentialsProvider.create(
              AwsBasicCredentials.create(stage.keyId, stage.secretKey));
    }
    S3ClientBuilder b =
        S3Client.builder()
            .httpClientBuilder(ApacheHttpClient.builder())
            .region(Region.of(region))
            .credentialsProvider(credentials)
            .forcePathStyle(pathStyle);
    if (endpoint != null) {
      b.endpointOverride(endpoint);
    }
    return b.build();
  }

  private static SnowflakeError failure(ExternalStage stage, SdkException e) {
    String cause;
    if (e instanceof AwsServiceException && ((AwsServiceException) e).awsErrorDetails() != null) {
      AwsServiceException s = (AwsServiceException) e;
      cause =
          s.awsErrorDetails().errorMessage()
              + " (Status Code: "
              + s.statusCode()
              + "; Error Code: "
              + s.awsErrorDetails().errorCode()
              + ")";
    } else {
      cause = e.getMessage();
    }
    return new SnowflakeError(
        "091003", "22000", "Failure using stage area " + stage.url + ". Cause: [" + cause + "]");
  }

  private static String unquote(String etag) {
    return etag == null ? "" : etag.replace("\"", "");
  }

  @Override
  public void close() {
    clients.values().forEach(S3Client::close);
    clients.clear();
  }
}
