package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.spi.Subscription;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * What an in-memory bus holds when its listeners stop: no broker keeps it for a later process, so a
 * graceful close handles what was queued and says what it could not.
 */
class InMemoryShutdownTest {
  record Ping(String id) {}

  record Pong(String id) {}

  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger busLog = (Logger) LoggerFactory.getLogger("io.cqrs.memory.BusGroups");

  @AfterEach
  void unwatch() {
    busLog.detachAppender(appender);
    busLog.setAdditive(true);
    busLog.setLevel(null);
    appender.stop();
  }

  private void watchBusLog() {
    busLog.setLevel(Level.DEBUG);
    busLog.setAdditive(false);
    busLog.addAppender(appender);
    appender.start();
  }

  private List<String> busLines() {
    synchronized (appender) {
      return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
  }

  /** The thread {@link Cqrs#close()} closes the parts on, once it waits for a listener to end. */
  private static boolean shutdownWaits(String service) {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(
            thread ->
                thread.getName().equals("cqrs-shutdown-" + service)
                    && thread.getState() == Thread.State.WAITING);
  }

  @Test
  void commands_queued_when_close_begins_are_handled_before_it_returns() throws Exception {
    Cqrs cqrs = Cqrs.builder().service("draining").build();
    CountDownLatch handling = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger handled = new AtomicInteger();
    cqrs.onCommand(
        Ping.class,
        (ping, command) -> {
          handling.countDown();
          release.await(); // the first holds the listener while the rest queue
          handled.incrementAndGet();
        });
    cqrs.start();
    for (int i = 0; i < 20; i++) {
      cqrs.send(new Ping("p-" + i));
    }
    assertThat(handling.await(30, TimeUnit.SECONDS)).isTrue();

    Thread closer = new Thread(cqrs::close, "closer");
    closer.start();
    // The shutdown is in the commands' close, waiting for the listener: 19 commands are queued.
    Await.until("the shutdown to wait for the listener", () -> shutdownWaits("draining"));
    release.countDown();
    closer.join(TimeUnit.SECONDS.toMillis(30));

    assertThat(closer.isAlive()).isFalse();
    // Before: the listener stopped after the command in hand, and 19 sent commands were dropped.
    assertThat(handled.get()).isEqualTo(20);
  }

  @Test
  void a_handler_that_keeps_sending_to_its_own_queue_does_not_hold_the_close_open() {
    watchBusLog();
    InMemoryCommandBus bus = new InMemoryCommandBus();
    AtomicInteger handled = new AtomicInteger();
    Subscription subscription =
        bus.subscribe(
            "echo",
            Set.of(TypeRegistry.logicalName(Ping.class)),
            1,
            command -> {
              handled.incrementAndGet();
              bus.publish(Command.create(new Ping("again"))); // for ever
            });
    bus.publish(Command.create(new Ping("first")));
    Await.until("the echo to run", () -> handled.get() > 10);

    // The drain takes what was queued when the close began, not what its handlers add after.
    assertTimeoutPreemptively(Duration.ofSeconds(30), subscription::close);
    int atClose = handled.get();
    bus.close();

    assertThat(handled.get()).isEqualTo(atClose);
    assertThat(busLines())
        .singleElement()
        .asString()
        .startsWith("InMemoryCommandBus closed with 1 message(s) of 'echo' not handled")
        .contains("they are lost");
  }

  @Test
  void a_bus_closed_with_nothing_queued_says_nothing() {
    watchBusLog();
    InMemoryCommandBus bus = new InMemoryCommandBus();
    AtomicInteger handled = new AtomicInteger();
    bus.subscribe(
        "quiet", Set.of(TypeRegistry.logicalName(Ping.class)), 1, c -> handled.incrementAndGet());
    bus.publish(Command.create(new Ping("one")));
    Await.until("the command to be handled", bus::isIdle);

    bus.close();

    assertThat(handled.get()).isEqualTo(1);
    assertThat(busLines()).isEmpty();
  }

  @Test
  void a_closed_cqrs_still_sends_to_a_bus_another_service_listens_on() throws Exception {
    InMemoryCommandBus bus = new InMemoryCommandBus(); // shared, as a Spring bean would be
    CountDownLatch handled = new CountDownLatch(1);
    Cqrs other = Cqrs.builder().service("other").commandBus(bus).build();
    other.onCommand(Ping.class, (ping, command) -> handled.countDown());
    other.start();
    Cqrs sender = Cqrs.builder().service("sender").commandBus(bus).build();
    sender.start();
    sender.close();
    try {
      sender.send(new Ping("after-close"));
      assertThat(handled.await(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      other.close();
      bus.close();
    }
  }

  @Test
  void a_subscription_closed_from_its_own_handler_leaves_the_queue_and_does_not_hang()
      throws Exception {
    // Its other listener, draining, would take the next message and wait for the lock the
    // closing handler holds while that handler waited for it: a deadlock.
    InMemoryCommandBus bus = new InMemoryCommandBus();
    Object lock = new Object();
    CountDownLatch slowStarted = new CountDownLatch(1);
    CountDownLatch releaseSlow = new CountDownLatch(1);
    CountDownLatch closeReturned = new CountDownLatch(1);
    AtomicReference<Thread> closer = new AtomicReference<>();
    AtomicReference<Subscription> subscription = new AtomicReference<>();
    AtomicInteger worked = new AtomicInteger();
    subscription.set(
        bus.subscribe(
            "locked",
            Set.of(TypeRegistry.logicalName(Ping.class)),
            2,
            command -> {
              switch (((Ping) command.body()).id()) {
                case "slow" -> {
                  slowStarted.countDown();
                  releaseSlow.await();
                }
                case "stop" -> {
                  synchronized (lock) {
                    closer.set(Thread.currentThread());
                    subscription.get().close();
                    closeReturned.countDown();
                  }
                }
                default -> {
                  synchronized (lock) {
                    worked.incrementAndGet();
                  }
                }
              }
            }));
    try {
      bus.publish(Command.create(new Ping("slow")));
      assertThat(slowStarted.await(30, TimeUnit.SECONDS)).isTrue();
      bus.publish(List.of(Command.create(new Ping("stop")), Command.create(new Ping("work"))));
      Await.until(
          "the closing handler to wait for the other listener",
          () -> closer.get() != null && closer.get().getState() == Thread.State.WAITING);
      releaseSlow.countDown();

      assertThat(closeReturned.await(30, TimeUnit.SECONDS)).isTrue();
      assertThat(worked.get()).isZero(); // left queued: the bus's close below says so
    } finally {
      releaseSlow.countDown();
      bus.close();
    }
  }

  /**
   * A handler registered only as the instance starts (the Spring Boot starter registers the
   * context's handler beans then, so with {@code cqrs.auto-startup=false} none is registered before
   * the start): the serializing in-memory bus refused the command as of an unknown type, "During a
   * rolling deploy a newer build may have written it", or as of no service at all.
   */
  @Test
  void a_cqrs_not_started_whose_handler_is_not_registered_yet_says_it_is_not_started()
      throws InterruptedException {
    TypeRegistry types = new TypeRegistry();
    Cqrs cqrs =
        Cqrs.builder()
            .service("deferred")
            .types(types)
            .commandBus(
                io.cqrs.memory.InMemoryCommandBus.serializing(new io.cqrs.EventSerializer(types)))
            .build();
    try {
      // Unregistered, it may be a handler to come, or a type another service handles that this
      // one forgot to register: the message names both.
      assertThatThrownBy(() -> cqrs.send(new Ping("early")))
          .isInstanceOf(UnroutableMessageException.class)
          .hasMessageContaining("cqrs 'deferred' is not started and has no handler of it yet")
          .hasMessageContaining("nor is the type registered")
          .hasCauseInstanceOf(io.cqrs.UnknownTypeException.class);
      types.registerCommands(Ping.class);
      assertThatThrownBy(() -> cqrs.send(new Ping("early")))
          .isInstanceOf(UnroutableMessageException.class)
          .hasMessageContaining("cqrs 'deferred' is not started and has no handler of it yet")
          .hasMessageNotContaining("nor is the type registered");

      CountDownLatch handled = new CountDownLatch(1);
      cqrs.onCommand(Ping.class, (ping, command) -> handled.countDown());
      cqrs.start();
      cqrs.send(new Ping("later"));
      assertThat(handled.await(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      cqrs.close();
    }
  }

  @Test
  void a_cqrs_not_started_says_so_rather_than_that_nobody_handles_the_command() {
    Cqrs cqrs = Cqrs.builder().service("early").build();
    cqrs.onCommand(Ping.class, (ping, command) -> {});
    try {
      assertThatThrownBy(() -> cqrs.send(new Ping("early")))
          .isInstanceOf(UnroutableMessageException.class)
          .hasMessage(
              "No subscriber for "
                  + TypeRegistry.logicalName(Ping.class)
                  + ": cqrs 'early' is not started, and start() subscribes its handler of it;"
                  + " nothing was published");
      // A type it does not handle is another service's: that nobody took it is the news.
      assertThatThrownBy(() -> cqrs.send(new Pong("o")))
          .isInstanceOf(UnroutableMessageException.class);
    } finally {
      cqrs.close();
    }
  }
}
