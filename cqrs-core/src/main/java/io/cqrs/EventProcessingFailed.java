package io.cqrs;

import io.cqrs.spi.LoggedEvent;

/**
 * The dead letter of an {@link EventProcessor}: recorded in the integration log, under the failed
 * event's correlation id, when a handler failed on an event for good and the processor went on
 * without it. {@link TrackingEventProcessor#deadLetters()} lists a processor's dead letters that
 * are not resolved yet, and {@link TrackingEventProcessor#replayDeadLetter} hands the event to the
 * handler again and records the outcome as an {@link EventProcessingRetried} entry. They can also
 * be found with {@code eventsByCorrelationId} or by reading the log, except those of a {@link
 * EventProcessor#local local} processor, which it keeps in its own memory. The {@link EventRelay}
 * records one, under its own name, for an event the bus refused to carry at all.
 *
 * @param processor the processor's name
 * @param position the event's position in the integration log
 * @param eventId the failed event's id
 * @param eventType the failed event's logical type
 * @param sourceId the failed event's stream
 * @param version the failed event's version
 * @param errorType the last exception's class name
 * @param message the last exception's message, cut after {@link
 *     CommandDispatchManager#MAX_FAILURE_MESSAGE} characters, saying how many were cut (what a
 *     handler threw may quote its input, and the log keeps every letter for good)
 */
public record EventProcessingFailed(
    String processor,
    long position,
    String eventId,
    String eventType,
    String sourceId,
    long version,
    String errorType,
    String message) {

  /**
   * The integration event that records {@code entry} failed for {@code processor} with {@code
   * error}: keyed {@code <processor>@<position>}, under the event's correlation id, caused by it.
   */
  static VersionedEvent of(String processor, LoggedEvent entry, Throwable error) {
    VersionedEvent event = entry.event();
    return VersionedEvent.builder(
            processor + "@" + entry.position(),
            0,
            new EventProcessingFailed(
                processor,
                entry.position(),
                event.id(),
                event.eventType(),
                event.sourceId(),
                event.version(),
                error.getClass().getName(),
                CommandDispatchManager.bounded(String.valueOf(error.getMessage()))))
        .correlationId(event.correlationId())
        .causationId(event.id())
        .build();
  }
}
