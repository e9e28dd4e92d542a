package io.cqrs.memory;

import io.cqrs.Command;
import io.cqrs.EventSerializer;
import io.cqrs.UnpublishableMessageException;
import io.cqrs.UnroutableMessageException;
import io.cqrs.internal.Texts;
import io.cqrs.spi.BusHealth;
import io.cqrs.spi.CommandBus;
import io.cqrs.spi.CommandConsumer;
import io.cqrs.spi.DeadLetterQueues;
import io.cqrs.spi.QueuedDeadLetter;
import io.cqrs.spi.SerializingPart;
import io.cqrs.spi.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A {@link CommandBus} in memory: each service has a queue that its listener threads compete for,
 * and a command goes to every service that subscribed to its type (normally exactly one). A
 * consumer that throws gets the command again, up to {@code maxAttempts} tries, then the command is
 * kept in {@link #deadLetters()} until {@linkplain #replayDeadLetters replayed}; that holds for
 * {@code Error}s too. A fatal error ({@link BusHealth#isFatal}) stops every listener of the bus
 * instead, and the command stays queued; see {@link #health()}.
 *
 * <p>A bus made with {@link #serializing} delivers what its serializer reads back of each command
 * rather than the object sent, as a broker's consumer would get it: a command that could not be
 * sent between processes (a type not registered, a body Jackson cannot read back) fails its {@code
 * publish} here too, instead of passing every test in memory and being dead-lettered in production.
 */
public final class InMemoryCommandBus implements CommandBus, DeadLetterQueues, SerializingPart {
  private final BusGroups<Command> services;
  private final Map<String, List<ListenerGroup<Command>>> byType = new ConcurrentHashMap<>();

  /** Reads each command back before it is routed; {@code null} to pass the object as sent. */
  private final EventSerializer serializer;

  /** A bus that tries each command three times before dead-lettering it. */
  public InMemoryCommandBus() {
    this(3);
  }

  /** A bus that tries each command {@code maxAttempts} times before dead-lettering it. */
  public InMemoryCommandBus(int maxAttempts) {
    this(maxAttempts, null);
  }

  private InMemoryCommandBus(int maxAttempts, EventSerializer serializer) {
    this.services =
        new BusGroups<>(
            "InMemoryCommandBus", maxAttempts, Command::messageId, Command::commandType);
    this.serializer = serializer;
  }

  /**
   * The largest command, as JSON, a {@linkplain #serializing serializing} bus carries: RabbitMQ 4's
   * default {@code max_message_size} and the RabbitMQ buses' default {@code maxMessageBytes}, 16
   * MiB.
   */
  public static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  /**
   * A bus that delivers what {@code serializer} reads back of each command (see the class comment),
   * trying each three times before dead-lettering it: for tests of an application that will send
   * its commands through a broker. A command over {@link #MAX_MESSAGE_BYTES} as JSON is refused
   * with an {@link io.cqrs.UnpublishableMessageException}, as the RabbitMQ bus refuses it.
   */
  public static InMemoryCommandBus serializing(EventSerializer serializer) {
    return new InMemoryCommandBus(3, Objects.requireNonNull(serializer, "serializer"));
  }

  /** The serializer it writes and reads with (see {@link SerializingPart}). */
  @Override
  public Optional<EventSerializer> serializer() {
    return Optional.ofNullable(serializer);
  }

  /**
   * @throws io.cqrs.SerializationException if the bus is {@linkplain #serializing serializing} and
   *     a command cannot be written or read back (nothing of the list is published then)
   * @throws io.cqrs.UnknownTypeException likewise, for a command type its registry does not hold
   */
  @Override
  public void publish(List<Command> commands) {
    Objects.requireNonNull(commands, "commands");
    services.ensureOpen();
    // Read back first, all of them: one that fails publishes nothing of the list.
    List<Command> sent =
        serializer == null ? commands : commands.stream().map(this::readBack).toList();
    List<List<ListenerGroup<Command>>> routes = new ArrayList<>(sent.size());
    for (Command command : sent) {
      routes.add(route(command));
    }
    for (int i = 0; i < sent.size(); i++) {
      for (ListenerGroup<Command> group : routes.get(i)) {
        group.offer(sent.get(i));
      }
    }
  }

  /** The same as publishing a list of one, without the lists. */
  @Override
  public void publish(Command command) {
    services.ensureOpen();
    Command delivered = readBack(command);
    List<ListenerGroup<Command>> route = route(delivered);
    int groups = route.size();
    for (int i = 0; i < groups; i++) {
      route.get(i).offer(delivered); // routes only grow, so every index below the size holds
    }
  }

  /** What a consumer gets of {@code command}: itself, or what the serializer reads back of it. */
  private Command readBack(Command command) {
    Objects.requireNonNull(command, "commands[]");
    if (serializer == null) {
      return command;
    }
    byte[] json = serializer.serialize(command);
    requireCarried(
        json,
        () ->
            "command "
                + Texts.shown(command.commandType())
                + " "
                + Texts.shown(command.messageId()));
    return serializer.deserializeCommand(json);
  }

  /**
   * Refuses a message a RabbitMQ bus would not carry by default, as the serializing in-memory buses
   * do.
   *
   * @param what the message, as the refusal names it ("command Open 1f2e..."), made only then
   * @throws UnpublishableMessageException if {@code json} is over {@link #MAX_MESSAGE_BYTES}
   */
  static void requireCarried(byte[] json, Supplier<String> what) {
    if (json.length > MAX_MESSAGE_BYTES) {
      throw new UnpublishableMessageException(
          "Cannot publish "
              + what.get()
              + ": its body is "
              + json.length
              + " bytes, more than the "
              + MAX_MESSAGE_BYTES
              + " a RabbitMQ bus carries by default (RabbitMQ 4's max_message_size); nothing of"
              + " the list was published");
    }
  }

  /** The listener groups {@code command} goes to; unroutable if none. */
  private List<ListenerGroup<Command>> route(Command command) {
    Objects.requireNonNull(command, "commands[]");
    List<ListenerGroup<Command>> route = byType.get(command.commandType());
    if (route == null || route.isEmpty()) {
      throw new UnroutableMessageException(
          command.commandType(), "no service subscribed to it; nothing was published");
    }
    return route;
  }

  @Override
  public synchronized Subscription subscribe(
      String service, Set<String> commandTypes, int listeners, CommandConsumer consumer) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(commandTypes, "commandTypes");
    Objects.requireNonNull(consumer, "consumer");
    if (commandTypes.isEmpty()) {
      throw new IllegalArgumentException("commandTypes must not be empty");
    }
    // Before any routing changes: otherwise the types would route to a service with no listener.
    ListenerGroup.checkListeners(listeners);
    ListenerGroup<Command> group = services.groupFor(service);
    for (String type : commandTypes) {
      List<ListenerGroup<Command>> route =
          byType.computeIfAbsent(type, t -> new CopyOnWriteArrayList<>());
      if (!route.contains(group)) {
        route.add(group);
      }
    }
    return services.start(group, listeners, consumer::accept);
  }

  /** The commands that exhausted their attempts, oldest first. */
  public List<DeadLetter<Command>> deadLetters() {
    return services.deadLetters();
  }

  /**
   * How many commands of service {@code service} exhausted their attempts and wait for a replay.
   */
  @Override
  public long deadLetterCount(String service) {
    return services.deadLetterCount(service);
  }

  @Override
  public List<QueuedDeadLetter> peekDeadLetters(String service, int max) {
    return services.peekDeadLetters(service, max);
  }

  /**
   * Offers up to {@code max} dead letters of {@code service} to its listeners again, oldest first,
   * each with {@code maxAttempts} attempts again. Each dead letter is taken by one call only.
   */
  @Override
  public long replayDeadLetters(String service, long max) {
    return services.replayDeadLetters(service, max);
  }

  /** Whether every published command has been handled or dead-lettered. */
  public boolean isIdle() {
    return services.isIdle();
  }

  /**
   * Whether every listener of this bus runs: a handler's fatal error ({@link BusHealth#isFatal})
   * stops them all, leaves its message queued and makes this unhealthy for good.
   */
  @Override
  public BusHealth health() {
    return services.health();
  }

  @Override
  public void close() {
    services.close();
  }
}
