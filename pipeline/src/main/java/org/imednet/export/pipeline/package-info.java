/**
 * The export job: {@link ExportSpec} (what to export where), {@link ExportJob} (build and run the
 * Beam pipeline) and {@link RunSummary} (API totals vs rows written, per study and form).
 */
package org.imednet.export.pipeline;
