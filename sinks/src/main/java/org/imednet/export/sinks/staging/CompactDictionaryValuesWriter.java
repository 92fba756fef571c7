package org.imednet.export.sinks.staging;

import org.apache.parquet.bytes.ByteBufferAllocator;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.values.dictionary.DictionaryValuesWriter;
import org.apache.parquet.column.values.dictionary.IntList;

/**
 * What the dictionary writers of {@link CompactDictionaryValuesWriterFactory} share: the number of
 * entries, and a reset that forgets everything of the previous column chunk.
 */
abstract class CompactDictionaryValuesWriter extends DictionaryValuesWriter {
  /** Entries in the dictionary; entry ids are {@code 0 .. size - 1} in order of first use. */
  protected int size;

  CompactDictionaryValuesWriter(
      int maxDictionaryByteSize,
      Encoding encodingForDataPage,
      Encoding encodingForDictionaryPage,
      ByteBufferAllocator allocator) {
    super(maxDictionaryByteSize, encodingForDataPage, encodingForDictionaryPage, allocator);
  }

  /**
   * Also forgets the dictionary's byte size and the ids of a page that fell back to PLAIN, both of
   * which parquet-mr 1.13.1 keeps: a writer reused for another column chunk would carry them into
   * it, falling back too early or writing another chunk's values (apache/parquet-java#3637). {@link
   * ParquetBatchFile} does not reuse writers across row groups.
   */
  @Override
  public void resetDictionary() {
    super.resetDictionary();
    dictionaryByteSize = 0;
    encodedValues = new IntList();
  }

  @Override
  protected int getDictionarySize() {
    return size;
  }
}
