package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.interceptor.EventHandlerInterceptor;
import io.cqrs.interceptor.Interceptors;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A read model's processor runs its interceptors (metrics, traces) only around the events the read
 * model looks at: an adopter found {@code cqrs.events.handled} counting every event of the log,
 * other aggregates' and integration events included, as handled by a projection that follows one
 * aggregate type.
 */
class ProjectionInterceptionTest {
  private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");

  /** Follows the streams whose id starts with {@code followed}. */
  static class Followed implements Projection {
    final Map<String, Long> versions = new ConcurrentHashMap<>();

    @Override
    public boolean follows(VersionedEvent event) {
      return event.sourceId().startsWith("followed");
    }

    @Override
    public long appliedVersion(String streamId) {
      return versions.getOrDefault(streamId, 0L);
    }

    @Override
    public void apply(VersionedEvent event) {
      versions.put(event.sourceId(), event.version());
    }
  }

  @Test
  void interceptors_see_only_the_events_of_the_streams_a_projection_follows() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    Ledgers.append(store, "followed-1", 2, CREATED);
    Ledgers.append(store, "other-1", 3, CREATED);
    store.recordIntegrationEvent(
        new VersionedEvent(
            "integration-1",
            "c",
            null,
            "cmd-1",
            null,
            null,
            0,
            "Deposited",
            CREATED,
            new LedgerProjection.Deposited(1),
            Map.of()));
    Ledgers.append(store, "followed-2", 1, CREATED);
    List<String> intercepted = new CopyOnWriteArrayList<>();
    EventHandlerInterceptor recording =
        handling -> {
          intercepted.add(handling.message().sourceId() + "@" + handling.message().version());
          return handling.proceed();
        };
    Followed projection = new Followed();
    TrackingEventProcessor processor =
        EventProcessor.tracking("followed", store)
            .projection(projection)
            .interceptors(Interceptors.of(recording))
            .idleWait(Duration.ofMillis(5))
            .build();
    processor.start();
    try {
      Await.until("caught up", () -> processor.lag().caughtUp());
    } finally {
      processor.close();
    }

    assertThat(projection.versions)
        .containsOnly(Map.entry("followed-1", 2L), Map.entry("followed-2", 1L));
    // Before: every event of the log, "other-1@1".."other-1@3" and the integration event too.
    assertThat(intercepted).containsExactly("followed-1@1", "followed-1@2", "followed-2@1");
  }

  @Test
  void a_follows_that_throws_fails_inside_the_interceptors() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    Ledgers.append(store, "s-1", 1, CREATED);
    List<String> outcomes = new CopyOnWriteArrayList<>();
    EventHandlerInterceptor recording =
        handling -> {
          try {
            var outcome = handling.proceed();
            outcomes.add(outcome.tag());
            return outcome;
          } catch (Exception e) {
            outcomes.add("threw " + e.getMessage());
            throw e;
          }
        };
    Projection broken =
        new Followed() {
          @Override
          public boolean follows(VersionedEvent event) {
            throw new IllegalStateException("follows broke");
          }
        };
    TrackingEventProcessor processor =
        EventProcessor.tracking("broken", store)
            .projection(broken)
            .interceptors(Interceptors.of(recording))
            .maxAttempts(1)
            .idleWait(Duration.ofMillis(5))
            .build();
    processor.start();
    try {
      Await.until("the event dead-lettered", () -> processor.deadLettered() == 1);
    } finally {
      processor.close();
    }
    // The metrics and traces around it see the failure, as around any handler's.
    assertThat(outcomes).containsExactly("threw follows broke");
  }
}
