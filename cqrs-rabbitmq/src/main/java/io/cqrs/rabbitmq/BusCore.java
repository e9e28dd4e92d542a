package io.cqrs.rabbitmq;

import io.cqrs.spi.BusHealth;
import io.cqrs.spi.Subscription;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What both RabbitMQ buses share: a publishing connection with its confirming publisher, a
 * consuming connection opened on the first subscription, and the running subscriptions.
 *
 * <p>Publishing and consuming use separate connections so that a broker that blocks publishers
 * (memory or disk alarm) does not also stop the acknowledgements that would relieve it.
 */
final class BusCore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BusCore.class);

  private final Settings settings;
  private final BrokerConnection publishing;
  private final ConfirmingPublisher publisher;
  private final Executor completions;
  private final ExecutorService ownCompletions; // null when the caller gave an executor
  private final Object consumingLock = new Object();
  private final List<RabbitSubscription> subscriptions = new CopyOnWriteArrayList<>();
  private final AtomicInteger listenerIds = new AtomicInteger();
  private final ConsumerWatch watch;
  private BrokerConnection consuming; // guarded by consumingLock
  private volatile boolean closed;

  private BusCore(Settings settings, BrokerConnection publishing) {
    this.settings = settings;
    this.publishing = publishing;
    this.publisher =
        new ConfirmingPublisher(
            publishing,
            settings.confirmWindow(),
            settings.publishTimeout(),
            settings.maxMessageBytes());
    this.watch = new ConsumerWatch(settings.connectionName(), this::stopListeners);
    if (settings.completions() == null) {
      ownCompletions =
          Executors.newCachedThreadPool(
              DaemonThreads.named("cqrs-rabbit-complete-" + settings.connectionName()));
      completions = ownCompletions;
    } else {
      ownCompletions = null;
      completions = settings.completions();
    }
  }

  /**
   * Connects for publishing and declares what publishers need (or checks that it exists, when the
   * bus does not declare its topology).
   */
  static BusCore open(Settings settings, List<Declaration> publisherTopology) {
    long deadline = deadline(settings);
    BrokerConnection publishing =
        BrokerConnection.open(
            settings.factory(),
            settings.addresses(),
            settings.connectionName() + "/publish",
            deadline);
    try {
      publishing.declare(settings.topology(publisherTopology), deadline);
    } catch (RuntimeException e) {
      publishing.close();
      throw e;
    }
    return new BusCore(settings, publishing);
  }

  Settings settings() {
    return settings;
  }

  private static long deadline(Settings settings) {
    return System.nanoTime() + settings.publishTimeout().toNanos();
  }

  /**
   * The messages for a call's {@code items}, checked before anything is sent: a null list or item
   * throws (naming {@code argument}), as does a closed bus, and nothing is published.
   */
  <T> List<OutboundMessage> messages(
      List<T> items, String argument, Function<T, OutboundMessage> toMessage) {
    Objects.requireNonNull(items, argument);
    ensureOpen();
    List<OutboundMessage> messages = new ArrayList<>(items.size());
    for (T item : items) {
      messages.add(toMessage.apply(Objects.requireNonNull(item, argument + "[]")));
    }
    return messages;
  }

  /** Publishes and waits for the confirms; see {@link ConfirmingPublisher#publish}. */
  List<Returned> publish(List<OutboundMessage> messages) {
    ensureOpen();
    return publisher.publish(messages, settings.publishTimeout());
  }

  /**
   * Publishes without waiting for the confirms; see {@link ConfirmingPublisher#publishAsync}. The
   * future completes on the caller's completion executor, or on a pool of the bus's own, after
   * {@code returned} has looked at the messages the broker could not route (it may throw to fail
   * the future). The future fails with the exception itself, not wrapped in a {@link
   * java.util.concurrent.CompletionException}, as a failed future of the core's default
   * publishAsync does.
   */
  CompletableFuture<Void> publishAsync(
      List<OutboundMessage> messages, Consumer<List<Returned>> returned) {
    ensureOpen();
    CompletableFuture<Void> result = new CompletableFuture<>();
    publisher
        .publishAsync(messages, settings.publishTimeout(), completions)
        .whenComplete(
            (unroutable, failure) -> {
              if (failure != null) {
                result.completeExceptionally(failure);
                return;
              }
              try {
                returned.accept(unroutable);
                result.complete(null);
              } catch (Throwable e) { // an Error too: the caller's future must not hang
                result.completeExceptionally(e);
              }
            });
    return result;
  }

  /**
   * Declares a subscription's queues (or checks that they exist, when the bus does not declare its
   * topology) and starts {@code listeners} listeners on them.
   */
  <T> Subscription subscribe(
      SubscriptionTopology topology,
      int listeners,
      MessageProcessor.Decoder<T> decoder,
      MessageProcessor.Consumer<T> consumer) {
    ensureOpen();
    watch.ensureNotStopped();
    BrokerConnection connection = consuming();
    connection.declare(settings.topology(topology.declarations()), deadline(settings));
    DeliveryHandler handler = handler(topology, decoder, consumer);
    List<Listener> started = start(connection, topology, listeners, handler);
    RabbitSubscription subscription =
        new RabbitSubscription(topology.name(), started, subscriptions::remove, this::health);
    subscriptions.add(subscription);
    if (watch.isStopped()) {
      subscription.stopListeners(); // a fatal error raced with this call
    }
    return subscription;
  }

  /**
   * How the bus's consumers are doing: every listener of every open subscription consuming (or
   * waiting for its connection to recover, for less than {@code unhealthyAfter}), none lost for
   * good, no fatal error, no connection down for longer than {@code unhealthyAfter}, the bus open.
   */
  BusHealth health() {
    List<Listener> listeners = new ArrayList<>();
    for (RabbitSubscription subscription : subscriptions) {
      listeners.addAll(subscription.listeners());
    }
    return health(listeners, false);
  }

  /** The same for some of the bus's listeners (one subscription's), unhealthy if it is closed. */
  BusHealth health(List<Listener> listeners, boolean closedSubscription) {
    long grace = settings.unhealthyAfter().toNanos();
    List<BrokerConnection> connections = connections();
    List<BusHealth.Connection> states = new ArrayList<>(connections.size());
    boolean unreachable = false;
    for (BrokerConnection connection : connections) {
      states.add(connection.state());
      unreachable |= connection.downForNanos() > grace;
    }
    int consumingNow = 0;
    int recovering = 0;
    for (Listener listener : listeners) {
      if (listener.isConsuming()) {
        consumingNow++;
      } else if (listener.connectionDownWithin(grace)) {
        recovering++;
      }
    }
    return watch.health(
        consumingNow,
        recovering,
        listeners.size(),
        closed || closedSubscription || unreachable,
        states);
  }

  private List<BrokerConnection> connections() {
    synchronized (consumingLock) {
      return consuming == null ? List.of(publishing) : List.of(publishing, consuming);
    }
  }

  /** After a fatal error: every listener stops after the message in hand; nothing waits. */
  private void stopListeners() {
    subscriptions.forEach(RabbitSubscription::stopListeners);
  }

  private <T> DeliveryHandler handler(
      SubscriptionTopology topology,
      MessageProcessor.Decoder<T> decoder,
      MessageProcessor.Consumer<T> consumer) {
    FailureRouter failures =
        new FailureRouter(publisher::publishCopies, settings.publishTimeout(), topology);
    return topology.ordered()
        ? MessageProcessor.retryingInPlace(decoder, consumer, failures, settings.retryDelays())
        : MessageProcessor.retryingThroughBroker(decoder, consumer, failures);
  }

  private List<Listener> start(
      BrokerConnection connection,
      SubscriptionTopology topology,
      int listeners,
      DeliveryHandler handler) {
    List<Listener> started = new ArrayList<>();
    try {
      for (List<String> queues : assign(topology, listeners)) {
        Listener listener = listener(connection, topology.name(), queues, handler);
        listener.start();
        started.add(listener);
      }
      return started;
    } catch (RuntimeException e) {
      new RabbitSubscription(topology.name(), started, s -> {}, this::health).close();
      throw e;
    }
  }

  private Listener listener(
      BrokerConnection connection, String name, List<String> queues, DeliveryHandler handler) {
    return new Listener(
        connection,
        "cqrs-rabbit-" + name + "-" + listenerIds.incrementAndGet(),
        queues,
        settings.prefetch(),
        settings.ackBatch(),
        handler,
        watch);
  }

  /**
   * Which queues each listener consumes: every listener the one work queue, or each partition on
   * exactly one listener, so that a partition's messages are handled one after another.
   */
  static List<List<String>> assign(SubscriptionTopology topology, int listeners) {
    List<String> queues = topology.consumeQueues();
    if (!topology.ordered()) {
      return Collections.nCopies(listeners, queues);
    }
    int used = Math.min(listeners, queues.size());
    List<List<String>> assignment = new ArrayList<>();
    for (int i = 0; i < used; i++) {
      assignment.add(new ArrayList<>());
    }
    for (int i = 0; i < queues.size(); i++) {
      assignment.get(i % used).add(queues.get(i));
    }
    return assignment;
  }

  private BrokerConnection consuming() {
    synchronized (consumingLock) {
      if (consuming == null) {
        consuming =
            BrokerConnection.open(
                settings.factory(),
                settings.addresses(),
                settings.connectionName() + "/consume",
                deadline(settings));
      }
      return consuming;
    }
  }

  /**
   * Declares everything a subscription uses, on the publishing connection, whether or not the bus
   * declares its topology itself: for an operator's tool that prepares the broker for buses that do
   * not ({@code declareTopology(false)}).
   */
  void declare(SubscriptionTopology topology) {
    ensureOpen();
    publishing.declare(topology.declarations(), deadline(settings));
  }

  /** Dead-letter inspection and replay through this bus's connection. */
  DeadLetters deadLetters() {
    ensureOpen();
    return new DeadLetters(publishing, publisher, settings.publishTimeout());
  }

  /** The exchanges and queues this bus has declared (for tests that clean up after themselves). */
  List<Declaration> declarations() {
    List<Declaration> all = new ArrayList<>(publishing.declarations());
    synchronized (consumingLock) {
      if (consuming != null) {
        all.addAll(consuming.declarations());
      }
    }
    return all;
  }

  void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("The bus is closed");
    }
  }

  /**
   * Closes every subscription, then the publisher (after the asynchronous publications in flight
   * were confirmed, up to the publish timeout, while the broker is reachable) and the connections.
   * Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (RabbitSubscription subscription : List.copyOf(subscriptions)) {
      subscription.close();
    }
    publisher.close();
    synchronized (consumingLock) {
      if (consuming != null) {
        consuming.close();
      }
    }
    publishing.close();
    if (ownCompletions != null) {
      ownCompletions.shutdown(); // completions already handed over, such as closing's, still run
    }
    log.debug("Closed bus '{}'", settings.connectionName());
  }
}
