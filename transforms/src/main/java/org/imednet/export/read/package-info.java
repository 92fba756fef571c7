/**
 * Beam sources over the iMednet API: {@link org.imednet.export.read.ReadStudyRecords} (records by
 * form, keyset-paged in parallel recordId ranges) and {@code ReadStudyMetadata}, with their DoFns.
 */
package org.imednet.export.read;
