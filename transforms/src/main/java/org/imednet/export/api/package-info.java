/**
 * The iMednet REST API client: configuration from the environment, paging, retries and rate
 * limiting. Everything behind the small {@link ImednetApi} interface so tests can use the emulator.
 */
package org.imednet.export.api;
