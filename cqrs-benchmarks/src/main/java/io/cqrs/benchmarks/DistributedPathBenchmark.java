package io.cqrs.benchmarks;

import com.couchbase.client.java.Collection;
import com.couchbase.client.java.codec.RawJsonTranscoder;
import com.couchbase.client.java.kv.InsertOptions;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.cqrs.Command;
import io.cqrs.VersionedEvent;
import io.cqrs.couchbase.mock.InProcessCouchbaseMock;
import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.BankInfrastructure;
import io.cqrs.example.bank.InfrastructureOptions;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.interceptor.Dispatch;
import io.cqrs.interceptor.EventPublishInterceptor;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
 * example-bank's distributed command path in one process, against the least a hand-written program
 * needs for the same effect (issue 14). One operation is one command: {@value #COMMANDS} per
 * invocation, all published at once, handled by {@value #HANDLERS} consumers at a time, and the
 * invocation ends when every command's event has been published and confirmed. Both run against the
 * same servers: CouchbaseMock in this JVM (TCP_NODELAY on, {@link InProcessCouchbaseMock}) and the
 * RabbitMQ of {@code CQRS_RABBITMQ_URI}.
 *
 * <ul>
 *   <li>{@code handWritten} (baseline): raw amqp-client and the Couchbase SDK. The commands are
 *       published with streaming confirms; each of {@value #HANDLERS} consumers (prefetch {@value
 *       #PREFETCH}) takes a command, makes one insert of the event's JSON, publishes the event and
 *       waits for its confirm, then acks the command. No deduplication, no concurrency control, no
 *       aggregate, no read model: what the issue calls the minimum I/O.
 *   <li>{@code bank}: {@link Bank} on Couchbase and RabbitMQ with {@value #HANDLERS} command
 *       listeners and no read models here ({@code withoutReadModelUpdates}: another instance would
 *       run them), sending {@code CreditAccount} commands over the command bus to {@value
 *       #ACCOUNTS} accounts in turn, opened anew for each invocation (not measured); an {@link
 *       EventPublishInterceptor} counts the published events. Everything the framework promises is
 *       paid for: deduplication by message id, the aggregate loaded (cached) and saved with
 *       optimistic concurrency, publication marks, the relay.
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(DistributedPathBenchmark.COMMANDS)
@Fork(1)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
public class DistributedPathBenchmark {
  /** Commands per invocation. */
  static final int COMMANDS = 200;

  /** Commands handled at once, on either side. */
  static final int HANDLERS = 2;

  /** Deliveries a hand-written consumer may hold unacknowledged. */
  static final int PREFETCH = 8;

  /** Accounts the bank's commands credit in turn, so that handlers rarely meet on one. */
  static final int ACCOUNTS = 16;

  private static final String BUCKET = "bench";
  private static final String PASSWORD = "benchpw";
  private static final Duration TIMEOUT = Duration.ofSeconds(RabbitBroker.AWAIT_SECONDS);

  /** The bank with its accounts opened, and a count of what it published. */
  @State(Scope.Benchmark)
  public static class Framework {
    private final RabbitBroker broker = new RabbitBroker();
    private final Set<String> published = ConcurrentHashMap.newKeySet();
    private volatile CountDownLatch done = new CountDownLatch(0);
    private InProcessCouchbaseMock couchbase;
    private BankInfrastructure infrastructure;
    private Bank bank;
    private final List<String> accounts = new ArrayList<>();

    /** Starts the servers' clients and the bank, and opens the accounts; not measured. */
    @Setup(Level.Trial)
    public void start() {
      couchbase = InProcessCouchbaseMock.start(BUCKET, PASSWORD);
      infrastructure =
          BankInfrastructure.create(
              new InfrastructureOptions(
                  InfrastructureOptions.Store.COUCHBASE,
                  InfrastructureOptions.Bus.RABBITMQ,
                  couchbase.connectionString(),
                  couchbase.username(),
                  couchbase.password(),
                  couchbase.bucket(),
                  broker.uri(),
                  null,
                  broker.prefix()));
      EventPublishInterceptor counting = this::count;
      bank =
          Bank.builder(infrastructure)
              .passwords(new PasswordHasher(1_000))
              .listeners(HANDLERS)
              .withoutReadModelUpdates()
              .interceptors(List.of(counting))
              .build()
              .start();
    }

    private CompletableFuture<Void> count(Dispatch<VersionedEvent> dispatch) {
      return dispatch
          .proceed()
          .thenRun(
              () -> {
                for (VersionedEvent event : dispatch.messages()) {
                  if (published.add(event.id())) {
                    done.countDown();
                  }
                }
              });
    }

    /** The invocation's commands, made before it is measured. */
    private List<Command> commands;

    /**
     * Opens {@value #ACCOUNTS} new accounts, then makes the invocation's commands to them and a
     * fresh count: every command does the same work however long the run (a stream's head lists its
     * commits, so streams that grew through the run would make later loads read more).
     */
    @Setup(Level.Invocation)
    public void prepare() {
      accounts.clear();
      for (int i = 0; i < ACCOUNTS; i++) {
        accounts.add(
            bank.service()
                .openAccount("Bench", "Mark", "bench@cqrs.example", "benchmark!", BigDecimal.ONE));
      }
      commands = new ArrayList<>(COMMANDS);
      for (int i = 0; i < COMMANDS; i++) {
        commands.add(Command.create(new CreditAccount(accounts.get(i % ACCOUNTS), BigDecimal.ONE)));
      }
      published.clear();
      done = new CountDownLatch(COMMANDS);
    }

    /** Stops the bank and deletes what it declared. */
    @TearDown(Level.Trial)
    public void stop() throws Exception {
      bank.close();
      infrastructure.close();
      couchbase.close();
      broker.deleteEverythingWithPrefix();
    }
  }

  /** The hand-written pipeline's queue, consumers and connections. */
  @State(Scope.Benchmark)
  public static class HandWritten {
    private final RabbitBroker broker = new RabbitBroker();
    private MockCouchbase couchbase;
    private Collection collection;
    private Connection publishing;
    private Connection consuming;
    private Channel publisher;
    private String commandQueue;
    private String eventExchange;
    private volatile CountDownLatch done = new CountDownLatch(0);
    private byte[][] commands;

    /** Declares the queue and exchange and starts the consumers; not measured. */
    @Setup(Level.Trial)
    public void start() throws Exception {
      couchbase = MockCouchbase.start();
      collection = couchbase.collection();
      commandQueue = broker.prefix() + ".hand.commands";
      eventExchange = broker.prefix() + ".hand.events";
      publishing = broker.connect("hand-publish");
      consuming = broker.connect("hand-consume");
      publisher = publishing.createChannel();
      publisher.queueDeclare(commandQueue, true, false, false, null);
      publisher.exchangeDeclare(eventExchange, BuiltinExchangeType.TOPIC, true);
      publisher.confirmSelect();
      for (int i = 0; i < HANDLERS; i++) {
        consume(consuming.createChannel(), consuming.createChannel());
      }
      commands = new byte[COMMANDS][];
    }

    private void consume(Channel channel, Channel events) throws IOException {
      events.confirmSelect();
      channel.basicQos(PREFETCH);
      channel.basicConsume(
          commandQueue,
          false,
          new DefaultConsumer(channel) {
            @Override
            public void handleDelivery(
                String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
                throws IOException {
              String id = UUID.randomUUID().toString();
              byte[] event =
                  ("{\"id\":\""
                          + id
                          + "\",\"type\":\"AccountCredited\",\"command\":"
                          + new String(body, StandardCharsets.UTF_8)
                          + "}")
                      .getBytes(StandardCharsets.UTF_8);
              collection.insert(
                  id, event, InsertOptions.insertOptions().transcoder(RawJsonTranscoder.INSTANCE));
              events.basicPublish(
                  eventExchange,
                  "AccountCredited",
                  new AMQP.BasicProperties.Builder()
                      .contentType("application/json")
                      .deliveryMode(2)
                      .messageId(id)
                      .build(),
                  event);
              try {
                events.waitForConfirmsOrDie(TIMEOUT.toMillis());
              } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
                throw new IOException("The event's confirm did not come", e);
              }
              getChannel().basicAck(envelope.getDeliveryTag(), false);
              done.countDown();
            }
          });
    }

    /** A fresh count and fresh command bodies for the invocation. */
    @Setup(Level.Invocation)
    public void prepare() {
      done = new CountDownLatch(COMMANDS);
      for (int i = 0; i < COMMANDS; i++) {
        commands[i] =
            ("{\"accountId\":\"account-" + (i % ACCOUNTS) + "\",\"amount\":1}")
                .getBytes(StandardCharsets.UTF_8);
      }
    }

    /** Closes the connections and deletes the queue and exchange. */
    @TearDown(Level.Trial)
    public void stop() throws Exception {
      consuming.close();
      publishing.close();
      couchbase.close();
      broker.deleteEverythingWithPrefix();
    }
  }

  /** The hand-written pipeline: publish with confirms, consume, insert, publish, confirm, ack. */
  @Benchmark
  public void handWritten(HandWritten pipeline) throws Exception {
    AMQP.BasicProperties persistent =
        new AMQP.BasicProperties.Builder().contentType("application/json").deliveryMode(2).build();
    for (byte[] command : pipeline.commands) {
      pipeline.publisher.basicPublish("", pipeline.commandQueue, persistent, command);
    }
    pipeline.publisher.waitForConfirmsOrDie(TIMEOUT.toMillis());
    await(pipeline.done);
  }

  /** The bank: the commands on its command bus, their events published by its handlers. */
  @Benchmark
  public void bank(Framework framework) throws Exception {
    framework.bank.cqrs().commandBus().publish(framework.commands);
    await(framework.done);
  }

  private static void await(CountDownLatch done) throws InterruptedException {
    if (!done.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      throw new IllegalStateException(
          "Only " + (COMMANDS - done.getCount()) + " of " + COMMANDS + " events were published");
    }
  }
}
