/**
 * Test data shared by every module's tests: the bundled sample studies ({@link
 * org.imednet.export.testdata.SampleStudies}), the synthetic generator and the local emulators.
 */
package org.imednet.export.testdata;
