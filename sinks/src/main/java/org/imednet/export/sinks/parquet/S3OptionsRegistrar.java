package org.imednet.export.sinks.parquet;

import java.util.List;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;

/**
 * Registers Beam's {@link S3Options}, so that its flags ({@code --s3ClientFactoryClass}, {@code
 * --s3UploadBufferSizeBytes}, {@code --SSEAlgorithm}, …) are accepted on the command line like
 * {@code --endpoint} and {@code --awsRegion}: Beam 2.62's own registrar lists only {@code
 * AwsOptions}.
 */
public final class S3OptionsRegistrar implements PipelineOptionsRegistrar {
  @Override
  public Iterable<Class<? extends PipelineOptions>> getPipelineOptions() {
    return List.of(S3Options.class);
  }
}
