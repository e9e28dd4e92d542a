package io.cqrs.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What event processors keep in the event store: for each processor, its segment count, each
 * segment's checkpoint and claim, and which owners (processes) are alive.
 *
 * <p><b>Clocks.</b> Every time-dependent operation takes the caller's {@code now}: a store never
 * reads a clock of its own, so expiry means the same thing in every store and tests can drive time.
 * Owners' clocks may disagree; that can make two owners believe they hold one segment for a while,
 * never let both write its checkpoint, because writes are fenced by token (see {@link
 * SegmentClaim}).
 *
 * <p><b>Atomicity.</b> Each method is one atomic step against the segment's (or member list's)
 * state: two owners racing to claim a free segment get one claim between them; a checkpoint write
 * and a competing claim are ordered, and the write fails with {@link io.cqrs.ClaimLostException} if
 * the claim came first.
 *
 * <p>Implementations are thread-safe and pass {@code io.cqrs.testing.ProcessorStoreContract}.
 */
public interface ProcessorStore {

  /**
   * Fixes the processor's segment count on first use and returns the count the store holds: the
   * caller's {@code segments} if this is the first call for the processor, else the count an
   * earlier call fixed (which the caller must use, or refuse to start).
   *
   * @throws IllegalArgumentException if {@code segments} is not positive
   */
  int segmentCount(String processor, int segments);

  /**
   * Claims a segment for {@code owner} until {@code now + ttl}, if it is unclaimed, its claim has
   * expired at {@code now}, or {@code owner} holds it already (a renewal: the token stays). A new
   * claim gets a token greater than every earlier claim of the segment.
   *
   * @return the claim, or empty if another owner's claim is still valid at {@code now}
   * @throws IllegalArgumentException if {@code segment} is outside the processor's segment count,
   *     or {@code ttl} is not positive
   */
  Optional<SegmentClaim> claim(
      String processor, int segment, String owner, Instant now, Duration ttl);

  /**
   * Saves the segment's checkpoint under {@code claim}: the log position up to which the segment
   * has handled every event. A position lower than the saved one is ignored.
   *
   * @throws io.cqrs.ClaimLostException if {@code claim}'s token is not the segment's current one,
   *     or the claim has expired at {@code now}; nothing is written then
   */
  void saveCheckpoint(SegmentClaim claim, long position, Instant now);

  /** Gives up {@code claim} if it is still the segment's current claim; otherwise does nothing. */
  void release(SegmentClaim claim);

  /**
   * Every segment's state, in segment order; empty if the processor's segment count was never
   * fixed.
   */
  List<SegmentState> segments(String processor);

  /**
   * Moves the checkpoint of every segment to {@code position} (0 to start over), if no segment is
   * claimed at {@code now}; lower and higher positions are both allowed.
   *
   * @throws IllegalStateException naming the owner if a segment is claimed at {@code now}
   */
  void reset(String processor, long position, Instant now);

  /**
   * Records {@code owner} as a live member of the processor until {@code now + ttl}, and returns
   * the owners that are live at {@code now}, {@code owner} included, in a stable order (the same
   * for every caller). Owners use it to share segments evenly.
   */
  List<String> heartbeat(String processor, String owner, Instant now, Duration ttl);

  /** Removes {@code owner} from the processor's live members, if it is one. */
  void leave(String processor, String owner);
}
