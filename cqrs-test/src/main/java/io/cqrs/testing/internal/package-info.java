/**
 * The build's record of suites skipped for lack of a server: a JUnit Platform listener that writes
 * them down, and the program that sums them up at the end of cqrs's build. Not an API.
 */
package io.cqrs.testing.internal;
