/**
 * The Beam counters every stage reports per study and form, read back by the CLI for progress and
 * the end-of-run reconciliation (API totals vs rows written vs failures).
 */
package org.imednet.export.metrics;
