/**
 * The local iMednet EDC API emulator: an HTTP server with the API's paths, auth, paging, sort and
 * filter grammar, backed by a {@link org.imednet.export.testdata.emulator.StudyData}, with
 * deterministic fault injection ({@link org.imednet.export.testdata.emulator.FaultPlan}).
 */
package org.imednet.export.testdata.emulator;
