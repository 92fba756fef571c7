/**
 * Loading rows into Snowflake: {@link org.imednet.export.sinks.snowflake.LoadIntoSnowflake} (PUT of
 * content-hashed Parquet files, COPY into a staging table, keyed replace into the target), the
 * batch-by-batch {@link org.imednet.export.sinks.snowflake.SnowflakeBatchLoader}, connection
 * settings and the load manifest.
 */
package org.imednet.export.sinks.snowflake;
