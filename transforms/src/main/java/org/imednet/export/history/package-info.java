/**
 * Record history: the long-form values of every observed record version and the record revisions of
 * a date window, for the bronze/silver DuckDB workflow.
 */
package org.imednet.export.history;
