package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.CommandBus;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A process manager on a tracking processor, a durable store (one store instance that outlives the
 * application, as Couchbase's does) and the in-memory command bus: a step the processor sends while
 * {@link Cqrs#close()} drains it must find this instance's command listeners still open. When close
 * stopped the commands first, the step was queued where no listener would take it, the processor
 * counted the event handled and saved its checkpoint past it, and after a restart on the same store
 * the step was never sent again: the saga was stuck for good (an adopter's report).
 */
class ProcessManagerShutdownTest {
  record Open(String id) {}

  record Follow(String id) {}

  record Opened(String id) {}

  record Followed(String id) {}

  static final class Thing extends EventSourceBased {
    Thing(String id) {
      super(id);
    }

    void open() {
      update(new Opened(id()));
    }

    void follow() {
      update(new Followed(id()));
    }

    private void handleOpened(Opened e) {}

    private void handleFollowed(Followed e) {}
  }

  /** A processor whose close counts {@code closing} down before it closes the processor. */
  record ClosingWatched(EventProcessor processor, CountDownLatch closing)
      implements EventProcessor {
    @Override
    public String name() {
      return processor.name();
    }

    @Override
    public void start() {
      processor.start();
    }

    @Override
    public void pause() {
      processor.pause();
    }

    @Override
    public void resume() {
      processor.resume();
    }

    @Override
    public boolean isPaused() {
      return processor.isPaused();
    }

    @Override
    public Throwable failure() {
      return processor.failure();
    }

    @Override
    public void close() {
      closing.countDown();
      processor.close();
    }
  }

  static Cqrs app(
      InMemoryEventStreamRepository store,
      CommandBus bus,
      CountDownLatch entered,
      CountDownLatch closing) {
    Cqrs cqrs =
        Cqrs.builder()
            .store(store)
            .commandBus(bus)
            .aggregate(Thing.class, Opened.class, Followed.class)
            .shutdownTimeout(Duration.ofSeconds(10))
            .build();
    EventSourcingRepository repo = cqrs.repository();
    cqrs.onCommand(
        Open.class,
        (open, command) -> {
          Thing t = new Thing(open.id());
          t.open();
          repo.save(t, command);
        });
    cqrs.onCommand(
        Follow.class,
        (follow, command) -> {
          Thing t = repo.get(follow.id(), Thing::new);
          t.follow();
          repo.save(t, command);
        });
    cqrs.processor(
        new ClosingWatched(
            EventProcessor.tracking("pm", store)
                .handler(
                    event -> {
                      if (event.event() instanceof Opened opened) {
                        entered.countDown();
                        try {
                          // Sends its step once close() has begun closing this processor.
                          closing.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                        cqrs.commandBus()
                            .publish(Command.reactingTo(event, new Follow(opened.id())));
                      }
                    })
                .interceptors(cqrs.interceptors())
                .build(),
            closing));
    return cqrs;
  }

  @Test
  void a_step_sent_while_close_drains_the_processor_is_taken_after_a_restart() throws Exception {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository(); // survives restarts
    InMemoryCommandBus bus1 = new InMemoryCommandBus();
    CountDownLatch entered = new CountDownLatch(1);
    Cqrs first = app(store, bus1, entered, new CountDownLatch(1));
    first.start();
    first.send(new Open("t-1"));
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue(); // the processor holds Opened
    first.close(); // graceful: the processor drains, sending Follow as it does
    bus1.close(); // the process ends: its in-memory bus with it

    // the process restarts on the same durable store with a new in-memory bus
    Cqrs second =
        app(store, new InMemoryCommandBus(), new CountDownLatch(1), new CountDownLatch(0));
    second.start();
    try {
      Await.until(
          Duration.ofSeconds(10),
          "the saga's step Follow took effect",
          () -> store.load("t-1").stream().anyMatch(e -> e.event() instanceof Followed));
    } finally {
      second.close();
    }
  }
}
