/**
 * The Hive-partitioned Parquet lake: {@link org.imednet.export.sinks.parquet.WriteHiveParquet}
 * stages files per bundle and swaps each study's partitions in atomically (on object stores, by
 * {@link org.imednet.export.sinks.parquet.ObjectStoreLakeCommit}'s plan-then-copy commit); {@link
 * org.imednet.export.sinks.parquet.HiveParquet} holds the partition naming and the DuckDB query.
 */
package org.imednet.export.sinks.parquet;
