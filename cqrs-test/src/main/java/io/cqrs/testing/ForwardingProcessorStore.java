package io.cqrs.testing;

import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.SegmentState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link ProcessorStore} that hands every call to another: the base of a test store that records
 * or fails some of a processor's claims, checkpoints or heartbeats, which overrides only those and
 * passes the rest on with {@code super}. It is a {@link ProcessorStore} and nothing else, whatever
 * the delegate is. Thread-safe if the delegate and the subclass are.
 */
public abstract class ForwardingProcessorStore implements ProcessorStore {
  private final ProcessorStore delegate;

  /** A store that hands its calls to {@code delegate}. */
  protected ForwardingProcessorStore(ProcessorStore delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public int segmentCount(String processor, int segments) {
    return delegate.segmentCount(processor, segments);
  }

  @Override
  public Optional<SegmentClaim> claim(
      String processor, int segment, String owner, Instant now, Duration ttl) {
    return delegate.claim(processor, segment, owner, now, ttl);
  }

  @Override
  public void saveCheckpoint(SegmentClaim claim, long position, Instant now) {
    delegate.saveCheckpoint(claim, position, now);
  }

  @Override
  public void release(SegmentClaim claim) {
    delegate.release(claim);
  }

  @Override
  public List<SegmentState> segments(String processor) {
    return delegate.segments(processor);
  }

  @Override
  public void reset(String processor, long position, Instant now) {
    delegate.reset(processor, position, now);
  }

  @Override
  public List<String> heartbeat(String processor, String owner, Instant now, Duration ttl) {
    return delegate.heartbeat(processor, owner, now, ttl);
  }

  @Override
  public void leave(String processor, String owner) {
    delegate.leave(processor, owner);
  }
}
