package org.imednet.export.sinks.staging;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.parquet.bytes.ByteBufferAllocator;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.values.ValuesWriter;
import org.apache.parquet.column.values.dictionary.IntList;

/**
 * Dictionary encoding of an INT32 or INT64 column that writes what parquet-mr's {@code
 * PlainIntegerDictionaryValuesWriter} and {@code PlainLongDictionaryValuesWriter} write (ids in
 * order of first occurrence, the same PLAIN dictionary page, the same fallback decisions) for less
 * CPU.
 *
 * <p>parquet-mr keeps these dictionaries in fastutil's linked hash maps, which maintain a linked
 * list of entries for their order and look a new value up twice (lookup, then insert). Here the
 * values lie in an array in id order, and an open-addressing table holds ids, found by Fibonacci
 * hashing of the value.
 *
 * <p>One class serves both widths, which a column fixes once ({@link #int32} or {@link #int64}):
 * parquet-mr's {@code FallbackValuesWriter} asks its dictionary writer after every value whether to
 * fall back, and with this class and {@link BinaryDictionaryValuesWriter} as the only dictionary
 * writers that call has two possible receiver classes, as many as HotSpot inlines at one call site;
 * a third would make it a call through a dispatch table per value.
 */
final class IntegralDictionaryValuesWriter extends CompactDictionaryValuesWriter {
  /** An odd constant whose bits look random (2^64 divided by the golden ratio). */
  private static final long MULTIPLIER = 0x9E3779B97F4A7C15L;

  /** Initial table size; a power of two. The table is kept at most half full. */
  private static final int INITIAL_SLOTS = 64;

  /** A free slot; occupied slots hold {@code id + 1}. */
  private static final int FREE = 0;

  /** Bytes of a value in PLAIN encoding: {@link Integer#BYTES} or {@link Long#BYTES}. */
  private final int valueBytes;

  /** The dictionary's values in id order; an INT32 column's widened to {@code long}. */
  private long[] values;

  private int[] slots;

  /** {@code 64 - log2(slots.length)}: the high bits of a value times {@link #MULTIPLIER}. */
  private int shift;

  private IntegralDictionaryValuesWriter(
      int valueBytes,
      int maxDictionaryByteSize,
      Encoding encodingForDataPage,
      Encoding encodingForDictionaryPage,
      ByteBufferAllocator allocator) {
    super(maxDictionaryByteSize, encodingForDataPage, encodingForDictionaryPage, allocator);
    this.valueBytes = valueBytes;
    clearDictionaryContent();
  }

  /** A writer for an INT32 column, written with {@link #writeInteger}. */
  static IntegralDictionaryValuesWriter int32(
      int maxDictionaryByteSize,
      Encoding encodingForDataPage,
      Encoding encodingForDictionaryPage,
      ByteBufferAllocator allocator) {
    return new IntegralDictionaryValuesWriter(
        Integer.BYTES,
        maxDictionaryByteSize,
        encodingForDataPage,
        encodingForDictionaryPage,
        allocator);
  }

  /** A writer for an INT64 column, written with {@link #writeLong}. */
  static IntegralDictionaryValuesWriter int64(
      int maxDictionaryByteSize,
      Encoding encodingForDataPage,
      Encoding encodingForDictionaryPage,
      ByteBufferAllocator allocator) {
    return new IntegralDictionaryValuesWriter(
        Long.BYTES,
        maxDictionaryByteSize,
        encodingForDataPage,
        encodingForDictionaryPage,
        allocator);
  }

  @Override
  public void writeInteger(int value) {
    if (valueBytes != Integer.BYTES) {
      throw new UnsupportedOperationException("An INT64 column is written with writeLong");
    }
    encodedValues.add(idOf(value));
  }

  @Override
  public void writeLong(long value) {
    if (valueBytes != Long.BYTES) {
      throw new UnsupportedOperationException("An INT32 column is written with writeInteger");
    }
    encodedValues.add(idOf(value));
  }

  /** The id of a value, added to the dictionary if it is new. */
  private int idOf(long value) {
    int mask = slots.length - 1;
    for (int i = (int) (value * MULTIPLIER >>> shift); ; i = (i + 1) & mask) {
      int slot = slots[i];
      if (slot == FREE) {
        return add(i, value);
      }
      if (values[slot - 1] == value) {
        return slot - 1;
      }
    }
  }

  private int add(int slot, long value) {
    int id = size;
    if (id == values.length) {
      values = Arrays.copyOf(values, 2 * values.length);
    }
    values[id] = value;
    slots[slot] = id + 1;
    size++;
    dictionaryByteSize += valueBytes;
    if (size > slots.length >>> 1) {
      growTable();
    }
    return id;
  }

  /** Doubles the table, placing the ids anew. */
  private void growTable() {
    int[] grown = new int[2 * slots.length];
    int mask = grown.length - 1;
    shift--;
    for (int id = 0; id < size; id++) {
      int i = (int) (values[id] * MULTIPLIER >>> shift);
      while (grown[i] != FREE) {
        i = (i + 1) & mask;
      }
      grown[i] = id + 1;
    }
    slots = grown;
  }

  @Override
  public DictionaryPage toDictPageAndClose() {
    if (lastUsedDictionarySize == 0) {
      return null;
    }
    // Only the entries pages were encoded with; PLAIN: each value in little-endian order.
    ByteBuffer page =
        ByteBuffer.allocate(lastUsedDictionaryByteSize).order(ByteOrder.LITTLE_ENDIAN);
    for (int id = 0; id < lastUsedDictionarySize; id++) {
      if (valueBytes == Integer.BYTES) {
        page.putInt((int) values[id]);
      } else {
        page.putLong(values[id]);
      }
    }
    return new DictionaryPage(
        BytesInput.from(page.array()), lastUsedDictionarySize, encodingForDictionaryPage);
  }

  /** Starts an empty dictionary in small arrays, releasing a large one. */
  @Override
  protected void clearDictionaryContent() {
    values = new long[INITIAL_SLOTS / 2];
    slots = new int[INITIAL_SLOTS];
    shift = Long.numberOfLeadingZeros(INITIAL_SLOTS) + 1;
    size = 0;
  }

  @Override
  protected void fallBackDictionaryEncodedData(ValuesWriter writer) {
    IntList.IntIterator ids = encodedValues.iterator();
    while (ids.hasNext()) {
      long value = values[ids.next()];
      if (valueBytes == Integer.BYTES) {
        writer.writeInteger((int) value);
      } else {
        writer.writeLong(value);
      }
    }
  }
}
