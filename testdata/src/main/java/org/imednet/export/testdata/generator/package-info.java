/**
 * The seeded, streaming synthetic study generator: any record is a pure function of (seed, study,
 * index), so studies of millions of records are served without holding them in memory.
 */
package org.imednet.export.testdata.generator;
