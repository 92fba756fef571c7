/**
 * Record → typed row flattening: {@link org.imednet.export.flatten.FormSchema} (variables →
 * columns), {@link org.imednet.export.flatten.ValueParser}, {@link
 * org.imednet.export.flatten.RecordFlattener} and the {@link
 * org.imednet.export.flatten.FlattenRecords} transform.
 */
package org.imednet.export.flatten;
