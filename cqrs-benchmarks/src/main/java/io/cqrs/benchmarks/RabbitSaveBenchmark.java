package io.cqrs.benchmarks;

import io.cqrs.EventSourcingRepository;
import io.cqrs.benchmarks.model.BenchAccount;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.rabbitmq.RabbitEventBus;
import io.cqrs.spi.Subscription;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What {@code EventSourcingRepository.publishAsynchronously} buys a command handler on RabbitMQ.
 * One operation is one save of a one-event commit (a new account opened) on one thread, through a
 * repository over an in-memory store that publishes on {@link RabbitEventBus} (the broker of {@code
 * CQRS_RABBITMQ_URI}); each invocation saves {@value #SAVES} accounts and waits until a subscriber
 * has handled all {@value #SAVES} events, so both variants pay for delivery.
 *
 * <ul>
 *   <li>{@code confirmed} (baseline): the default; each save waits for the broker's confirm.
 *   <li>{@code asynchronous}: {@code publishAsynchronously(true)}; each save returns once committed
 *       and the confirms arrive while the next saves run.
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(RabbitSaveBenchmark.SAVES)
@Fork(1)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class RabbitSaveBenchmark {
  /** Saves per invocation. */
  static final int SAVES = 500;

  /** The bus with a counting subscription, and both repositories' settings. */
  @State(Scope.Benchmark)
  public static class Saving {
    private final RabbitBroker broker = new RabbitBroker();
    private RabbitEventBus bus;
    private Subscription subscription;
    private volatile CountDownLatch handled;
    private EventSourcingRepository confirmed;
    private EventSourcingRepository asynchronous;

    /** Declares the topology and starts the subscriber; not measured. */
    @Setup(Level.Trial)
    public void start() {
      bus = broker.eventBus();
      subscription = bus.subscribe(RabbitBroker.SUBSCRIPTION, 1, event -> handled.countDown());
    }

    /** Fresh stores, so every save appends to a new stream; not measured. */
    @Setup(Level.Invocation)
    public void reset() {
      handled = new CountDownLatch(SAVES);
      confirmed = repository(false);
      asynchronous = repository(true);
    }

    private EventSourcingRepository repository(boolean publishAsynchronously) {
      return EventSourcingRepository.builder(
              new InMemoryEventStreamRepository(), broker.serializer().registry())
          .publisher(bus)
          .publishAsynchronously(publishAsynchronously)
          .build();
    }

    /** Closes the bus and deletes what it declared. */
    @TearDown(Level.Trial)
    public void stop() throws Exception {
      subscription.close();
      bus.close();
      broker.deleteAll(List.of(), List.of());
    }
  }

  /** Each save waits for the broker's confirm. */
  @Benchmark
  public void confirmed(Saving saving) throws InterruptedException {
    saveAll(saving.confirmed);
    RabbitBroker.awaitHandled(saving.handled, SAVES);
  }

  /** Each save returns once committed; the confirms arrive in the background. */
  @Benchmark
  public void asynchronous(Saving saving) throws InterruptedException {
    saveAll(saving.asynchronous);
    RabbitBroker.awaitHandled(saving.handled, SAVES);
  }

  private static void saveAll(EventSourcingRepository repository) {
    String correlation = UUID.randomUUID().toString();
    for (int i = 0; i < SAVES; i++) {
      BenchAccount account = new BenchAccount("account-" + i);
      account.open("owner-" + i);
      repository.save(account, correlation);
    }
  }
}
