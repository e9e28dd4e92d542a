/**
 * The cqrs user API: aggregates extend {@link io.cqrs.EventSourceBased}, are loaded and saved
 * through {@link io.cqrs.EventSourcingRepository}, and commands and events travel on a {@link
 * io.cqrs.spi.CommandBus} and an {@link io.cqrs.spi.EventBus} to the handlers registered with
 * {@link io.cqrs.CommandDispatchManager} and {@link io.cqrs.VersionedEventDispatchManager}.
 */
package io.cqrs;
