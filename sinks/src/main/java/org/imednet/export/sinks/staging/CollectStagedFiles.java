package org.imednet.export.sinks.staging;

import org.apache.beam.sdk.coders.IterableCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/**
 * Gathers every staged file of a run into a single element, so that the commit after it runs as one
 * DoFn invocation on one worker, and only after all writes have finished (a GroupByKey emits
 * nothing before its whole input is complete). The list is small: one entry per file, not per row.
 * An empty input produces no element, so the commit does not run.
 */
public final class CollectStagedFiles
    extends PTransform<PCollection<StagedFile>, PCollection<KV<Integer, Iterable<StagedFile>>>> {
  private static final long serialVersionUID = 1L;

  private CollectStagedFiles() {}

  public static CollectStagedFiles create() {
    return new CollectStagedFiles();
  }

  @Override
  public PCollection<KV<Integer, Iterable<StagedFile>>> expand(PCollection<StagedFile> files) {
    SerializableCoder<StagedFile> fileCoder = SerializableCoder.of(StagedFile.class);
    PCollection<KV<Integer, StagedFile>> keyed =
        files
            .apply("OneKey", WithKeys.<Integer, StagedFile>of(0))
            .setCoder(KvCoder.of(VarIntCoder.of(), fileCoder));
    return keyed
        .apply("AfterAllWrites", GroupByKey.create())
        .setCoder(KvCoder.of(VarIntCoder.of(), IterableCoder.of(fileCoder)));
  }
}
