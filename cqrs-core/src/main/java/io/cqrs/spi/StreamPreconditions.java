package io.cqrs.spi;

import io.cqrs.VersionedEvent;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;

/** The argument checks every {@link EventStreamRepository} applies, so that all agree on them. */
public final class StreamPreconditions {
  private StreamPreconditions() {}

  /** Fails with a message naming the argument unless the stream id is usable. */
  public static String checkStreamId(String streamId) {
    Objects.requireNonNull(streamId, "streamId");
    if (streamId.isBlank()) {
      throw new IllegalArgumentException("streamId must not be blank, was '" + streamId + "'");
    }
    return streamId;
  }

  /**
   * Fails unless {@code events} can be appended at {@code expectedVersion}: non-empty, all of the
   * stream, numbered {@code expectedVersion + 1} upwards without gaps.
   */
  public static void checkSave(String streamId, long expectedVersion, List<VersionedEvent> events) {
    checkStreamId(streamId);
    Objects.requireNonNull(events, "events");
    if (expectedVersion < 0) {
      throw new IllegalArgumentException(
          "expectedVersion must be >= 0, was "
              + expectedVersion
              + " for stream '"
              + streamId
              + "'");
    }
    if (events.isEmpty()) {
      throw new IllegalArgumentException("events must not be empty for stream '" + streamId + "'");
    }
    long version = expectedVersion;
    // By index where that is cheap: an iterator here was a measurable part of a command's
    // allocation in memory (issue 14).
    boolean byIndex = events instanceof RandomAccess;
    Iterator<VersionedEvent> iterator = byIndex ? null : events.iterator();
    for (int i = 0, n = events.size(); i < n; i++) {
      VersionedEvent event = byIndex ? events.get(i) : iterator.next();
      Objects.requireNonNull(event, "events[]");
      if (!streamId.equals(event.sourceId())) {
        throw new IllegalArgumentException(
            "Event "
                + event.id()
                + " belongs to '"
                + event.sourceId()
                + "', not to stream '"
                + streamId
                + "'");
      }
      if (event.version() != ++version) {
        throw new IllegalArgumentException(
            "Event "
                + event.id()
                + " of stream '"
                + streamId
                + "' has version "
                + event.version()
                + " where "
                + version
                + " was expected");
      }
    }
  }

  /**
   * Like {@link #checkSave(String, long, List)}, and fails unless {@code commandId} is {@code null}
   * or not blank.
   */
  public static void checkSave(
      String streamId, long expectedVersion, List<VersionedEvent> events, String commandId) {
    checkSave(streamId, expectedVersion, events);
    if (commandId != null && commandId.isBlank()) {
      throw new IllegalArgumentException(
          "commandId must be null or not blank for stream '" + streamId + "'");
    }
  }

  /** Fails unless {@code fromVersion} is at least 1. */
  public static void checkFromVersion(String streamId, long fromVersion) {
    checkStreamId(streamId);
    if (fromVersion < 1) {
      throw new IllegalArgumentException(
          "fromVersion must be >= 1, was " + fromVersion + " for stream '" + streamId + "'");
    }
  }

  /** Fails unless {@code fromVersion} and {@code maxEvents} are at least 1. */
  public static void checkLoadRange(String streamId, long fromVersion, int maxEvents) {
    checkFromVersion(streamId, fromVersion);
    if (maxEvents < 1) {
      throw new IllegalArgumentException(
          "maxEvents must be >= 1, was " + maxEvents + " for stream '" + streamId + "'");
    }
  }

  /** Fails unless the log read arguments are usable. */
  public static void checkLogRead(long fromPosition, int maxEvents) {
    if (fromPosition < 1) {
      throw new IllegalArgumentException("fromPosition must be >= 1, was " + fromPosition);
    }
    if (maxEvents < 1) {
      throw new IllegalArgumentException("maxEvents must be >= 1, was " + maxEvents);
    }
  }
}
