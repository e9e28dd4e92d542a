package io.cqrs;

/**
 * How far an {@link EventProcessor} is behind the integration log, over all its segments, whoever
 * runs them.
 *
 * @param headPosition the log's head when asked (see {@link
 *     io.cqrs.spi.EventStreamRepository#logHead()})
 * @param checkpoint the lowest checkpoint of the processor's segments: every event up to this
 *     position has been handled by every segment
 */
public record ProcessorLag(long headPosition, long checkpoint) {

  /**
   * The distance between the head and the checkpoint, in log positions. In memory positions are
   * dense, so this counts events; a store whose positions skip numbers (Couchbase) says so in its
   * documentation.
   */
  public long positionsBehind() {
    return Math.max(0, headPosition - checkpoint);
  }

  /** Whether every event in the log when asked has been handled. */
  public boolean caughtUp() {
    return checkpoint >= headPosition;
  }
}
