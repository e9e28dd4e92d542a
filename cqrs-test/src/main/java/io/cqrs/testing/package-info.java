/**
 * The test kit of cqrs, published as {@code cqrs-test} for users' test scope: {@link
 * io.cqrs.testing.AggregateFixture} runs given/when/then scenarios in memory, and the contract
 * suites ({@link io.cqrs.testing.EventStreamRepositoryContract}, {@link
 * io.cqrs.testing.RelayStoreContract}, {@link io.cqrs.testing.CommandDeduplicationContract}, {@link
 * io.cqrs.testing.CommandBusContract}, {@link io.cqrs.testing.EventBusContract}) are what every
 * store and bus adapter passes, each through a one-line subclass; {@link
 * io.cqrs.testing.SplitEventsContract} is what a store makes of events that upcasters split or
 * drop. {@link io.cqrs.testing.SchemaLock} fails a build whose message classes no longer read what
 * the application has stored. {@link io.cqrs.testing.Await} waits for asynchronous outcomes with a
 * deadline. A test store that records, orders or fails some calls extends {@link
 * io.cqrs.testing.ForwardingEventStreamRepository}, {@link io.cqrs.testing.ForwardingRelayStore} or
 * {@link io.cqrs.testing.ForwardingProcessorStore} and overrides only those calls.
 */
package io.cqrs.testing;
