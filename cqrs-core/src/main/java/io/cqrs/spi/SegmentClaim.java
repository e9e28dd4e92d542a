package io.cqrs.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * One owner's claim on one segment of an event processor, as a {@link ProcessorStore} granted it.
 *
 * <p>The {@code token} is the fencing token: every new claim of a segment (a different owner, or
 * the same owner after its claim expired or was released) gets a token greater than any earlier
 * claim of that segment, and the store refuses a checkpoint written under any token but the current
 * one. So an owner that stalled past its claim and was replaced cannot move the segment's
 * checkpoint afterwards, whatever the clocks say.
 *
 * @param processor the processor's name
 * @param segment the segment, from 0 to the processor's segment count minus one
 * @param owner who holds the claim (a process-unique id)
 * @param token the fencing token, at least 1
 * @param checkpoint the segment's checkpoint when the claim was granted: the log position of the
 *     last event this segment has fully handled, 0 if none
 * @param expiresAt when the claim ends unless renewed, on the clock of whoever asked for it
 */
public record SegmentClaim(
    String processor, int segment, String owner, long token, long checkpoint, Instant expiresAt) {

  /** Checks the values. */
  public SegmentClaim {
    Objects.requireNonNull(processor, "processor");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(expiresAt, "expiresAt");
    if (segment < 0) {
      throw new IllegalArgumentException("segment must be >= 0, was " + segment);
    }
    if (token < 1) {
      throw new IllegalArgumentException("token must be >= 1, was " + token);
    }
    if (checkpoint < 0) {
      throw new IllegalArgumentException("checkpoint must be >= 0, was " + checkpoint);
    }
  }
}
