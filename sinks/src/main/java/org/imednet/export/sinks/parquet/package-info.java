/**
 * The Hive-partitioned Parquet lake: {@link org.imednet.export.sinks.parquet.WriteHiveParquet}
 * stages files per bundle and swaps each study's partitions in atomically; {@link
 * org.imednet.export.sinks.parquet.HiveParquet} holds the partition naming and the DuckDB query.
 */
package org.imednet.export.sinks.parquet;
