/**
 * What adapter authors implement: the store SPI ({@link io.cqrs.spi.EventStreamRepository}, {@link
 * io.cqrs.spi.RelayStore} and their value types) and the bus SPI ({@link io.cqrs.spi.CommandBus},
 * {@link io.cqrs.spi.EventBus}, with {@link io.cqrs.spi.Subscription} and {@link
 * io.cqrs.spi.BusHealth}). Applications hold these types too, but they pick an implementation
 * (in-memory, Couchbase, RabbitMQ) rather than write one; the contract suites in {@code cqrs-test}
 * say what every implementation must do.
 */
package io.cqrs.spi;
