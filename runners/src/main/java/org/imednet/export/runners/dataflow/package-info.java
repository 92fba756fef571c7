/**
 * Google Cloud Dataflow support: an offline dry run that validates Dataflow options and translates
 * the pipeline graph. Compiled only with {@code -Pdataflow}.
 */
package org.imednet.export.runners.dataflow;
