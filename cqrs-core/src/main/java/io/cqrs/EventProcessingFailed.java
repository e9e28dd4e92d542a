package io.cqrs;

/**
 * The dead letter of an {@link EventProcessor}: recorded in the integration log, under the failed
 * event's correlation id, when a handler failed on an event for good and the processor went on
 * without it. {@link TrackingEventProcessor#deadLetters()} lists a processor's dead letters that
 * are not resolved yet, and {@link TrackingEventProcessor#replayDeadLetter} hands the event to the
 * handler again and records the outcome as an {@link EventProcessingRetried} entry. They can also
 * be found with {@code eventsByCorrelationId} or by reading the log.
 *
 * @param processor the processor's name
 * @param position the event's position in the integration log
 * @param eventId the failed event's id
 * @param eventType the failed event's logical type
 * @param sourceId the failed event's stream
 * @param version the failed event's version
 * @param errorType the last exception's class name
 * @param message the last exception's message
 */
public record EventProcessingFailed(
    String processor,
    long position,
    String eventId,
    String eventType,
    String sourceId,
    long version,
    String errorType,
    String message) {}
