package io.cqrs;

import java.util.Objects;

/**
 * A dead letter of a {@link TrackingEventProcessor} that no replay has resolved yet: an {@link
 * EventProcessingFailed} entry of the integration log, with the reason of its last failure.
 *
 * @param id the id of the {@link EventProcessingFailed} entry, which {@link
 *     TrackingEventProcessor#replayDeadLetter} takes
 * @param processor the processor's name
 * @param position the failed event's position in the integration log
 * @param eventId the failed event's id
 * @param eventType the failed event's logical type
 * @param sourceId the failed event's stream
 * @param version the failed event's version (0 for an event outside any stream)
 * @param errorType the class name of the last failure: of the first handling, or of the last replay
 *     if one failed since
 * @param message the message of the last failure
 * @param failedReplays how many replays failed since it was dead-lettered
 */
public record ProcessorDeadLetter(
    String id,
    String processor,
    long position,
    String eventId,
    String eventType,
    String sourceId,
    long version,
    String errorType,
    String message,
    int failedReplays) {
  public ProcessorDeadLetter {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(processor, "processor");
  }

  /** The dead letter an {@link EventProcessingFailed} entry records. */
  static ProcessorDeadLetter of(String id, EventProcessingFailed failed) {
    return new ProcessorDeadLetter(
        id,
        failed.processor(),
        failed.position(),
        failed.eventId(),
        failed.eventType(),
        failed.sourceId(),
        failed.version(),
        failed.errorType(),
        failed.message(),
        0);
  }

  /** This dead letter after a replay that failed again. */
  ProcessorDeadLetter failedAgain(String errorType, String message) {
    return new ProcessorDeadLetter(
        id,
        processor,
        position,
        eventId,
        eventType,
        sourceId,
        version,
        errorType,
        message,
        failedReplays + 1);
  }
}
