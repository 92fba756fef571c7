/**
 * The typed rows that flow from record flattening into every sink: {@link TableSchema}, {@link
 * RowBatch} and its coder, and {@link FailedRecord} for input that could not be processed.
 */
package org.imednet.export.rows;
