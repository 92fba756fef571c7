/**
 * Staging Parquet files shared by the sinks that commit in one step: a bounded-memory writer of
 * {@link org.imednet.export.rows.RowBatch} rows to Parquet, and the DoFn that stages them per
 * bundle.
 */
package org.imednet.export.sinks.staging;
