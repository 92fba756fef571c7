/**
 * The API's study structure as the pipeline carries it: forms and variables ({@link FormContext})
 * and pages of raw records ({@link RecordPage}).
 */
package org.imednet.export.model;
