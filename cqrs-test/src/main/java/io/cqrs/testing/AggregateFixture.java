package io.cqrs.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.Command;
import io.cqrs.CommandDispatchManager;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourceBased;
import io.cqrs.EventSourcingRepository;
import io.cqrs.SnapshotPolicy;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.memory.InMemoryEventStreamRepository;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Given/when/then tests for aggregates and command handlers, in memory (in the spirit of
 * altairsix's {@code scenario} and Axon's fixtures).
 *
 * <pre>{@code
 * AggregateFixture.of(Account::new, registry)
 *     .given("acc-1", new AccountOpened("Ada", BigDecimal.TEN))
 *     .when("acc-1", account -> account.debit(new BigDecimal("3")))
 *     .then(new AccountDebited(new BigDecimal("3")));
 *
 * AggregateFixture.of(Account::new, registry)
 *     .withCommandHandlers(BankCommands::register)
 *     .given("acc-1", new AccountOpened("Ada", BigDecimal.TEN))
 *     .when(new DebitAccount("acc-1", new BigDecimal("30")))
 *     .thenFails(InsufficientFundsException.class);
 * }</pre>
 *
 * <p>{@code then} compares the events the step produced, in order, with {@code equals}, so events
 * should be records. Failures are {@link AssertionError}s, so any test framework works.
 *
 * @param <A> the aggregate type
 */
public final class AggregateFixture<A extends EventSourceBased> {
  private final Function<String, A> factory;
  private final TypeRegistry registry;
  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final EventSourcingRepository repository;
  private final CommandDispatchManager commands;
  private final EventSerializer serializer;

  private AggregateFixture(Function<String, A> factory, TypeRegistry registry) {
    this.factory = factory;
    this.registry = registry;
    this.repository =
        EventSourcingRepository.builder(store, registry)
            .snapshotPolicy(SnapshotPolicy.never())
            .build();
    this.commands = CommandDispatchManager.builder(null, registry).maxAttempts(1).build();
    this.serializer = new EventSerializer(registry);
  }

  /**
   * A fixture for one aggregate type.
   *
   * @param factory makes an empty aggregate with a given id, e.g. {@code Account::new}
   * @param registry the registry that holds the aggregate's events
   */
  public static <A extends EventSourceBased> AggregateFixture<A> of(
      Function<String, A> factory, TypeRegistry registry) {
    return new AggregateFixture<>(
        Objects.requireNonNull(factory, "factory"), Objects.requireNonNull(registry, "registry"));
  }

  /**
   * Registers the command handlers under test, the way the application does; they are given this
   * fixture's in-memory repository.
   */
  public AggregateFixture<A> withCommandHandlers(
      BiConsumer<CommandDispatchManager, EventSourcingRepository> registration) {
    Objects.requireNonNull(registration, "registration").accept(commands, repository);
    return this;
  }

  /** The in-memory repository, for handlers registered by hand. */
  public EventSourcingRepository repository() {
    return repository;
  }

  /** Commits {@code events} as the history of aggregate {@code id}. */
  public AggregateFixture<A> given(String id, Object... events) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(events, "events");
    if (events.length == 0) {
      return this;
    }
    long version = store.version(id);
    List<VersionedEvent> history = new ArrayList<>();
    for (Object event : events) {
      registry.nameOf(Objects.requireNonNull(event, "events[]").getClass());
      history.add(VersionedEvent.of(id, ++version, event, "given"));
    }
    store.save(id, version - events.length, history);
    return this;
  }

  /**
   * Commits one event of aggregate {@code id}'s history as an earlier version of the application
   * stored it: its payload's JSON under a type name (an old one that is an {@linkplain
   * TypeRegistry#alias alias} too) at a revision, read through the registry's upcasters like any
   * stored event. It takes the next version of the stream whatever the upcasters make of it: an
   * event they split into several is one stored event whose parts share that version, and one they
   * drop keeps its version with no event, as in a real store ({@link io.cqrs.SplittingUpcaster}).
   * For testing that old streams still load and fold as they should:
   *
   * <pre>{@code
   * fixture.givenJson("acc-1", "MoneyDeposited", 1, "{\"amount\": 10}")
   *     .when("acc-1", account -> account.withdraw(new BigDecimal("5")))
   *     .then(new MoneyWithdrawn(new BigDecimal("5"), "EUR"));
   * }</pre>
   *
   * @throws io.cqrs.SerializationException if the payload is not JSON or does not upcast and read
   *     as the type
   * @throws io.cqrs.UnknownTypeException if the type name is neither registered nor an alias
   */
  public AggregateFixture<A> givenJson(String id, String type, int revision, String payload) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(payload, "payload");
    long version = store.version(id) + 1;
    ObjectNode envelope = JsonNodeFactory.instance.objectNode();
    envelope.put("id", id + "-" + version);
    envelope.put("correlationId", "given");
    envelope.put("sourceId", id);
    envelope.put("version", version);
    envelope.put("eventType", type);
    envelope.put("revision", revision);
    envelope.put("created", Instant.now().toString());
    try {
      envelope.set("event", serializer.mapper().readTree(payload));
    } catch (JsonProcessingException e) {
      throw new io.cqrs.SerializationException("The given payload is not JSON: " + payload, e);
    }
    store.save(id, version - 1, List.of(serializer.fromTree(envelope)));
    return this;
  }

  /**
   * Loads aggregate {@code id} (or makes an empty one if it has no history) and calls a business
   * method on it; the events it raises are what {@code then} checks.
   */
  public Outcome when(String id, Consumer<? super A> action) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(action, "action");
    A aggregate = repository.find(id, factory).orElseGet(() -> factory.apply(id));
    try {
      action.accept(aggregate);
    } catch (RuntimeException | AssertionError e) {
      return new Outcome(List.of(), e);
    }
    return new Outcome(aggregate.pendingEvents(), null);
  }

  /**
   * Dispatches a command body to the handlers registered with {@link #withCommandHandlers}, in a
   * new envelope (a {@link Command} given here is dispatched as it is, as {@link #when(Command)});
   * the events the handler commits are what {@code then} checks.
   */
  public Outcome when(Object commandBody) {
    Objects.requireNonNull(commandBody, "commandBody");
    return when(commandBody instanceof Command command ? command : Command.create(commandBody));
  }

  /**
   * Dispatches a command as it is, with its message id, correlation id and metadata, to the
   * handlers registered with {@link #withCommandHandlers}: a command dispatched twice is a
   * redelivery, which the store takes effect once on each stream; the events the handler commits
   * are what {@code then} checks (none for a duplicate).
   */
  public Outcome when(Command command) {
    Objects.requireNonNull(command, "command");
    long before = store.readLog(1, Integer.MAX_VALUE).size();
    try {
      commands.dispatch(command);
    } catch (Exception | AssertionError e) {
      return new Outcome(List.of(), e);
    }
    List<Object> produced = new ArrayList<>();
    store
        .readLog(before + 1, Integer.MAX_VALUE)
        .forEach(logged -> produced.add(logged.event().event()));
    return new Outcome(produced, null);
  }

  /** What a {@code when} step did: the events it produced, or what it threw. */
  public static final class Outcome {
    private final List<Object> events;
    private final Throwable failure;

    private Outcome(List<Object> events, Throwable failure) {
      this.events = List.copyOf(events);
      this.failure = failure;
    }

    /** Asserts that the step succeeded and produced exactly these events, in this order. */
    public Outcome then(Object... expected) {
      if (failure != null) {
        throw new AssertionError(
            "Expected events " + Arrays.asList(expected) + " but the step failed with " + failure,
            failure);
      }
      if (!events.equals(Arrays.asList(expected))) {
        throw new AssertionError(
            "Expected events " + Arrays.asList(expected) + "\n but got " + events);
      }
      return this;
    }

    /**
     * Asserts that the step threw an exception of this type (or a subtype) and produced nothing.
     */
    public Outcome thenFails(Class<? extends Throwable> expected) {
      Objects.requireNonNull(expected, "expected");
      if (failure == null) {
        throw new AssertionError(
            "Expected " + expected.getSimpleName() + " but the step produced " + events);
      }
      if (!expected.isInstance(failure)) {
        throw new AssertionError(
            "Expected " + expected.getSimpleName() + " but the step failed with " + failure,
            failure);
      }
      return this;
    }

    /** The events the step produced. */
    public List<Object> events() {
      return events;
    }

    /** What the step threw, if anything. */
    public Throwable failure() {
      return failure;
    }
  }
}
