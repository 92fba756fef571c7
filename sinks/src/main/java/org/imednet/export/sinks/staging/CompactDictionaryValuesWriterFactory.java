package org.imednet.export.sinks.staging;

import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.values.ValuesWriter;
import org.apache.parquet.column.values.dictionary.DictionaryValuesWriter;
import org.apache.parquet.column.values.factory.DefaultV1ValuesWriterFactory;
import org.apache.parquet.column.values.factory.ValuesWriterFactory;
import org.apache.parquet.column.values.fallback.FallbackValuesWriter;
import org.apache.parquet.column.values.plain.PlainValuesWriter;

/**
 * parquet-mr's value writers for Parquet format version 1 ({@link DefaultV1ValuesWriterFactory}),
 * except that dictionary-encoded BINARY, INT32 and INT64 columns keep their dictionary in {@link
 * BinaryDictionaryValuesWriter} and {@link IntegralDictionaryValuesWriter}, whose lookups cost less
 * CPU than parquet-mr's. The files {@link ParquetBatchFile} writes are the same byte for byte:
 * these writers assign the same ids and write the same dictionary pages, and are wrapped, as
 * parquet-mr wraps its own, in a {@link FallbackValuesWriter} that turns to PLAIN encoding when the
 * dictionary outgrows the dictionary page size or does not make the first page smaller.
 *
 * <p>A factory keeps the properties it is initialized with, so each {@link ParquetProperties} needs
 * its own.
 */
final class CompactDictionaryValuesWriterFactory implements ValuesWriterFactory {
  /**
   * How format version 1 labels both dictionary pages and the data pages encoded with them;
   * deprecated for version 2, which this factory does not write.
   */
  @SuppressWarnings("deprecation")
  private static final Encoding VERSION_1_DICTIONARY = Encoding.PLAIN_DICTIONARY;

  private final ValuesWriterFactory defaults = new DefaultV1ValuesWriterFactory();
  private ParquetProperties properties;

  @Override
  public void initialize(ParquetProperties properties) {
    if (properties.getWriterVersion() != ParquetProperties.WriterVersion.PARQUET_1_0) {
      throw new IllegalArgumentException(
          "Writes Parquet format version 1 only, not " + properties.getWriterVersion());
    }
    this.properties = properties;
    defaults.initialize(properties);
  }

  @Override
  public ValuesWriter newValuesWriter(ColumnDescriptor column) {
    if (!properties.isDictionaryEnabled(column)) {
      return defaults.newValuesWriter(column);
    }
    DictionaryValuesWriter dictionary;
    switch (column.getPrimitiveType().getPrimitiveTypeName()) {
      case BINARY:
        dictionary =
            new BinaryDictionaryValuesWriter(
                properties.getDictionaryPageSizeThreshold(),
                VERSION_1_DICTIONARY,
                VERSION_1_DICTIONARY,
                properties.getAllocator());
        break;
      case INT32:
        dictionary =
            IntegralDictionaryValuesWriter.int32(
                properties.getDictionaryPageSizeThreshold(),
                VERSION_1_DICTIONARY,
                VERSION_1_DICTIONARY,
                properties.getAllocator());
        break;
      case INT64:
        dictionary =
            IntegralDictionaryValuesWriter.int64(
                properties.getDictionaryPageSizeThreshold(),
                VERSION_1_DICTIONARY,
                VERSION_1_DICTIONARY,
                properties.getAllocator());
        break;
      default:
        return defaults.newValuesWriter(column);
    }
    return FallbackValuesWriter.of(
        dictionary,
        new PlainValuesWriter(
            properties.getInitialSlabSize(),
            properties.getPageSizeThreshold(),
            properties.getAllocator()));
  }
}
