package io.cqrs;

/**
 * A tracking processor was started with a segment count other than the one its store fixed on the
 * processor's first start. The count cannot change under a name: keep the stored one, or give the
 * processor a new name (which reads the log from its start).
 */
public class SegmentCountMismatchException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  private final String processor;
  private final int stored;
  private final int requested;

  /**
   * Creates the exception.
   *
   * @param processor the processor's name
   * @param stored the segment count the store holds
   * @param requested the segment count the processor was built with
   */
  public SegmentCountMismatchException(String processor, int stored, int requested) {
    super(
        "Processor '"
            + processor
            + "' has "
            + stored
            + " segments in the store, not "
            + requested
            + ": use "
            + stored
            + ", or a new processor name to change the count");
    this.processor = processor;
    this.stored = stored;
    this.requested = requested;
  }

  /** The processor's name. */
  public String processor() {
    return processor;
  }

  /** The segment count the store holds, fixed by the processor's first start. */
  public int stored() {
    return stored;
  }

  /** The segment count the processor was built with. */
  public int requested() {
    return requested;
  }
}
