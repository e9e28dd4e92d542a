package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link TrackingEventProcessor#close()} called from the processor's own handler (an adversarial
 * run found it): the worker joined the coordinator, which joined the worker, and both waited for
 * ever, the segment's checkpoint unsaved and its claim held until it ran out.
 */
class ProcessorCloseFromHandlerTest {
  private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void close_from_a_handler_returns_saves_the_checkpoint_and_gives_up_the_claim() throws Exception {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    Ledgers.append(store, "s", 3, CREATED);
    AtomicReference<TrackingEventProcessor> self = new AtomicReference<>();
    CompletableFuture<Void> closeReturned = new CompletableFuture<>();
    List<Long> firstHandled = new CopyOnWriteArrayList<>();
    TrackingEventProcessor first =
        EventProcessor.tracking("closes-itself", store, store)
            .idleWait(Duration.ofMillis(5))
            .claimTtl(Duration.ofHours(1)) // only a release lets another process take over now
            .handler(
                event -> {
                  firstHandled.add(event.version());
                  if (event.version() == 2) {
                    self.get().close();
                    closeReturned.complete(null);
                  }
                })
            .build();
    self.set(first);
    first.start();

    closeReturned.get(30, TimeUnit.SECONDS); // before the fix: never
    Await.until("the first process to give up its segment", () -> first.ownedSegments().isEmpty());
    assertTimeoutPreemptively(Duration.ofSeconds(30), first::close); // a later close returns too
    assertThat(firstHandled).containsExactly(1L, 2L); // the event in hand finished, then stopped

    List<Long> secondHandled = new CopyOnWriteArrayList<>();
    TrackingEventProcessor second =
        EventProcessor.tracking("closes-itself", store, store)
            .idleWait(Duration.ofMillis(5))
            .claimTtl(Duration.ofHours(1))
            .handler(event -> secondHandled.add(event.version()))
            .build();
    second.start();
    try {
      Await.until("the next process to take over at once", () -> secondHandled.contains(3L));
      // The checkpoint was saved at the event the close came from: nothing again, nothing skipped.
      assertThat(secondHandled).containsExactly(3L);
    } finally {
      second.close();
    }
  }
}
