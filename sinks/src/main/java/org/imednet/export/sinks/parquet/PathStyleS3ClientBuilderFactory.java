package org.imednet.export.sinks.parquet;

import org.apache.beam.sdk.io.aws2.options.S3ClientBuilderFactory;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.aws2.s3.DefaultS3ClientBuilderFactory;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Beam's S3 client with path-style requests ({@code http://host:port/bucket/key}) instead of
 * virtual-hosted ones ({@code http://bucket.host:port/key}), for S3-compatible servers reached by
 * address (MinIO, S3Proxy, Ceph on {@code 127.0.0.1}), where {@code bucket.127.0.0.1} resolves to
 * nothing. Everything else (region, endpoint, credentials from the AWS default chain) is Beam's
 * default:
 *
 * <pre>{@code
 * --endpoint=http://127.0.0.1:9000 --awsRegion=us-east-1 \
 * --s3ClientFactoryClass=org.imednet.export.sinks.parquet.PathStyleS3ClientBuilderFactory
 * }</pre>
 */
public final class PathStyleS3ClientBuilderFactory implements S3ClientBuilderFactory {
  @Override
  public S3ClientBuilder createBuilder(S3Options options) {
    return new DefaultS3ClientBuilderFactory().createBuilder(options).forcePathStyle(true);
  }
}
