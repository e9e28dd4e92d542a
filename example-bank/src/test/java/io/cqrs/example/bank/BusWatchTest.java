package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.spi.BusHealth;
import io.cqrs.testing.OwnThread;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * When {@code serve} and {@code worker} exit: the decision of {@link BusWatch}, on real in-memory
 * buses. (A spawned worker cannot be made to hit a fatal error without a hook in the bank's code;
 * the process's status is what {@code run} returns, see {@code BankApplication}.)
 */
class BusWatchTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration INTERVAL = Duration.ofMillis(10);

  record Poison() {}

  private final CountDownLatch stop = new CountDownLatch(1);
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @Test
  void a_bus_stopped_by_a_fatal_error_in_a_handler_ends_the_wait_with_status_70() {
    try (InMemoryCommandBus commands = new InMemoryCommandBus();
        InMemoryEventBus events = new InMemoryEventBus();
        ShutdownSignal shutdown = new ShutdownSignal(stop)) {
      commands.subscribe(
          "bank",
          Set.of("Poison"),
          2,
          command -> {
            throw new OutOfMemoryError("simulated in a handler");
          });
      CompletableFuture<Integer> status =
          watch(shutdown, () -> new BankHealth(commands.health(), events.health()));

      commands.publish(Command.create(new Poison()));

      assertThat(status).succeedsWithin(WAIT).isEqualTo(BusWatch.BUS_STOPPED).isEqualTo(70);
      assertThat(err.toString(StandardCharsets.UTF_8))
          .contains("exiting with status 70")
          .contains("java.lang.OutOfMemoryError: simulated in a handler");
    }
  }

  @Test
  void a_request_to_stop_ends_the_wait_with_status_0() {
    try (InMemoryCommandBus commands = new InMemoryCommandBus();
        InMemoryEventBus events = new InMemoryEventBus();
        ShutdownSignal shutdown = new ShutdownSignal(stop)) {
      commands.subscribe("bank", Set.of("Poison"), 1, command -> {});
      CompletableFuture<Integer> status =
          watch(shutdown, () -> new BankHealth(commands.health(), events.health()));

      stop.countDown();

      assertThat(status).succeedsWithin(WAIT).isEqualTo(0);
      assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }
  }

  @Test
  void a_bus_that_is_only_recovering_does_not_end_the_wait() {
    BusHealth recovering =
        new BusHealth(
            false,
            0,
            new BusHealth.Failure("lost its channel: connection reset", Instant.now(), false));
    AtomicInteger reads = new AtomicInteger();
    try (ShutdownSignal shutdown = new ShutdownSignal(stop)) {
      CompletableFuture<Integer> status =
          watch(
              shutdown,
              () -> {
                if (reads.incrementAndGet() == 5) {
                  stop.countDown(); // read five times, and still waiting: it did not exit
                }
                return new BankHealth(recovering, BusHealth.healthy(1));
              });

      assertThat(status).succeedsWithin(WAIT).isEqualTo(0);
      assertThat(reads.get()).isGreaterThanOrEqualTo(5);
    }
  }

  private CompletableFuture<Integer> watch(ShutdownSignal shutdown, Supplier<BankHealth> health) {
    PrintStream printer = new PrintStream(err, true, StandardCharsets.UTF_8);
    return OwnThread.supplyAsync(
        () -> {
          try {
            return BusWatch.await(shutdown, health, INTERVAL, printer);
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
  }
}
