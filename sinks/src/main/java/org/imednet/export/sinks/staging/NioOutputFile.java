package org.imednet.export.sinks.staging;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import javax.annotation.Nullable;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/**
 * A Parquet {@link OutputFile} on a {@link java.nio.file.Path}, so local files are written without
 * Hadoop's FileSystem (parquet 1.13.1 has no {@code LocalOutputFile}; it arrived in 1.14).
 */
final class NioOutputFile implements OutputFile {
  private final Path path;
  private @Nullable PositionOutputStream opened;

  NioOutputFile(Path path) {
    this.path = path;
  }

  @Override
  public PositionOutputStream create(long blockSizeHint) throws IOException {
    return open(StandardOpenOption.CREATE_NEW);
  }

  @Override
  public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
    return open(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
  }

  private PositionOutputStream open(StandardOpenOption... options) throws IOException {
    OutputStream out =
        new java.io.BufferedOutputStream(Files.newOutputStream(path, options), 1 << 16);
    opened =
        new PositionOutputStream() {
          private long position;

          @Override
          public long getPos() {
            return position;
          }

          @Override
          public void write(int b) throws IOException {
            out.write(b);
            position++;
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            position += len;
          }

          @Override
          public void flush() throws IOException {
            out.flush();
          }

          @Override
          public void close() throws IOException {
            out.close();
          }
        };
    return opened;
  }

  /**
   * Closes the stream {@code create} opened, as it is: for a writer that failed and must not finish
   * the file (parquet 1.13.1's ParquetFileWriter has no {@code abort}).
   */
  void abort() throws IOException {
    if (opened != null) {
      opened.close();
    }
  }

  @Override
  public boolean supportsBlockSize() {
    return false;
  }

  @Override
  public long defaultBlockSize() {
    return 0;
  }

  @Override
  public String getPath() {
    return path.toString();
  }
}
