package org.imednet.export.rows;

/**
 * The value types a column can hold, and the Java class each value has inside a {@link RowBatch}.
 *
 * <table>
 *   <tr><th>type</th><th>Java value</th><th>Parquet / DuckDB</th><th>Snowflake</th></tr>
 *   <tr><td>STRING</td><td>{@link String}</td><td>BYTE_ARRAY (UTF8) / VARCHAR</td><td>VARCHAR</td></tr>
 *   <tr><td>LONG</td><td>{@link Long}</td><td>INT64 / BIGINT</td><td>NUMBER(38,0)</td></tr>
 *   <tr><td>DOUBLE</td><td>{@link Double}</td><td>DOUBLE / DOUBLE</td><td>FLOAT</td></tr>
 *   <tr><td>BOOLEAN</td><td>{@link Boolean}</td><td>BOOLEAN / BOOLEAN</td><td>BOOLEAN</td></tr>
 *   <tr><td>DATE</td><td>{@link java.time.LocalDate}</td><td>DATE / DATE</td><td>DATE</td></tr>
 *   <tr><td>TIMESTAMP</td><td>{@link java.time.LocalDateTime}, UTC wall clock</td>
 *       <td>INT64 TIMESTAMP(MICROS, not adjusted) / TIMESTAMP</td><td>TIMESTAMP_NTZ</td></tr>
 * </table>
 *
 * <p>Every value may also be {@code null}.
 */
public enum ColumnType {
  STRING,
  LONG,
  DOUBLE,
  BOOLEAN,
  DATE,
  TIMESTAMP
}
