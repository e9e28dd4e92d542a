/**
 * Fixtures for testing aggregates and command handlers: {@link io.cqrs.testing.AggregateFixture}
 * runs given/when/then scenarios in memory. The contract suites that every store and bus adapter
 * passes ship in this module's test jar.
 */
package io.cqrs.testing;
