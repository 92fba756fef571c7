/**
 * The DuckDB file sink: {@link org.imednet.export.sinks.duckdb.WriteDuckDbFile} stages Parquet in
 * parallel and loads it into one DuckDB file in a single transaction.
 */
package org.imednet.export.sinks.duckdb;
