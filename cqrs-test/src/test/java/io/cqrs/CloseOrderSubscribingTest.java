package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A subscribing processor is a subscription of the event bus, with no checkpoint to read a missed
 * event from later: {@link Cqrs#close()} closes it after the commands, so that the events a
 * draining command handler commits still reach it (a review found it closed with the tracking
 * processors, before the commands, and the in-memory bus dropping those events).
 */
class CloseOrderSubscribingTest {
  record Open(String id) {}

  @Test
  void a_subscribing_processor_gets_the_events_of_a_command_drained_by_close() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch closing = new CountDownLatch(1);
    List<Object> seen = new CopyOnWriteArrayList<>();
    Cqrs cqrs =
        Cqrs.builder()
            .aggregate(
                ProcessManagerShutdownTest.Thing.class,
                ProcessManagerShutdownTest.Opened.class,
                ProcessManagerShutdownTest.Followed.class)
            .shutdownTimeout(Duration.ofSeconds(20))
            .build();
    EventSourcingRepository repo = cqrs.repository();
    cqrs.onCommand(
        Open.class,
        (open, command) -> {
          entered.countDown();
          // Commits once close() has begun: it closes the tracking processor below first.
          closing.await(10, TimeUnit.SECONDS);
          ProcessManagerShutdownTest.Thing t = new ProcessManagerShutdownTest.Thing(open.id());
          t.open();
          repo.save(t, command);
        });
    cqrs.processor(
        EventProcessor.subscribing("audit", cqrs.eventBus(), cqrs.repository().store())
            .handler(event -> seen.add(event.event()))
            .build());
    // A log reader, which close() stops before the commands, telling the handler that close() has
    // begun. Registered after the subscribing processor: an order that closed every processor
    // before the commands, in registration order, would have closed that one already.
    cqrs.processor(
        new ProcessManagerShutdownTest.ClosingWatched(
            EventProcessor.tracking("marker", cqrs.store()).handler(event -> {}).build(), closing));
    cqrs.start();
    Thread sender = new Thread(() -> cqrs.send(new Open("t-1")));
    sender.start();
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

    cqrs.close(); // graceful: the command in hand is finished and its events published

    sender.join(10_000);
    assertThat(seen).containsExactly(new ProcessManagerShutdownTest.Opened("t-1"));
  }
}
