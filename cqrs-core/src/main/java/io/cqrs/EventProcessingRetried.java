package io.cqrs;

/**
 * The outcome of replaying an {@link EventProcessor}'s dead letter ({@link
 * TrackingEventProcessor#replayDeadLetter}): recorded in the integration log, under the failed
 * event's correlation id, after the event was handed to the processor's handler again. A replay
 * that {@code succeeded} resolves the dead letter, which is no longer listed; one that failed
 * leaves it listed with this failure as its reason.
 *
 * @param processor the processor's name
 * @param failureId the id of the {@link EventProcessingFailed} entry that was replayed
 * @param position the event's position in the integration log
 * @param eventId the event's id
 * @param succeeded whether the handler took the event this time
 * @param errorType the exception's class name if it failed again, else {@code null}
 * @param message the exception's message if it failed again (cut as {@link
 *     EventProcessingFailed#message()} is), else {@code null}
 */
public record EventProcessingRetried(
    String processor,
    String failureId,
    long position,
    String eventId,
    boolean succeeded,
    String errorType,
    String message) {}
