/**
 * The local Snowflake emulator: an HTTP server speaking the snowflake-jdbc driver's wire protocol,
 * backed by embedded DuckDB, with internal stages, COPY load history and fault injection.
 */
package org.imednet.export.testdata.snowflake;
