package io.cqrs.testing;

import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.RelayStore;
import java.util.concurrent.CompletionStage;

/**
 * A {@link ForwardingEventStreamRepository} that is also a {@link RelayStore} and hands publication
 * marks to its delegate too, {@link #markPublishedAsync} included, so a mark the delegate sends in
 * the background stays in the background. Like its base, it is not a {@link
 * io.cqrs.spi.ProcessorStore}.
 */
public abstract class ForwardingRelayStore extends ForwardingEventStreamRepository
    implements RelayStore {
  private final RelayStore relay;

  /** A store that hands its calls, publication marks included, to {@code delegate}. */
  protected <S extends EventStreamRepository & RelayStore> ForwardingRelayStore(S delegate) {
    super(delegate);
    this.relay = delegate;
  }

  @Override
  public void markPublished(String streamId, long fromVersion, long toVersion) {
    relay.markPublished(streamId, fromVersion, toVersion);
  }

  @Override
  public CompletionStage<Void> markPublishedAsync(
      String streamId, long fromVersion, long toVersion) {
    return relay.markPublishedAsync(streamId, fromVersion, toVersion);
  }
}
