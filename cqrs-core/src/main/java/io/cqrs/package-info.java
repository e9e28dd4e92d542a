/**
 * The cqrs user API: aggregates extend {@link io.cqrs.EventSourceBased}, are loaded and saved
 * through {@link io.cqrs.EventSourcingRepository}, and commands and events travel on a {@link
 * io.cqrs.CommandBus} and an {@link io.cqrs.EventBus} to the handlers registered with {@link
 * io.cqrs.CommandDispatchManager} and {@link io.cqrs.VersionedEventDispatchManager}.
 */
package io.cqrs;
