package io.cqrs.testing;

import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.RelayStore;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.SegmentState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A {@link ForwardingRelayStore} that is also a {@link ProcessorStore}: a store an {@link
 * io.cqrs.EventRelay} or a tracking processor runs on, every call handed to the delegate. Override
 * a method to park a relay's lease renewal or fail its checkpoint.
 */
public abstract class ForwardingRelayProcessorStore extends ForwardingRelayStore
    implements ProcessorStore {
  private final ProcessorStore processors;

  /** A store that hands every call, claims and checkpoints included, to {@code delegate}. */
  protected <S extends EventStreamRepository & RelayStore & ProcessorStore>
      ForwardingRelayProcessorStore(S delegate) {
    super(delegate);
    this.processors = delegate;
  }

  @Override
  public int segmentCount(String processor, int segments) {
    return processors.segmentCount(processor, segments);
  }

  @Override
  public Optional<SegmentClaim> claim(
      String processor, int segment, String owner, Instant now, Duration ttl) {
    return processors.claim(processor, segment, owner, now, ttl);
  }

  @Override
  public void saveCheckpoint(SegmentClaim claim, long position, Instant now) {
    processors.saveCheckpoint(claim, position, now);
  }

  @Override
  public void release(SegmentClaim claim) {
    processors.release(claim);
  }

  @Override
  public List<SegmentState> segments(String processor) {
    return processors.segments(processor);
  }

  @Override
  public void reset(String processor, long position, Instant now) {
    processors.reset(processor, position, now);
  }

  @Override
  public List<String> heartbeat(String processor, String owner, Instant now, Duration ttl) {
    return processors.heartbeat(processor, owner, now, ttl);
  }

  @Override
  public void leave(String processor, String owner) {
    processors.leave(processor, owner);
  }
}
