package io.cqrs.spring.actuate;

import io.cqrs.spi.EventStreamRepository;
import java.util.Objects;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The health of the event store: UP when it answers a read of its log's head (one key-value read on
 * Couchbase), with the head position as a detail; DOWN with the error when it does not.
 */
public final class StoreHealthIndicator extends AbstractHealthIndicator {
  private final EventStreamRepository store;

  /** An indicator of {@code store}. */
  public StoreHealthIndicator(EventStreamRepository store) {
    super("cqrs event store health check failed");
    this.store = Objects.requireNonNull(store, "store");
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    builder.up().withDetail("type", store.getClass().getSimpleName());
    builder.withDetail("logHead", store.logHead());
  }
}
