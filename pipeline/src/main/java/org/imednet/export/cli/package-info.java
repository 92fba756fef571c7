/**
 * The {@code imednet} command line: {@code export parquet|duckdb|snowflake}, {@code lake query},
 * {@code emulator}, {@code demo}; progress while running and the reconciliation summary at the end.
 */
package org.imednet.export.cli;
