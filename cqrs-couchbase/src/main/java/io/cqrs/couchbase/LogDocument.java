package io.cqrs.couchbase;

import io.cqrs.VersionedEvent;
import java.util.List;

/** What a log sequence's document holds (see {@code docs/couchbase.md}). */
sealed interface LogDocument {

  /**
   * The events of one {@code save}: committed once the claim on {@code first} of the stream names
   * this sequence. {@code command} is the hash of the command it is the effect of, or null; {@code
   * type} the stream's aggregate type, carried only by a stream's first commit, or null; whoever
   * completes the commit writes both into the claim.
   */
  record Commit(
      String streamId,
      long first,
      long last,
      List<VersionedEvent> events,
      String command,
      String type)
      implements LogDocument {}

  /** An event outside any stream, committed as soon as it is stored. */
  record Integration(List<VersionedEvent> events) implements LogDocument {}

  /**
   * A sequence that holds no events: a gap closed by a reader, or a commit its writer abandoned
   * after losing the race for the stream's version.
   */
  record Marker(String kind) implements LogDocument {}
}
