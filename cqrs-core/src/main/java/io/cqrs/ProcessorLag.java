package io.cqrs;

/**
 * How far an {@link EventProcessor} (or the relay) is behind the integration log, over all its
 * segments, whoever runs them.
 *
 * @param headPosition the log's head when asked (see {@link
 *     io.cqrs.spi.EventStreamRepository#logHead()})
 * @param checkpoint the lowest checkpoint of the processor's segments: every event up to this
 *     position has been handled by every segment
 * @param behind how far that is, as the store counts it ({@link
 *     io.cqrs.spi.EventStreamRepository#logDistance}): events in memory, log sequences (commits,
 *     and saves a conflict refused) on Couchbase; what metrics and health checks show and compare
 *     with a threshold
 */
public record ProcessorLag(long headPosition, long checkpoint, long behind) {

  /** A lag in a store whose positions are dense: {@code behind} is the positions between. */
  public ProcessorLag(long headPosition, long checkpoint) {
    this(headPosition, checkpoint, Math.max(0, headPosition - checkpoint));
  }

  public ProcessorLag {
    if (behind < 0) {
      throw new IllegalArgumentException("behind must be >= 0, was " + behind);
    }
  }

  /**
   * The distance between the head and the checkpoint in log positions, which in a store whose
   * positions skip numbers (Couchbase) is no count of anything an operator knows: {@link #behind()}
   * is.
   */
  public long positionsBehind() {
    return Math.max(0, headPosition - checkpoint);
  }

  /** Whether every event in the log when asked has been handled. */
  public boolean caughtUp() {
    return checkpoint >= headPosition;
  }
}
