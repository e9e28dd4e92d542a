package io.cqrs.benchmarks;

import io.cqrs.spi.EventStreamRepository;
import io.cqrs.testing.ForwardingEventStreamRepository;

/**
 * An event store that is not a {@link io.cqrs.spi.RelayStore}: it hands every call to an in-memory
 * store but hides its publication marks, so a repository on it publishes without marking anything
 * published: the publication benchmark's "without".
 */
final class UnmarkedStore extends ForwardingEventStreamRepository {
  UnmarkedStore(EventStreamRepository store) {
    super(store);
  }
}
