package io.cqrs;

/**
 * Another writer appended to the stream first: the save expected version {@link #expected()} but
 * the stream was at {@link #actual()}. Nothing of the failed save was written; reload the aggregate
 * and try again.
 */
public class ConcurrencyException extends TransientCqrsException {
  private static final long serialVersionUID = 1L;

  private final String streamId;
  private final long expected;
  private final long actual;

  /**
   * @param actual the version found, or {@code -1} where the store cannot tell it cheaply
   */
  public ConcurrencyException(String streamId, long expected, long actual) {
    this(streamId, expected, actual, null);
  }

  public ConcurrencyException(String streamId, long expected, long actual, Throwable cause) {
    super(
        "Stream '"
            + streamId
            + "' expected at version "
            + expected
            + " but was at "
            + (actual < 0 ? "a later version" : "version " + actual),
        cause);
    this.streamId = streamId;
    this.expected = expected;
    this.actual = actual;
  }

  public String streamId() {
    return streamId;
  }

  public long expected() {
    return expected;
  }

  /** The version found, or {@code -1} where the store could not tell it. */
  public long actual() {
    return actual;
  }
}
