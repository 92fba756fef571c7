package org.imednet.export.sinks.staging;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.imednet.export.sinks.parquet.PathStyleS3ClientBuilderFactory;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * An S3-compatible server (S3Proxy over its in-memory "transient-nio2" store) on 127.0.0.1 and a
 * free port, with signature checking on. The AWS default credential chain finds its keys in the
 * {@code aws.accessKeyId}/{@code aws.secretAccessKey} system properties, as it would find real ones
 * in the environment; they never appear in pipeline arguments.
 */
public final class LocalS3 implements AutoCloseable {
  public static final String ACCESS_KEY = "local-s3-access";
  public static final String SECRET_KEY = "local-s3-secret-never-logged";

  private final BlobStoreContext context;
  private final S3Proxy proxy;

  private LocalS3(BlobStoreContext context, S3Proxy proxy) {
    this.context = context;
    this.proxy = proxy;
  }

  /** Starts the server with one empty bucket per name. */
  public static LocalS3 start(String... buckets) throws Exception {
    BlobStoreContext context =
        ContextBuilder.newBuilder("transient-nio2")
            .credentials("identity", "credential")
            .build(BlobStoreContext.class);
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(context.getBlobStore())
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            // Beam's uploads send x-amz-server-side-encryption-bucket-key-enabled, which S3
            // accepts and S3Proxy would answer with 501 Not Implemented.
            .ignoreUnknownHeaders(true)
            .build();
    proxy.start();
    if (!"STARTED".equals(proxy.getState())) {
      throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
    }
    for (String bucket : buckets) {
      context.getBlobStore().createContainerInLocation(null, bucket);
    }
    System.setProperty("aws.accessKeyId", ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", SECRET_KEY);
    return new LocalS3(context, proxy);
  }

  public void createBucket(String bucket) {
    context.getBlobStore().createContainerInLocation(null, bucket);
  }

  public String endpoint() {
    return "http://127.0.0.1:" + proxy.getPort();
  }

  /** The Beam options that point s3:// at this server (no credentials among them). */
  public List<String> beamArgs() {
    List<String> args = new ArrayList<>();
    args.add("--endpoint=" + endpoint());
    args.add("--awsRegion=us-east-1");
    args.add("--s3ClientFactoryClass=" + PathStyleS3ClientBuilderFactory.class.getName());
    return args;
  }

  /** DirectRunner options with {@link #beamArgs()}, also registered with {@link FileSystems}. */
  public PipelineOptions options() {
    List<String> args = new ArrayList<>(beamArgs());
    args.add("--runner=DirectRunner");
    PipelineOptions options = PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).create();
    FileSystems.setDefaultPipelineOptions(options);
    return options;
  }

  /** Every object key in {@code bucket}, sorted, as an S3 listing (through Beam) shows them. */
  public List<String> keys(String bucket) throws java.io.IOException {
    List<String> keys = new ArrayList<>();
    String prefix = "s3://" + bucket + "/";
    for (var m :
        FileSystems.match(prefix + "**", org.apache.beam.sdk.io.fs.EmptyMatchTreatment.ALLOW)
            .metadata()) {
      keys.add(m.resourceId().toString().substring(prefix.length()));
    }
    keys.sort(null);
    return keys;
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
    context.close();
  }
}
