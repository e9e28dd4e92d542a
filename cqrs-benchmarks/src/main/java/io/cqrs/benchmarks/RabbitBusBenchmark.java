package io.cqrs.benchmarks;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.cqrs.VersionedEvent;
import io.cqrs.rabbitmq.RabbitEventBus;
import io.cqrs.spi.Subscription;
import java.io.IOException;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
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
 * Issue 4: one operation is one event published and handled, with one publisher, one consumer,
 * persistent messages, publisher confirms and manual acks, on the RabbitMQ of {@code
 * CQRS_RABBITMQ_URI}. Each invocation sends {@value #EVENTS} events of about 300 bytes and waits
 * until the consumer has handled them all.
 *
 * <ul>
 *   <li>{@code raw} (baseline): amqp-client alone: a durable classic queue bound to a topic
 *       exchange; the publisher streams the events with asynchronous confirms, at most {@value
 *       #WINDOW} unconfirmed; the consumer (prefetch {@value #PREFETCH}) acks each message.
 *   <li>{@code eventBus}: {@link RabbitEventBus#publish} of the {@value #EVENTS} events in one call
 *       (the bus streams them with the same window and returns when all are confirmed), and one
 *       listener of a subscription whose consumer counts them; the bus deserializes each event and
 *       acks it after the consumer returned.
 *   <li>{@code eventBusOnePerCall}: the same bus, one {@code publish} call per event, as a
 *       repository does for a one-event commit: each call waits for its own confirm.
 *   <li>{@code eventBusAsyncOnePerCall}: the same bus, one {@link RabbitEventBus#publishAsync} call
 *       per event, every future joined at the end: the calls share the confirm window instead of
 *       each waiting for its own confirm.
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(RabbitBusBenchmark.EVENTS)
@Fork(1)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class RabbitBusBenchmark {
  /** Events per invocation. */
  static final int EVENTS = 1_000;

  /** Unconfirmed messages at most, the bus's default confirm window. */
  static final int WINDOW = 1_000;

  /** Unacknowledged deliveries at most, the bus's default prefetch. */
  static final int PREFETCH = 250;

  /** The bus with its subscription. */
  @State(Scope.Benchmark)
  public static class Bus {
    private final RabbitBroker broker = new RabbitBroker();
    private RabbitEventBus bus;
    private Subscription subscription;
    private List<VersionedEvent> events;
    private volatile CountDownLatch handled;

    /** Declares the topology and starts the listener; not measured. */
    @Setup(Level.Trial)
    public void start() {
      events = broker.events(EVENTS);
      bus = broker.eventBus();
      subscription = bus.subscribe(RabbitBroker.SUBSCRIPTION, 1, event -> handled.countDown());
    }

    /** A fresh count for the invocation. */
    @Setup(Level.Invocation)
    public void reset() {
      handled = new CountDownLatch(EVENTS);
    }

    /** Closes the bus and deletes what it declared. */
    @TearDown(Level.Trial)
    public void stop() throws Exception {
      subscription.close();
      bus.close();
      broker.deleteAll(List.of(), List.of());
    }
  }

  /** amqp-client alone, with the same messages. */
  @State(Scope.Benchmark)
  public static class Raw {
    private final RabbitBroker broker = new RabbitBroker();
    private final NavigableSet<Long> unconfirmed = new ConcurrentSkipListSet<>();
    private final Semaphore window = new Semaphore(WINDOW);
    private String exchange;
    private String queue;
    private Connection publishing;
    private Connection consuming;
    private Channel publisher;
    private byte[][] bodies;
    private AMQP.BasicProperties[] properties;
    private volatile CountDownLatch handled;

    /** Declares a queue and exchange, starts the consumer; not measured. */
    @Setup(Level.Trial)
    public void start() throws Exception {
      exchange = broker.prefix() + ".raw";
      queue = broker.prefix() + ".raw.q";
      List<VersionedEvent> events = broker.events(EVENTS);
      bodies = new byte[EVENTS][];
      properties = new AMQP.BasicProperties[EVENTS];
      for (int i = 0; i < EVENTS; i++) {
        VersionedEvent event = events.get(i);
        bodies[i] = broker.serializer().serialize(event);
        properties[i] = properties(event);
      }
      publishing = broker.connect("raw-publish");
      consuming = broker.connect("raw-consume");
      publisher = publishing.createChannel();
      publisher.exchangeDeclare(exchange, BuiltinExchangeType.TOPIC, true);
      publisher.queueDeclare(queue, true, false, false, null);
      publisher.queueBind(queue, exchange, "#");
      publisher.confirmSelect();
      publisher.addConfirmListener(this::confirmed, this::confirmed);
      Channel consumer = consuming.createChannel();
      consumer.basicQos(PREFETCH);
      consumer.basicConsume(
          queue,
          false,
          new DefaultConsumer(consumer) {
            @Override
            public void handleDelivery(
                String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
                throws IOException {
              getChannel().basicAck(envelope.getDeliveryTag(), false);
              handled.countDown();
            }
          });
    }

    private static AMQP.BasicProperties properties(VersionedEvent event) {
      return new AMQP.BasicProperties.Builder()
          .contentType("application/json")
          .deliveryMode(2)
          .messageId(event.id())
          .correlationId(event.correlationId())
          .type(event.eventType())
          .timestamp(Date.from(event.created()))
          .headers(Map.of("x-cqrs-source-id", event.sourceId(), "x-cqrs-version", event.version()))
          .build();
    }

    private void confirmed(long sequence, boolean multiple) {
      // Nacks release the window too: the broker never nacks here, and the count would show it.
      if (multiple) {
        NavigableSet<Long> done = unconfirmed.headSet(sequence, true);
        int count = done.size();
        done.clear();
        window.release(count);
      } else if (unconfirmed.remove(sequence)) {
        window.release();
      }
    }

    /** A fresh count for the invocation. */
    @Setup(Level.Invocation)
    public void reset() {
      handled = new CountDownLatch(EVENTS);
    }

    void publishAll() throws Exception {
      for (int i = 0; i < EVENTS; i++) {
        window.acquire();
        unconfirmed.add(publisher.getNextPublishSeqNo());
        publisher.basicPublish(exchange, "AccountOpened", true, properties[i], bodies[i]);
      }
      // All confirmed once the whole window is free again.
      if (!window.tryAcquire(WINDOW, RabbitBroker.AWAIT_SECONDS, TimeUnit.SECONDS)) {
        throw new IllegalStateException(unconfirmed.size() + " messages were never confirmed");
      }
      window.release(WINDOW);
    }

    /** Closes the connections and deletes the queue and exchange. */
    @TearDown(Level.Trial)
    public void stop() throws Exception {
      consuming.close();
      publishing.close();
      broker.deleteAll(List.of(queue), List.of(exchange));
    }
  }

  /** The bus, the whole batch in one publish call. */
  @Benchmark
  public void eventBus(Bus bus) throws InterruptedException {
    bus.bus.publish(bus.events);
    RabbitBroker.awaitHandled(bus.handled, EVENTS);
  }

  /** The bus, one publish call per event. */
  @Benchmark
  public void eventBusOnePerCall(Bus bus) throws InterruptedException {
    for (VersionedEvent event : bus.events) {
      bus.bus.publish(List.of(event));
    }
    RabbitBroker.awaitHandled(bus.handled, EVENTS);
  }

  /** The bus, one publishAsync call per event, then every future joined. */
  @Benchmark
  public void eventBusAsyncOnePerCall(Bus bus) throws Exception {
    CompletableFuture<?>[] published = new CompletableFuture<?>[EVENTS];
    for (int i = 0; i < EVENTS; i++) {
      published[i] = bus.bus.publishAsync(List.of(bus.events.get(i)));
    }
    CompletableFuture.allOf(published).get(RabbitBroker.AWAIT_SECONDS, TimeUnit.SECONDS);
    RabbitBroker.awaitHandled(bus.handled, EVENTS);
  }

  /** amqp-client with streaming confirms. */
  @Benchmark
  public void raw(Raw raw) throws Exception {
    raw.publishAll();
    RabbitBroker.awaitHandled(raw.handled, EVENTS);
  }
}
