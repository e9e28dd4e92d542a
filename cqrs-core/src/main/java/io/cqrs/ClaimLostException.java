package io.cqrs;

/**
 * A segment claim is no longer the segment's current claim: it expired, was released, or another
 * owner claimed the segment since. The store refused the write made under it, and the owner must
 * stop handling the segment (see {@link io.cqrs.spi.ProcessorStore}).
 */
public class ClaimLostException extends NonTransientCqrsException {
  private static final long serialVersionUID = 1L;

  private final String processor;
  private final int segment;

  /**
   * Creates the exception.
   *
   * @param processor the processor's name
   * @param segment the segment
   * @param detail why the claim is lost, for the message
   */
  public ClaimLostException(String processor, int segment, String detail) {
    super("Lost the claim on segment " + segment + " of processor '" + processor + "': " + detail);
    this.processor = processor;
    this.segment = segment;
  }

  /** The processor's name. */
  public String processor() {
    return processor;
  }

  /** The segment. */
  public int segment() {
    return segment;
  }
}
