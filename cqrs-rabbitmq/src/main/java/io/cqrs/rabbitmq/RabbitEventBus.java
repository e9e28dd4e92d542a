package io.cqrs.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.ConnectionFactory;
import io.cqrs.EventSerializer;
import io.cqrs.UnroutableMessageException;
import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventHandler;
import io.cqrs.spi.BusHealth;
import io.cqrs.spi.DeadLetterQueues;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.QueuedDeadLetter;
import io.cqrs.spi.SerializingPart;
import io.cqrs.spi.Subscription;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link EventBus} on RabbitMQ: every subscription is a durable queue bound to one topic
 * exchange, so every subscription gets every event and the listeners of one subscription, in any
 * number of processes, compete for them.
 *
 * <p>{@link #publish} sends persistent, mandatory messages (routing key: the event type) and
 * returns once the broker has confirmed all of them; while the broker is unreachable it waits up to
 * the publish timeout, then throws {@link BrokerUnavailableException}. Listeners acknowledge an
 * event only after the consumer returned; a consumer that throws gets the event again after each of
 * the retry delays, through delayed retry queues, and then it goes to the subscription's
 * dead-letter queue with the failure in its headers. Malformed messages and unknown types go to the
 * dead-letter queue at once.
 *
 * <p>A subscription named in {@link Builder#orderedSubscriptions} is split into partitions by the
 * events' source id (consistent-hash exchange, single-active-consumer queues): the events of one
 * aggregate are handled one at a time, in the order they were published, even across processes;
 * failed events are retried in place so the order holds. See {@code docs/rabbitmq.md}.
 *
 * <p>Thread-safe. Closing the bus closes its subscriptions and the connections it opened.
 */
public final class RabbitEventBus implements EventBus, DeadLetterQueues, SerializingPart {
  private static final Logger log = LoggerFactory.getLogger(RabbitEventBus.class);

  private final BusCore core;
  private final EventSerializer serializer;
  private final Declaration exchange;
  private final Set<String> ordered;
  private final boolean failOnUnroutable;
  private final UnroutableLog unroutableLog;

  private RabbitEventBus(Builder builder) {
    Settings settings = builder.settings(builder.partitions);
    this.exchange =
        Declaration.exchange(settings.names().eventExchange(), BuiltinExchangeType.TOPIC);
    this.serializer = builder.serializer();
    this.ordered = Set.copyOf(builder.ordered);
    this.failOnUnroutable = builder.failOnUnroutable;
    this.unroutableLog =
        new UnroutableLog(
            System::nanoTime,
            builder.warnOnUnroutable
                ? message -> log.warn("Unroutable events: {}", message)
                : message -> log.debug("Unroutable events: {}", message));
    this.core = BusCore.open(settings, List.of(exchange));
  }

  /** The serializer it writes and reads with (see {@link SerializingPart}). */
  @Override
  public Optional<EventSerializer> serializer() {
    return Optional.of(serializer);
  }

  /**
   * A builder for a bus that connects with an {@code amqp://} or {@code amqps://} URI, for example
   * {@code amqp://user:password@host:5672/%2f}. With {@code amqps} the server certificate is
   * verified against the JVM's trust store.
   */
  public static Builder builder(String amqpUri, EventSerializer serializer) {
    return new Builder(ConnectionFactories.fromUri(amqpUri), serializer);
  }

  /**
   * A builder for a bus that connects with a copy of the caller's factory (credentials, TLS,
   * timeouts kept; automatic recovery switched on in the copy). The caller's factory is not
   * changed.
   */
  public static Builder builder(ConnectionFactory connectionFactory, EventSerializer serializer) {
    return new Builder(connectionFactory, serializer);
  }

  /**
   * A builder for a bus connected to the nodes of a cluster, one {@code amqp://} or {@code
   * amqps://} URI per node (see {@link RabbitBusBuilder#addresses}). Every URI must agree on
   * scheme, user, password and virtual host; error messages name a URI by its index only, since
   * URIs hold passwords. One comma-separated string, as an environment variable holds it, is split
   * by {@link #splitUris}.
   *
   * @throws IllegalArgumentException if a URI is malformed or disagrees with the first
   */
  public static Builder builder(List<String> amqpUris, EventSerializer serializer) {
    ConnectionFactories.Parsed parsed = ConnectionFactories.fromUris(amqpUris);
    return new Builder(parsed.factory(), serializer).nodes(parsed.nodes());
  }

  /**
   * Splits a comma-separated list of AMQP URIs, as an environment variable or a command-line option
   * holds them, before each {@code amqp://} or {@code amqps://} (a comma in a password needs no
   * escaping), for {@link #builder(List, EventSerializer)}.
   */
  public static List<String> splitUris(String amqpUris) {
    return ConnectionFactories.splitUris(amqpUris);
  }

  /**
   * Publishes events in order and returns once the broker has confirmed every one of them.
   *
   * <p>An event that reaches no queue (no subscription exists yet) is logged (each event type when
   * it first does, then at most once a minute with a count), or, with {@link
   * Builder#failOnUnroutable}, reported by an {@link UnroutableMessageException} after all events
   * were confirmed.
   *
   * @throws BrokerUnavailableException if the broker does not confirm within the publish timeout;
   *     some events may have been published
   * @throws IllegalArgumentException if an event is beyond what AMQP carries: an id, correlation id
   *     or type name longer than 255 bytes in UTF-8 (nothing is published), or metadata carried as
   *     headers (the trace context) larger than the connection's {@code frame_max}
   * @throws IllegalStateException if the bus is closed
   */
  @Override
  public void publish(List<VersionedEvent> events) {
    List<OutboundMessage> messages = toMessages(events);
    if (messages.isEmpty()) {
      return;
    }
    List<Returned> returned = core.publish(messages);
    if (!returned.isEmpty()) {
      unroutable(returned);
    }
  }

  /**
   * Publishes events in order without waiting for the broker's confirms. The future completes (on
   * the {@linkplain Builder#completionExecutor completion executor}) once the broker has confirmed
   * every event, and fails with {@link BrokerUnavailableException} if it has not within the publish
   * timeout, or with {@link UnroutableMessageException} under {@link Builder#failOnUnroutable}.
   *
   * <p>This thread serializes the events and hands them to the channel; it waits only while {@code
   * confirmWindow} messages already await their confirms (back-pressure, up to the publish
   * timeout); while the connection is down, or earlier calls wait to be sent again, the call is
   * queued and sent after recovery (the caller waits only while a window's worth of messages is
   * queued so). Events lost on the way (a connection that fails before their confirm) are published
   * again once the connection has recovered, so they may then arrive after later events, and, as
   * always, more than once. The future also fails with {@link io.cqrs.NonTransientCqrsException} if
   * the broker closed the channel over an event; some events of a failed call may have been
   * delivered.
   *
   * @throws NullPointerException if {@code events} is or holds null (nothing is published)
   * @throws io.cqrs.SerializationException if an event cannot be serialized (nothing is published)
   * @throws IllegalArgumentException if an event's id, correlation id or type name is longer than
   *     255 bytes in UTF-8 (nothing is published); metadata carried as headers larger than the
   *     connection's {@code frame_max} fails the future with it
   * @throws IllegalStateException if the bus is closed
   */
  @Override
  public CompletableFuture<Void> publishAsync(List<VersionedEvent> events) {
    List<OutboundMessage> messages = toMessages(events);
    if (messages.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    return core.publishAsync(
        messages,
        returned -> {
          if (!returned.isEmpty()) {
            unroutable(returned);
          }
        });
  }

  private List<OutboundMessage> toMessages(List<VersionedEvent> events) {
    return core.messages(events, "events", this::toMessage);
  }

  private OutboundMessage toMessage(VersionedEvent event) {
    // The headers travel beside the properties: the publisher adds its sequence number to them
    // and builds the properties it sends once, instead of copying a header map twice.
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder()
            .contentType("application/json")
            .deliveryMode(2)
            .messageId(event.id())
            .correlationId(event.correlationId())
            .type(event.eventType())
            .timestamp(Date.from(event.created()))
            .build();
    return new OutboundMessage(
        exchange.name(),
        event.eventType(),
        event.eventType(),
        properties,
        TraceHeaders.withTrace(
            event.metadata(),
            Map.of(CqrsHeaders.SOURCE_ID, event.sourceId(), CqrsHeaders.VERSION, event.version())),
        serializer.serialize(event));
  }

  private void unroutable(List<Returned> returned) {
    if (failOnUnroutable) {
      Returned first = returned.get(0);
      throw new UnroutableMessageException(
          first.message().messageType(),
          returned.size() + " event(s) reached no subscription queue, first: " + first.describe());
    }
    unroutableLog.record(returned);
  }

  /**
   * Starts consuming a subscription on {@code listeners} listeners, each with its own channel and
   * thread. Declares the subscription's queues first (idempotent); with {@code
   * declareTopology(false)} only checks that they exist.
   *
   * @throws BrokerUnavailableException if the broker cannot be reached
   * @throws io.cqrs.NonTransientCqrsException if the broker refuses the topology or the consumer
   *     (no permission), or, with {@code declareTopology(false)}, a queue does not exist
   */
  @Override
  public Subscription subscribe(
      String subscription, int listeners, VersionedEventHandler consumer) {
    Names.requireValid("subscription", subscription);
    RabbitBusBuilder.atLeastOne("listeners", listeners);
    Objects.requireNonNull(consumer, "consumer");
    return core.subscribe(
        topology(subscription), listeners, EnvelopeDecoders.events(serializer), consumer::handle);
  }

  /**
   * Declares what {@link #subscribe} would for a subscription, without consuming: the event
   * exchange, the subscription's queue bound to it (or, for an ordered subscription, its hash
   * exchange and partitions), its retry and dead-letter queues and their bindings to the failure
   * exchange. For an operator's tool that prepares the broker for buses built with {@link
   * RabbitBusBuilder#declareTopology declareTopology(false)}: it declares whether or not this bus
   * declares its own topology, so this bus's broker user needs configure permission on these names
   * (see {@code docs/security.md}). The subscription gets every event published from then on, even
   * before anyone consumes it. Idempotent.
   *
   * @throws BrokerUnavailableException if the broker cannot be reached
   * @throws io.cqrs.NonTransientCqrsException if the broker refuses a declaration (no permission, a
   *     queue that exists with other arguments, or the consistent-hash plugin missing)
   * @throws IllegalStateException if the bus is closed
   */
  public void declareSubscription(String subscription) {
    core.declare(topology(Names.requireValid("subscription", subscription)));
  }

  private SubscriptionTopology topology(String subscription) {
    String queue = core.settings().names().eventQueue(subscription);
    return ordered.contains(subscription)
        ? SubscriptionTopology.partitioned(
            subscription,
            queue,
            exchange,
            core.settings().partitions(),
            core.settings().queueType(),
            core.settings().names().failureExchange())
        : SubscriptionTopology.workQueue(
            subscription,
            queue,
            exchange,
            List.of("#"),
            core.settings().retryDelays(),
            core.settings().queueType(),
            core.settings().names().failureExchange());
  }

  /** The name of a subscription's dead-letter queue. */
  public String deadLetterQueue(String subscription) {
    return topology(Names.requireValid("subscription", subscription)).deadLetterQueue();
  }

  /**
   * The oldest {@code max} messages in a subscription's dead-letter queue, oldest first, each with
   * its message id, type, the {@link CqrsHeaders#REASON reason}, the first line of the {@link
   * CqrsHeaders#EXCEPTION failure} and the {@link CqrsHeaders#ATTEMPTS attempts}. Every message
   * stays in the queue, in its place, for classic and quorum queues alike: they are fetched
   * unacknowledged and given back in one {@code basic.nack} with requeue (see {@code
   * docs/rabbitmq.md}).
   *
   * @throws io.cqrs.NonTransientCqrsException if the queue does not exist
   * @throws BrokerUnavailableException if the broker cannot be reached
   */
  @Override
  public List<QueuedDeadLetter> peekDeadLetters(String subscription, int max) {
    return core.deadLetters().peek(topology(Names.requireValid("subscription", subscription)), max);
  }

  @Override
  /** How many events wait in a subscription's dead-letter queue. */
  public long deadLetterCount(String subscription) {
    return core.deadLetters().count(topology(Names.requireValid("subscription", subscription)));
  }

  /**
   * Sends up to {@code max} events from a subscription's dead-letter queue back to that
   * subscription only (oldest first), each with its full number of attempts again.
   *
   * @return how many events were replayed
   */
  @Override
  public long replayDeadLetters(String subscription, long max) {
    Names.requireValid("subscription", subscription);
    if (max < 0) {
      throw new IllegalArgumentException("max must be >= 0, was " + max);
    }
    return core.deadLetters().replay(topology(subscription), max);
  }

  /**
   * Whether every listener of this bus consumes. A listener counts while its channel is open and
   * its consumers are registered with the broker: not while its connection recovers, and never
   * again once the broker cancelled its consumer (a deleted queue) or closed its channel with a
   * channel error, which automatic recovery does not undo ({@link BusHealth#needsRestart()}). A
   * fatal error in a consumer ({@link BusHealth#isFatal}) stops every listener of the bus for good:
   * it is logged, its event is left unacknowledged (the broker delivers it again, to another
   * instance) and the bus takes no new subscriptions. Closed subscriptions do not count.
   */
  @Override
  public BusHealth health() {
    return core.health();
  }

  /** What this bus declared, for tests that remove it again. */
  List<Declaration> declarations() {
    return core.declarations();
  }

  /**
   * Closes every subscription (in-flight events finish), waits for the confirms of {@code
   * publishAsync} calls in flight (up to the publish timeout, while the broker is reachable), then
   * closes the connections. Idempotent.
   */
  @Override
  public void close() {
    core.close();
  }

  /** Settings of a {@link RabbitEventBus}; see {@link RabbitBusBuilder} for the shared ones. */
  public static final class Builder extends RabbitBusBuilder<Builder> {
    private final Set<String> ordered = new LinkedHashSet<>();
    private int partitions = 8;
    private boolean failOnUnroutable;
    private boolean warnOnUnroutable = true;

    private Builder(ConnectionFactory factory, EventSerializer serializer) {
      super(factory, serializer, "events");
    }

    @Override
    Builder self() {
      return this;
    }

    /**
     * Subscriptions whose events are handled in order per aggregate (source id). Every instance of
     * an application must name the same ones, with the same {@link #partitions}.
     */
    public Builder orderedSubscriptions(String... subscriptions) {
      Objects.requireNonNull(subscriptions, "orderedSubscriptions");
      for (String subscription : subscriptions) {
        ordered.add(Names.requireValid("orderedSubscriptions[]", subscription));
      }
      return this;
    }

    /**
     * How many partitions an ordered subscription has (default 8): at most this many of its events
     * are handled at once, each partition by one listener at a time.
     */
    public Builder partitions(int partitions) {
      this.partitions = atLeastOne("partitions", partitions);
      return this;
    }

    /**
     * Whether {@code publish} throws {@link UnroutableMessageException} when an event reached no
     * subscription queue (default {@code false}: it is logged as a warning, each event type when it
     * first does and then at most once a minute with a count, since an event published before any
     * subscription exists has no one to go to, and a service whose read models are tracking
     * processors may publish every event to an exchange nobody consumes).
     */
    public Builder failOnUnroutable(boolean failOnUnroutable) {
      this.failOnUnroutable = failOnUnroutable;
      return this;
    }

    /**
     * Whether events that reached no subscription queue are logged as a warning (default {@code
     * true}) or at DEBUG: {@code false} for a service whose read models are all tracking
     * processors, where every event reaching no queue is expected and the warnings (one per event
     * type a minute) would be noise. The count per event type is kept either way; {@link
     * #failOnUnroutable} goes before this.
     */
    public Builder warnOnUnroutable(boolean warnOnUnroutable) {
      this.warnOnUnroutable = warnOnUnroutable;
      return this;
    }

    /**
     * Connects and declares the event exchange (or checks that it exists, with {@code
     * declareTopology(false)}).
     *
     * @throws IllegalArgumentException if there are ordered subscriptions and the retry delays add
     *     up to the {@link #consumerTimeout}
     * @throws BrokerUnavailableException if the broker cannot be reached
     * @throws io.cqrs.NonTransientCqrsException if the broker refuses the credentials or the
     *     declaration (no configure permission), or, with {@code declareTopology(false)}, the
     *     exchange does not exist
     */
    public RabbitEventBus build() {
      if (!ordered.isEmpty()) {
        requireRetriesInPlaceWithinConsumerTimeout(ordered);
      }
      return new RabbitEventBus(this);
    }
  }
}
