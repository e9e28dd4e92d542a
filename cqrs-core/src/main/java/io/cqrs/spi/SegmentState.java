package io.cqrs.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * What a {@link ProcessorStore} holds for one segment of an event processor: its checkpoint and its
 * current claim, if any.
 *
 * @param segment the segment
 * @param checkpoint the log position of the last event the segment has fully handled, 0 if none
 * @param owner who holds the segment's claim, or {@code null} if it was never claimed or was
 *     released
 * @param token the current claim's fencing token, 0 if it was never claimed
 * @param expiresAt when the current claim ends, or {@code null} if there is none
 */
public record SegmentState(
    int segment, long checkpoint, String owner, long token, Instant expiresAt) {

  /** Checks the values. */
  public SegmentState {
    if (segment < 0 || checkpoint < 0 || token < 0) {
      throw new IllegalArgumentException(
          "segment, checkpoint and token must be >= 0, were "
              + segment
              + ", "
              + checkpoint
              + ", "
              + token);
    }
    if ((owner == null) != (expiresAt == null)) {
      throw new IllegalArgumentException("owner and expiresAt are both set or both null");
    }
  }

  /** Whether someone holds a claim on the segment that has not expired at {@code now}. */
  public boolean claimedAt(Instant now) {
    Objects.requireNonNull(now, "now");
    return owner != null && expiresAt.isAfter(now);
  }
}
