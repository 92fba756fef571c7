package org.imednet.export.sinks.staging;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.parquet.bytes.ByteBufferAllocator;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.values.ValuesWriter;
import org.apache.parquet.column.values.dictionary.DictionaryValuesWriter;
import org.apache.parquet.column.values.dictionary.IntList;
import org.apache.parquet.io.api.Binary;

/**
 * Dictionary encoding of a BINARY (string) column that writes what parquet-mr's {@code
 * PlainBinaryDictionaryValuesWriter} writes (ids in order of first occurrence, the same PLAIN
 * dictionary page, the same fallback decisions) for less CPU.
 *
 * <p>parquet-mr keeps the dictionary in a fastutil {@code Object2IntLinkedOpenHashMap<Binary>}.
 * That map stores no hash codes, so each probe of a lookup follows a {@code Binary} to its byte
 * array and compares the bytes; a new value is hashed twice (lookup, then insert) and copied into
 * an object of its own. In the profile of a 1 M-record export these lookups were about a tenth of
 * the exporter's CPU time ({@code Binary.equals} alone 8–9 %).
 *
 * <p>Here the entries' bytes lie back to back in one array in id order, which is also the order of
 * the dictionary page, and an open-addressing table of {@code long}s holds each entry's 32-bit hash
 * code next to its id: a lookup hashes the value once, word by word, and compares bytes only with
 * entries whose hash code is equal, which in practice is the entry it is looking for.
 *
 * <p>{@link DictionaryValuesWriter} keeps the rest: the ids of the current page, their
 * RLE/bit-packed encoding, the size limit, and the bookkeeping of which part of the dictionary
 * earlier pages used.
 */
final class BinaryDictionaryValuesWriter extends CompactDictionaryValuesWriter {
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INTS =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  /** Initial table size; a power of two. The table is kept at most half full. */
  private static final int INITIAL_SLOTS = 64;

  private static final int INITIAL_ARENA_BYTES = 1024;

  /** An odd constant whose bits look random (2^64 divided by the golden ratio). */
  private static final long MULTIPLIER = 0x9E3779B97F4A7C15L;

  /** A free slot; occupied slots hold {@code hash << 32 | (id + 1)}. */
  private static final long FREE = 0;

  /** Arrays longer than this may fail to allocate on some JVMs. */
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  /** The entries' bytes: entry {@code id} is {@code arena[offsets[id] .. offsets[id + 1])}. */
  private byte[] arena;

  private int[] offsets;
  private long[] slots;

  /** {@code 32 - log2(slots.length)}: a hash code's high bits index the table. */
  private int shift;

  BinaryDictionaryValuesWriter(
      int maxDictionaryByteSize,
      Encoding encodingForDataPage,
      Encoding encodingForDictionaryPage,
      ByteBufferAllocator allocator) {
    super(maxDictionaryByteSize, encodingForDataPage, encodingForDictionaryPage, allocator);
    clearDictionaryContent();
  }

  @Override
  public void writeBytes(Binary value) {
    ByteBuffer bytes = value.toByteBuffer();
    int id =
        bytes.hasArray()
            ? idOf(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining())
            : idOf(value.getBytes(), 0, value.length());
    encodedValues.add(id);
  }

  /** The id of a value, added to the dictionary if it is new. */
  private int idOf(byte[] bytes, int offset, int length) {
    int hash = hash(bytes, offset, length);
    int mask = slots.length - 1;
    for (int i = hash >>> shift; ; i = (i + 1) & mask) {
      long slot = slots[i];
      if (slot == FREE) {
        return add(i, hash, bytes, offset, length);
      }
      if ((int) (slot >>> 32) == hash) {
        int id = (int) slot - 1;
        int start = offsets[id];
        if (offsets[id + 1] - start == length && sameBytes(arena, start, bytes, offset, length)) {
          return id;
        }
      }
    }
  }

  private int add(int slot, int hash, byte[] bytes, int offset, int length) {
    int id = size;
    int start = offsets[id];
    int end = Math.addExact(start, length);
    if (end > arena.length) {
      int doubled = arena.length <= MAX_ARRAY / 2 ? 2 * arena.length : MAX_ARRAY;
      arena = Arrays.copyOf(arena, Math.max(end, doubled));
    }
    System.arraycopy(bytes, offset, arena, start, length);
    if (id + 2 > offsets.length) {
      offsets = Arrays.copyOf(offsets, 2 * offsets.length);
    }
    offsets[id + 1] = end;
    slots[slot] = (long) hash << 32 | (id + 1);
    size++;
    // As PLAIN encoded in the dictionary page: a 4-byte length, then the bytes.
    dictionaryByteSize += 4L + length;
    if (size > slots.length >>> 1) {
      growTable();
    }
    return id;
  }

  /** Doubles the table; slots move by their stored hash code, without touching entries' bytes. */
  private void growTable() {
    long[] grown = new long[2 * slots.length];
    int mask = grown.length - 1;
    shift--;
    for (long slot : slots) {
      if (slot != FREE) {
        int i = (int) (slot >>> 32) >>> shift;
        while (grown[i] != FREE) {
          i = (i + 1) & mask;
        }
        grown[i] = slot;
      }
    }
    slots = grown;
  }

  /**
   * A hash code of bytes, whose high bits are well mixed (the table indexes with them). Bytes are
   * read eight (or four) at a time, each word xored into the state and multiplied by a large odd
   * constant, which carries every bit of it into the high bits. A value that is no multiple of
   * eight bytes long ends with a word that overlaps the one before instead of a loop over a tail,
   * and one shorter than four bytes is fully described by its first, middle and last byte; the seed
   * is the length, so values of different lengths read alike are told apart.
   */
  static int hash(byte[] bytes, int offset, int length) {
    long h = length;
    if (length >= 8) {
      int last = offset + length - 8;
      for (int i = offset; i < last; i += 8) {
        h = (h ^ (long) LONGS.get(bytes, i)) * MULTIPLIER;
      }
      h = (h ^ (long) LONGS.get(bytes, last)) * MULTIPLIER;
    } else if (length >= 4) {
      long first = (int) INTS.get(bytes, offset);
      long last = (int) INTS.get(bytes, offset + length - 4);
      h = (h ^ (first << 32 | (last & 0xFFFF_FFFFL))) * MULTIPLIER;
    } else if (length > 0) {
      int first = bytes[offset] & 0xFF;
      int middle = bytes[offset + length / 2] & 0xFF;
      int last = bytes[offset + length - 1] & 0xFF;
      h = (h ^ (first << 16 | middle << 8 | last)) * MULTIPLIER;
    }
    return (int) (h >>> 32);
  }

  /**
   * Whether two ranges of equal length hold the same bytes, compared as {@link #hash} reads them: a
   * dictionary's values are mostly short, where {@link Arrays#equals(byte[], int, int, byte[], int,
   * int)} spends more on its checks and the call to its vectorized loop than on comparing.
   */
  private static boolean sameBytes(byte[] a, int aOffset, byte[] b, int bOffset, int length) {
    if (length >= 8) {
      int tail = length - 8;
      for (int i = 0; i < tail; i += 8) {
        if ((long) LONGS.get(a, aOffset + i) != (long) LONGS.get(b, bOffset + i)) {
          return false;
        }
      }
      return (long) LONGS.get(a, aOffset + tail) == (long) LONGS.get(b, bOffset + tail);
    }
    if (length >= 4) {
      int tail = length - 4;
      return (int) INTS.get(a, aOffset) == (int) INTS.get(b, bOffset)
          && (int) INTS.get(a, aOffset + tail) == (int) INTS.get(b, bOffset + tail);
    }
    for (int i = 0; i < length; i++) {
      if (a[aOffset + i] != b[bOffset + i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public DictionaryPage toDictPageAndClose() {
    if (lastUsedDictionarySize == 0) {
      return null;
    }
    // Only the entries pages were encoded with; PLAIN: each value's little-endian length, then it.
    ByteBuffer page =
        ByteBuffer.allocate(lastUsedDictionaryByteSize).order(ByteOrder.LITTLE_ENDIAN);
    for (int id = 0; id < lastUsedDictionarySize; id++) {
      int start = offsets[id];
      int length = offsets[id + 1] - start;
      page.putInt(length).put(arena, start, length);
    }
    return new DictionaryPage(
        BytesInput.from(page.array()), lastUsedDictionarySize, encodingForDictionaryPage);
  }

  /** Starts an empty dictionary in small arrays, releasing a large one. */
  @Override
  protected void clearDictionaryContent() {
    arena = new byte[INITIAL_ARENA_BYTES];
    offsets = new int[INITIAL_SLOTS / 2 + 1];
    slots = new long[INITIAL_SLOTS];
    shift = Integer.numberOfLeadingZeros(INITIAL_SLOTS) + 1;
    size = 0;
  }

  @Override
  protected void fallBackDictionaryEncodedData(ValuesWriter writer) {
    IntList.IntIterator ids = encodedValues.iterator();
    while (ids.hasNext()) {
      int id = ids.next();
      int start = offsets[id];
      // "Reused": the arena stays this dictionary's, so a writer must copy what it keeps.
      writer.writeBytes(Binary.fromReusedByteArray(arena, start, offsets[id + 1] - start));
    }
  }
}
