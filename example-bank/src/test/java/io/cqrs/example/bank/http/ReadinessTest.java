package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.BankInfrastructure;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.RelayStore;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@code /ready}'s report: one request at a time probes the store, the others do not queue. */
class ReadinessTest {
  private final AtomicBoolean slow = new AtomicBoolean();
  private final AtomicInteger probes = new AtomicInteger();
  private final CountDownLatch probing = new CountDownLatch(1);
  private final CountDownLatch answer = new CountDownLatch(1);

  /**
   * The in-memory store, all of it (processor claims and publication marks too), but its readiness
   * probe, once {@link #slow}, waits for {@link #answer}.
   */
  private final EventStreamRepository store = slowToProbe(new InMemoryEventStreamRepository());

  private EventStreamRepository slowToProbe(InMemoryEventStreamRepository memory) {
    InvocationHandler calls =
        (proxy, method, arguments) -> {
          if (method.getName().equals("version") && Readiness.PROBE_ID.equals(arguments[0])) {
            probes.incrementAndGet();
            if (slow.get()) {
              probing.countDown();
              awaitAnswer();
            }
          }
          try {
            return method.invoke(memory, arguments);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        };
    return (EventStreamRepository)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {EventStreamRepository.class, ProcessorStore.class, RelayStore.class},
            calls);
  }

  @Test
  void while_one_request_waits_for_a_slow_store_the_others_get_the_last_report_at_once()
      throws Exception {
    ExecutorService requests = Executors.newFixedThreadPool(2);
    try (InMemoryEventBus events = new InMemoryEventBus();
        InMemoryCommandBus commands = new InMemoryCommandBus();
        Bank bank =
            Bank.create(
                BankInfrastructure.of(store, events, commands, "test"), new PasswordHasher(1_000));
        // Every request would probe afresh, and a probe waits for the store as long as it takes.
        Readiness readiness = new Readiness(bank, Duration.ZERO, Duration.ofSeconds(30))) {
      Readiness.Report before = readiness.check();
      slow.set(true);
      CompletableFuture<Readiness.Report> probed =
          CompletableFuture.supplyAsync(readiness::check, requests);
      assertThat(probing.await(10, TimeUnit.SECONDS)).as("the probe waits for the store").isTrue();

      Readiness.Report meanwhile =
          CompletableFuture.supplyAsync(readiness::check, requests).get(10, TimeUnit.SECONDS);

      assertThat(meanwhile).isSameAs(before);
      assertThat(probes).as("no second probe while one runs").hasValue(2);
      answer.countDown();
      assertThat(probed.get(10, TimeUnit.SECONDS)).isNotSameAs(before);
    } finally {
      answer.countDown();
      requests.shutdownNow();
    }
  }

  private void awaitAnswer() {
    try {
      answer.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
