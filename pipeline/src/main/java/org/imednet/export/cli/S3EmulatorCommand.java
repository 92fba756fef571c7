package org.imednet.export.cli;

import java.io.PrintWriter;
import java.net.BindException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.imednet.export.sinks.parquet.PathStyleS3ClientBuilderFactory;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.filesystem.reference.FilesystemConstants;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code imednet emulator s3}: an S3-compatible server (S3Proxy over jclouds' {@code filesystem}
 * store) on 127.0.0.1 with one bucket ready, until Ctrl-C. It prints the {@code AWS_*} settings and
 * the Beam flags that point {@code imednet export parquet --lake s3://…}, {@code imednet lake
 * query} and {@code imednet emulator snowflake}'s external stages at it.
 */
@Command(
    name = "s3",
    mixinStandardHelpOptions = true,
    header = "Run a local S3-compatible server on 127.0.0.1, for s3:// lakes and stages.",
    description = {
      "Run S3Proxy (what the tests write s3:// lakes to) on 127.0.0.1 over plain HTTP,",
      "create the bucket, and print the AWS_* settings and the flags that point",
      "`imednet export parquet --lake s3://...`, `imednet lake query` and the external",
      "stages of `imednet emulator snowflake` at it. Requests must be signed with the",
      "printed access key and the emulator's secret key (given as AWS_SECRET_ACCESS_KEY).",
      "Each bucket is a folder DIR/<BUCKET>/ and each object a file under it. Without",
      "--data-dir a temporary DIR is used and removed on exit; with it the objects are",
      "kept (and served again on the next start) to inspect after Ctrl-C.",
      "Runs until Ctrl-C."
    })
final class S3EmulatorCommand implements Callable<Integer> {
  /** The emulator's well-known access key, as the iMednet emulator has well-known keys. */
  static final String ACCESS_KEY = "imednet-emulator";

  /** The emulator's well-known secret key. */
  static final String SECRET_KEY = "emulator-s3-secret-key";

  /** The region requests are signed for; S3Proxy accepts any, the AWS SDK needs one. */
  static final String REGION = "us-east-1";

  static final String HOST = "127.0.0.1";

  /** S3's rules for a bucket name (no dots: path-style requests need none). */
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9-]{1,61}[a-z0-9]");

  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--port",
      paramLabel = "N",
      description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).",
      defaultValue = "9000")
  int port;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Keep the objects here: one folder per bucket, DIR/<BUCKET>/"
              + " (default: a temporary folder, removed on exit).")
  Path dataDir;

  @Option(
      names = "--bucket",
      paramLabel = "NAME",
      description = "Bucket to create if missing (default: ${DEFAULT-VALUE}).",
      defaultValue = "imednet")
  String bucket;

  @Override
  public Integer call() throws Exception {
    if (!BUCKET.matcher(bucket).matches()) {
      throw new IllegalArgumentException(
          "--bucket must be 3..63 lower-case letters, digits or -, starting and ending with a"
              + " letter or digit, was '"
              + bucket
              + "'");
    }
    boolean temporary = dataDir == null;
    Path root =
        temporary
            ? Files.createTempDirectory("imednet-s3-emulator-")
            : dataDir.toAbsolutePath().normalize();
    Files.createDirectories(root);
    Properties overrides = new Properties();
    overrides.setProperty(FilesystemConstants.PROPERTY_BASEDIR, root.toString());
    BlobStoreContext store =
        ContextBuilder.newBuilder("filesystem")
            .overrides(overrides)
            .credentials("identity", "credential")
            .build(BlobStoreContext.class);
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(store.getBlobStore())
            .endpoint(URI.create("http://" + HOST + ":" + port))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            // Beam's uploads send x-amz-server-side-encryption-bucket-key-enabled, which S3
            // accepts and S3Proxy would answer with 501 Not Implemented.
            .ignoreUnknownHeaders(true)
            .build();
    EmulatorStop stopper =
        new EmulatorStop(
            () -> {
              try {
                if (!"STOPPED".equals(proxy.getState())) {
                  proxy.stop();
                }
              } finally {
                store.close();
              }
            },
            temporary ? root : null);
    try {
      proxy.start();
    } catch (Exception e) {
      stopper.stop();
      if (causedBy(e, BindException.class)) {
        throw new IllegalArgumentException(
            "port "
                + port
                + " of 127.0.0.1 is in use; choose another with --port N (0 picks a free one)");
      }
      throw e;
    }
    Thread hook = new Thread(stopper::stop, "s3-emulator-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      if (!"STARTED".equals(proxy.getState())) {
        throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
      }
      store.getBlobStore().createContainerInLocation(null, bucket);
      print(spec.commandLine().getOut(), proxy.getPort(), root, temporary, bucket);
      try {
        stopper.stopped.await();
      } catch (InterruptedException e) {
        // Stopped in-process (a test, an embedding program): shut down like Ctrl-C, before the
        // interrupt is restored (Jetty's stop would give up at once on an interrupted thread).
        stopper.stop();
        Thread.currentThread().interrupt();
      }
      return ImednetCli.EXIT_OK;
    } finally {
      stopper.stop();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // Ctrl-C: the hook is running or has run.
      }
    }
  }

  private static void print(
      PrintWriter out, int port, Path root, boolean temporary, String bucket) {
    String endpoint = "http://" + HOST + ":" + port;
    out.println(
        "S3 emulator (S3Proxy) at "
            + endpoint
            + ", objects in "
            + root
            + (temporary ? " (removed on exit; --data-dir DIR keeps them)" : ""));
    out.println(
        "Bucket "
            + bucket
            + " is ready; requests must be signed with the access key below and the emulator's"
            + " secret key.");
    out.println("Give the AWS SDK (the exporter, `imednet lake query`) the keys with:");
    out.println("  export AWS_ACCESS_KEY_ID=" + ACCESS_KEY);
    out.println("  export AWS_SECRET_ACCESS_KEY=" + SECRET_KEY);
    out.println("  export AWS_REGION=" + REGION);
    out.println("and add to `imednet export parquet` and `imednet lake query`:");
    String flags =
        "--lake s3://"
            + bucket
            + "/lake --endpoint="
            + endpoint
            + " --awsRegion="
            + REGION
            + " --s3ClientFactoryClass="
            + PathStyleS3ClientBuilderFactory.class.getName();
    out.println("  " + flags);
    out.println("e.g.");
    out.println("  ./imednet export parquet CARDIO01 " + flags);
    out.println(
        "The studies come from the iMednet API: `./imednet emulator` serves the samples"
            + " (CARDIO01, ONCO-22) and prints its IMEDNET_* settings.");
    out.println(
        "For Snowflake external stages (`imednet export snowflake --stage-url s3://"
            + bucket
            + "/stage`), start the Snowflake emulator with:");
    out.println("  ./imednet emulator snowflake --s3-endpoint " + endpoint + " --s3-path-style");
    out.println("Ctrl-C to stop.");
    out.flush();
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }
}
