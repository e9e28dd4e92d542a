/**
 * What adapter authors implement: the {@link io.cqrs.spi.EventStreamRepository} store SPI and its
 * value types. Buses are implemented against {@link io.cqrs.EventBus} and {@link
 * io.cqrs.CommandBus} in the root package.
 */
package io.cqrs.spi;
