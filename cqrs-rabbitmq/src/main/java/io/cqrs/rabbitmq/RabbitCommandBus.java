package io.cqrs.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.ConnectionFactory;
import io.cqrs.Command;
import io.cqrs.EventSerializer;
import io.cqrs.UnroutableMessageException;
import io.cqrs.spi.BusHealth;
import io.cqrs.spi.CommandBus;
import io.cqrs.spi.CommandConsumer;
import io.cqrs.spi.DeadLetterQueues;
import io.cqrs.spi.QueuedDeadLetter;
import io.cqrs.spi.SerializingPart;
import io.cqrs.spi.Subscription;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link CommandBus} on RabbitMQ: commands go to one direct exchange with their type as routing
 * key; each service has one durable queue, bound with the types it handles, that its instances
 * compete for.
 *
 * <p>{@link #publish} sends persistent, mandatory messages and returns once the broker has
 * confirmed all of them. A command whose type no service queue is bound for comes back from the
 * broker ({@code basic.return}) and makes {@code publish} throw {@link UnroutableMessageException}.
 * Failures are handled as in {@link RabbitEventBus}: retries through delayed retry queues, then the
 * service's dead-letter queue with the reason in the headers. See {@code docs/rabbitmq.md}.
 *
 * <p>Thread-safe. Closing the bus closes its subscriptions and the connections it opened.
 */
public final class RabbitCommandBus implements CommandBus, DeadLetterQueues, SerializingPart {
  private final BusCore core;
  private final EventSerializer serializer;
  private final Declaration exchange;

  private RabbitCommandBus(Builder builder) {
    Settings settings = builder.settings(1);
    this.exchange =
        Declaration.exchange(settings.names().commandExchange(), BuiltinExchangeType.DIRECT);
    this.serializer = builder.serializer();
    this.core = BusCore.open(settings, List.of(exchange));
  }

  /** The serializer it writes and reads with (see {@link SerializingPart}). */
  @Override
  public Optional<EventSerializer> serializer() {
    return Optional.of(serializer);
  }

  /**
   * A builder for a bus that connects with an {@code amqp://} or {@code amqps://} URI. With {@code
   * amqps} the server certificate is verified against the JVM's trust store.
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
   * Publishes commands in order and returns once the broker has confirmed every one of them.
   *
   * @throws UnroutableMessageException if no service queue is bound for a command's type; the other
   *     commands of the call were delivered
   * @throws BrokerUnavailableException if the broker does not confirm within the publish timeout;
   *     some commands may have been published
   * @throws IllegalArgumentException if a command is beyond what AMQP carries: a message id,
   *     correlation id or type name longer than 255 bytes in UTF-8 (nothing is published), or
   *     metadata carried as headers (the trace context) larger than the connection's {@code
   *     frame_max}
   * @throws IllegalStateException if the bus is closed
   */
  @Override
  public void publish(List<Command> commands) {
    List<OutboundMessage> messages = toMessages(commands);
    if (messages.isEmpty()) {
      return;
    }
    unroutable(core.publish(messages), messages.size());
  }

  /**
   * Publishes commands in order without waiting for the broker's confirms. The future completes (on
   * the {@linkplain Builder#completionExecutor completion executor}) once the broker has confirmed
   * every command, and fails with {@link UnroutableMessageException} if no service queue is bound
   * for a command's type (the other commands of the call were delivered), or with {@link
   * BrokerUnavailableException} if the broker has not confirmed within the publish timeout.
   *
   * <p>This thread serializes the commands and hands them to the channel; it waits only while
   * {@code confirmWindow} messages already await their confirms (back-pressure, up to the publish
   * timeout); while the connection is down, or earlier calls wait to be sent again, the call is
   * queued and sent after recovery (the caller waits only while a window's worth of messages is
   * queued so). Commands lost on the way are published again after recovery. The future also fails
   * with {@link io.cqrs.NonTransientCqrsException} if the broker closed the channel over a command;
   * some commands of a failed call may have been delivered.
   *
   * @throws NullPointerException if {@code commands} is or holds null (nothing is published)
   * @throws IllegalArgumentException if a command's message id, correlation id or type name is
   *     longer than 255 bytes in UTF-8 (nothing is published); metadata carried as headers larger
   *     than the connection's {@code frame_max} fails the future with it
   * @throws IllegalStateException if the bus is closed
   */
  @Override
  public CompletableFuture<Void> publishAsync(List<Command> commands) {
    List<OutboundMessage> messages = toMessages(commands);
    if (messages.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    return core.publishAsync(messages, returned -> unroutable(returned, messages.size()));
  }

  private List<OutboundMessage> toMessages(List<Command> commands) {
    return core.messages(commands, "commands", this::toMessage);
  }

  private static void unroutable(List<Returned> returned, int published) {
    if (returned.isEmpty()) {
      return;
    }
    Returned first = returned.get(0);
    throw new UnroutableMessageException(
        first.message().messageType(),
        "no service queue is bound for it; "
            + returned.size()
            + " of "
            + published
            + " command(s) not delivered: "
            + first.describe());
  }

  private OutboundMessage toMessage(Command command) {
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder()
            .contentType("application/json")
            .deliveryMode(2)
            .messageId(command.messageId())
            .correlationId(command.correlationId())
            .type(command.commandType())
            .timestamp(Date.from(command.created()))
            .build();
    return new OutboundMessage(
        exchange.name(),
        command.commandType(),
        command.commandType(),
        properties,
        TraceHeaders.withTrace(command.metadata(), null),
        serializer.serialize(command));
  }

  /**
   * Starts consuming a service's commands on {@code listeners} listeners. Declares the service's
   * queue and binds it with each command type, and each old name of one ({@link
   * io.cqrs.TypeRegistry#alias}), first (idempotent; bindings made by earlier versions of the
   * service stay); with {@code declareTopology(false)} only checks that its queues exist.
   *
   * @throws BrokerUnavailableException if the broker cannot be reached
   * @throws io.cqrs.NonTransientCqrsException if the broker refuses the topology or the consumer
   *     (no permission), or, with {@code declareTopology(false)}, a queue does not exist
   */
  @Override
  public Subscription subscribe(
      String service, Set<String> commandTypes, int listeners, CommandConsumer consumer) {
    SubscriptionTopology topology = topology(service, commandTypes);
    RabbitBusBuilder.atLeastOne("listeners", listeners);
    Objects.requireNonNull(consumer, "consumer");
    return core.subscribe(
        topology, listeners, EnvelopeDecoders.commands(serializer), consumer::accept);
  }

  /**
   * Declares what {@link #subscribe} would for a service, without consuming: the command exchange,
   * the service's queue bound with each command type, its retry and dead-letter queues and their
   * bindings to the failure exchange. For an operator's tool that prepares the broker for buses
   * built with {@link RabbitBusBuilder#declareTopology declareTopology(false)}: it declares whether
   * or not this bus declares its own topology, so this bus's broker user needs configure permission
   * on these names (see {@code docs/security.md}). Idempotent; bindings are only ever added.
   *
   * @throws BrokerUnavailableException if the broker cannot be reached
   * @throws io.cqrs.NonTransientCqrsException if the broker refuses a declaration (no permission,
   *     or a queue that exists with other arguments)
   * @throws IllegalStateException if the bus is closed
   */
  public void declareService(String service, Set<String> commandTypes) {
    core.declare(topology(service, commandTypes));
  }

  private SubscriptionTopology topology(String service, Set<String> commandTypes) {
    Names.requireValid("service", service);
    Objects.requireNonNull(commandTypes, "commandTypes");
    if (commandTypes.isEmpty()) {
      throw new IllegalArgumentException("commandTypes must not be empty");
    }
    commandTypes.forEach(type -> Names.requireValid("commandTypes[]", type));
    // A command renamed since (an alias of its type) is still sent under its old name by clients
    // of an earlier version: bind that name too, so it reaches the handler of today's type.
    TreeSet<String> routed = new TreeSet<>(commandTypes);
    for (String type : commandTypes) {
      routed.addAll(serializer.registry().aliasesOf(type));
    }
    return SubscriptionTopology.workQueue(
        service,
        queue(service),
        exchange,
        List.copyOf(routed),
        core.settings().retryDelays(),
        core.settings().queueType(),
        core.settings().names().failureExchange());
  }

  private String queue(String service) {
    return core.settings().names().commandQueue(service);
  }

  private SubscriptionTopology topology(String service) {
    return SubscriptionTopology.workQueue(
        service,
        queue(service),
        exchange,
        List.of(),
        core.settings().retryDelays(),
        core.settings().queueType(),
        core.settings().names().failureExchange());
  }

  /** The name of a service's dead-letter queue. */
  public String deadLetterQueue(String service) {
    return topology(Names.requireValid("service", service)).deadLetterQueue();
  }

  /**
   * The oldest {@code max} messages in a service's dead-letter queue, oldest first, each with its
   * message id, type, the {@link CqrsHeaders#REASON reason}, the first line of the {@link
   * CqrsHeaders#EXCEPTION failure} and the {@link CqrsHeaders#ATTEMPTS attempts}. Every message
   * stays in the queue, in its place, for classic and quorum queues alike: they are fetched
   * unacknowledged and given back in one {@code basic.nack} with requeue (see {@code
   * docs/rabbitmq.md}).
   *
   * @throws io.cqrs.NonTransientCqrsException if the queue does not exist
   * @throws BrokerUnavailableException if the broker cannot be reached
   */
  @Override
  public List<QueuedDeadLetter> peekDeadLetters(String service, int max) {
    return core.deadLetters().peek(topology(Names.requireValid("service", service)), max);
  }

  @Override
  /** How many commands wait in a service's dead-letter queue. */
  public long deadLetterCount(String service) {
    return core.deadLetters().count(topology(Names.requireValid("service", service)));
  }

  /**
   * Sends up to {@code max} commands from a service's dead-letter queue back to that service's
   * queue (oldest first), each with its full number of attempts again.
   *
   * @return how many commands were replayed
   */
  @Override
  public long replayDeadLetters(String service, long max) {
    Names.requireValid("service", service);
    if (max < 0) {
      throw new IllegalArgumentException("max must be >= 0, was " + max);
    }
    return core.deadLetters().replay(topology(service), max);
  }

  /**
   * Whether every listener of this bus consumes. A listener counts while its channel is open and
   * its consumers are registered with the broker: not while its connection recovers, and never
   * again once the broker cancelled its consumer (a deleted queue) or closed its channel with a
   * channel error, which automatic recovery does not undo ({@link BusHealth#needsRestart()}). A
   * fatal error in a consumer ({@link BusHealth#isFatal}) stops every listener of the bus for good:
   * it is logged, its command is left unacknowledged (the broker delivers it again, to another
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
   * Closes every subscription (in-flight commands finish), waits for the confirms of {@code
   * publishAsync} calls in flight (up to the publish timeout, while the broker is reachable), then
   * closes the connections. Idempotent.
   */
  @Override
  public void close() {
    core.close();
  }

  /** Settings of a {@link RabbitCommandBus}; see {@link RabbitBusBuilder} for all of them. */
  public static final class Builder extends RabbitBusBuilder<Builder> {
    private Builder(ConnectionFactory factory, EventSerializer serializer) {
      super(factory, serializer, "commands");
    }

    @Override
    Builder self() {
      return this;
    }

    /**
     * Connects and declares the command exchange (or checks that it exists, with {@code
     * declareTopology(false)}).
     *
     * @throws BrokerUnavailableException if the broker cannot be reached
     * @throws io.cqrs.NonTransientCqrsException if the broker refuses the credentials or the
     *     declaration (no configure permission), or, with {@code declareTopology(false)}, the
     *     exchange does not exist
     */
    public RabbitCommandBus build() {
      return new RabbitCommandBus(this);
    }
  }
}
