package io.cqrs.example.bank;

import com.couchbase.client.core.error.DocumentNotFoundException;
import com.couchbase.client.java.Bucket;
import com.couchbase.client.java.Cluster;
import com.couchbase.client.java.ClusterOptions;
import com.couchbase.client.java.Collection;
import io.cqrs.EventSerializer;
import io.cqrs.TransientCqrsException;
import io.cqrs.TypeRegistry;
import io.cqrs.couchbase.CouchbaseEventStreamRepository;
import io.cqrs.example.bank.domain.BankTypes;
import io.cqrs.example.bank.readmodel.CouchbaseReadModelGeneration;
import io.cqrs.example.bank.readmodel.CouchbaseViewStores;
import io.cqrs.example.bank.readmodel.ReadModelGeneration;
import io.cqrs.example.bank.readmodel.ViewStores;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.rabbitmq.RabbitCommandBus;
import io.cqrs.rabbitmq.RabbitEventBus;
import io.cqrs.spi.CommandBus;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.EventStreamRepository;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that chooses the bank's infrastructure: the event store, the event bus, the command
 * bus and where the read models keep their views. Everything else takes them from here, so running
 * on other servers changes this class only.
 *
 * <p>With {@code --store couchbase} the events and the read-model documents share one bucket under
 * the {@linkplain InfrastructureOptions#prefix() prefix}; with {@code --bus rabbitmq} both buses
 * name their exchanges and queues with it. Closing it closes what it created (buses first, so no
 * handler runs against a closed store, then the Couchbase connection), never what a caller passed
 * in.
 */
public final class BankInfrastructure implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BankInfrastructure.class);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);

  private final TypeRegistry types;
  private final EventStreamRepository store;
  private final EventBus eventBus;
  private final CommandBus commandBus;
  private final ViewStores views;
  private final String prefix;
  private final String description;
  private final List<AutoCloseable> owned;
  private final Collection collection;
  private final ReadModelGeneration generation;
  private final Map<String, ViewStores> inMemoryGenerations = new ConcurrentHashMap<>();

  private BankInfrastructure(Parts parts) {
    this.types = parts.types;
    this.store = parts.store;
    this.eventBus = parts.eventBus;
    this.commandBus = parts.commandBus;
    this.views = parts.views;
    this.prefix = parts.prefix;
    this.description = parts.description;
    this.owned = List.copyOf(parts.owned);
    this.collection = parts.collection;
    this.generation =
        collection == null
            ? ReadModelGeneration.inMemory()
            : new CouchbaseReadModelGeneration(collection, prefix);
  }

  /** What an infrastructure is made of while it is being built. */
  private static final class Parts {
    TypeRegistry types = BankTypes.registry();
    EventStreamRepository store;
    EventBus eventBus;
    CommandBus commandBus;
    ViewStores views = ViewStores.inMemory();
    String prefix = InfrastructureOptions.DEFAULT_PREFIX;
    String description;
    Collection collection;
    final List<AutoCloseable> owned = new ArrayList<>();
  }

  /** A store and buses in this process's memory (andrewwebber's in-memory scenario). */
  public static BankInfrastructure inMemory() {
    return create(InfrastructureOptions.inMemory());
  }

  /**
   * The infrastructure the options ask for, connected.
   *
   * @throws TransientCqrsException if a server cannot be reached
   * @throws IllegalArgumentException if a setting is missing or wrong
   */
  public static BankInfrastructure create(InfrastructureOptions options) {
    Objects.requireNonNull(options, "options");
    Parts parts = new Parts();
    parts.prefix = options.prefix();
    parts.description = options.describe();
    EventSerializer serializer = new EventSerializer(parts.types);
    try {
      // Buses are added to the owned list first so they are closed before the store.
      if (options.bus() == InfrastructureOptions.Bus.RABBITMQ) {
        openRabbitMq(options, serializer, parts);
      } else {
        InMemoryEventBus events = new InMemoryEventBus();
        InMemoryCommandBus commands = new InMemoryCommandBus();
        parts.eventBus = events;
        parts.commandBus = commands;
        parts.owned.add(commands);
        parts.owned.add(events);
      }
      if (options.store() == InfrastructureOptions.Store.COUCHBASE) {
        openCouchbase(options, serializer, parts);
      } else {
        parts.store = new InMemoryEventStreamRepository();
      }
    } catch (RuntimeException e) {
      new BankInfrastructure(parts).close();
      throw e;
    }
    return new BankInfrastructure(parts);
  }

  private static void openRabbitMq(
      InfrastructureOptions options, EventSerializer serializer, Parts parts) {
    List<String> uris = rabbitMqUris(options);
    RabbitCommandBus commands =
        commandBus(options, uris, serializer, options.prefix() + "-commands")
            .declareTopology(options.rabbitmqDeclareTopology())
            .build();
    parts.commandBus = commands;
    parts.owned.add(commands);
    RabbitEventBus events =
        eventBus(options, uris, serializer, options.prefix() + "-events")
            .declareTopology(options.rabbitmqDeclareTopology())
            .build();
    parts.eventBus = events;
    parts.owned.add(events);
  }

  /** The options' RabbitMQ URIs: one, or one per node of a cluster. */
  private static List<String> rabbitMqUris(InfrastructureOptions options) {
    String value = require(options.rabbitmqUri(), "--rabbitmq-uri or CQRS_RABBITMQ_URI");
    // Checked here too for options made in code: the client alone would read a malformed URI as
    // localhost and guest (AmqpUri).
    AmqpUri.parseList(value, "rabbitmqUri");
    return RabbitCommandBus.splitUris(value);
  }

  // The bank's buses and the operator's (declareTopology) are built here alone, so that they agree
  // on every setting the broker compares when a queue is declared again.
  private static RabbitCommandBus.Builder commandBus(
      InfrastructureOptions options,
      List<String> uris,
      EventSerializer serializer,
      String connectionName) {
    return RabbitCommandBus.builder(uris, serializer)
        .prefix(options.prefix())
        .connectionName(connectionName)
        .queueType(options.rabbitmqQueueType());
  }

  private static RabbitEventBus.Builder eventBus(
      InfrastructureOptions options,
      List<String> uris,
      EventSerializer serializer,
      String connectionName) {
    return RabbitEventBus.builder(uris, serializer)
        .prefix(options.prefix())
        .connectionName(connectionName)
        .queueType(options.rabbitmqQueueType());
  }

  /**
   * Declares on the options' RabbitMQ, as the options' user, every exchange, queue and binding that
   * the bank's buses under the options' prefix use for {@code topology}: what buses built with
   * {@link InfrastructureOptions#rabbitmqDeclareTopology()} {@code false} only check. The buses it
   * declares with are the bank's own, with the same queue type and retry delays, whatever {@code
   * rabbitmqDeclareTopology()} says; the user needs the operator's permissions of {@code
   * docs/security.md}. Idempotent: run it again after an upgrade that adds a command type.
   *
   * @return what was declared, one line each, for people
   * @throws IllegalArgumentException if the options' bus is not RabbitMQ
   * @throws io.cqrs.NonTransientCqrsException if the broker refuses a declaration (no permission,
   *     or a queue that exists with other arguments, such as another queue type)
   * @throws io.cqrs.rabbitmq.BrokerUnavailableException if the broker cannot be reached
   */
  public static List<String> declareTopology(InfrastructureOptions options, BankTopology topology) {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(topology, "topology");
    if (options.bus() != InfrastructureOptions.Bus.RABBITMQ) {
      throw new IllegalArgumentException(
          "Declaring a topology needs bus RABBITMQ, was " + options.bus());
    }
    List<String> uris = rabbitMqUris(options);
    EventSerializer serializer = new EventSerializer(BankTypes.registry());
    String prefix = options.prefix();
    List<String> declared = new ArrayList<>();
    try (RabbitCommandBus commands =
            commandBus(options, uris, serializer, prefix + "-operator-commands")
                .declareTopology(true)
                .build();
        RabbitEventBus events =
            eventBus(options, uris, serializer, prefix + "-operator-events")
                .declareTopology(true)
                .build()) {
      declared.add("exchanges " + prefix + ".commands, " + prefix + ".events");
      commands.declareService(topology.service(), topology.commandTypes());
      declared.add(
          "command service "
              + topology.service()
              + ", bound with "
              + String.join(", ", topology.sortedCommandTypes())
              + " (dead letters: "
              + commands.deadLetterQueue(topology.service())
              + ")");
      for (String subscription : topology.subscriptions()) {
        events.declareSubscription(subscription);
        declared.add(
            "event subscription "
                + subscription
                + " (dead letters: "
                + events.deadLetterQueue(subscription)
                + ")");
      }
      declared.add("failure exchange " + prefix + ".failures");
    }
    return declared;
  }

  private static void openCouchbase(
      InfrastructureOptions options, EventSerializer serializer, Parts parts) {
    String connection =
        require(
            options.couchbaseConnection(), "--couchbase-connection or CQRS_COUCHBASE_CONNECTION");
    CouchbaseConnection.parse(connection, "couchbaseConnection");
    CouchbaseConnection.bucket(options.couchbaseBucket(), "couchbaseBucket");
    Cluster cluster;
    try {
      cluster =
          Cluster.connect(
              connection,
              ClusterOptions.clusterOptions(
                  require(
                      options.couchbaseUsername(),
                      "--couchbase-username or CQRS_COUCHBASE_USERNAME"),
                  require(
                      options.couchbasePassword(),
                      "--couchbase-password or CQRS_COUCHBASE_PASSWORD")));
    } catch (RuntimeException e) {
      throw new TransientCqrsException("Could not connect to Couchbase at " + connection, e);
    }
    parts.owned.add(cluster::disconnect);
    try {
      Bucket bucket = cluster.bucket(options.couchbaseBucket());
      bucket.waitUntilReady(CONNECT_TIMEOUT);
      parts.collection = bucket.defaultCollection();
    } catch (RuntimeException e) {
      throw new TransientCqrsException(
          "Couchbase bucket '" + options.couchbaseBucket() + "' at " + connection + " is not ready",
          e);
    }
    parts.store =
        CouchbaseEventStreamRepository.builder(parts.collection, serializer)
            .keyPrefix(options.prefix())
            .build();
    parts.views = new CouchbaseViewStores(parts.collection, options.prefix());
  }

  private static String require(String value, String where) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("Missing setting: " + where);
    }
    return value;
  }

  /**
   * Infrastructure the caller made and keeps ownership of; {@link #close()} leaves it open. Its
   * read models are kept in memory.
   *
   * @param description how to describe it in output, without secrets
   */
  public static BankInfrastructure of(
      EventStreamRepository store, EventBus eventBus, CommandBus commandBus, String description) {
    return of(store, eventBus, commandBus, ViewStores.inMemory(), description);
  }

  /**
   * Infrastructure the caller made and keeps ownership of, its read models kept in {@code views}
   * (in memory, or Couchbase documents under a prefix of the caller's); {@link #close()} leaves it
   * open.
   *
   * @param description how to describe it in output, without secrets
   */
  public static BankInfrastructure of(
      EventStreamRepository store,
      EventBus eventBus,
      CommandBus commandBus,
      ViewStores views,
      String description) {
    Parts parts = new Parts();
    parts.store = Objects.requireNonNull(store, "store");
    parts.eventBus = Objects.requireNonNull(eventBus, "eventBus");
    parts.commandBus = Objects.requireNonNull(commandBus, "commandBus");
    parts.views = Objects.requireNonNull(views, "views");
    parts.description = Objects.requireNonNull(description, "description");
    return new BankInfrastructure(parts);
  }

  /** The registry of the bank's types that the store and buses serialize with. */
  public TypeRegistry types() {
    return types;
  }

  /** Where events, snapshots and the integration log are kept. */
  public EventStreamRepository store() {
    return store;
  }

  /** Where committed events are published. */
  public EventBus eventBus() {
    return eventBus;
  }

  /** Where commands are sent. */
  public CommandBus commandBus() {
    return commandBus;
  }

  /** How the command and event buses' consumers are doing, now. */
  public BankHealth health() {
    return new BankHealth(commandBus.health(), eventBus.health());
  }

  /** Where the read models keep their views: in memory, or in Couchbase under the prefix. */
  public ViewStores views() {
    return views;
  }

  /**
   * Read-model views under another namespace of the same Couchbase bucket (for a rebuild into fresh
   * documents), or new in-memory ones.
   */
  public ViewStores views(String namespace) {
    Objects.requireNonNull(namespace, "namespace");
    return collection == null
        ? ViewStores.inMemory()
        : new CouchbaseViewStores(collection, namespace);
  }

  /**
   * Which generation of the read models serves: in Couchbase, shared by every process of the bank
   * (see {@link ReadModelGeneration}); otherwise this process's own.
   */
  public ReadModelGeneration generation() {
    return generation;
  }

  /**
   * The views of one generation of the read models: {@link #views()} for {@code ""}, else views
   * under {@code <prefix>-<generation>} (in Couchbase) or new in-memory ones.
   */
  public ViewStores viewsOf(String generation) {
    if (ReadModelGeneration.validated(generation).isEmpty()) {
      return views;
    }
    return collection == null
        ? inMemoryGenerations.computeIfAbsent(generation, g -> ViewStores.inMemory())
        : views(namespaceOf(generation));
  }

  /**
   * Where the views of {@code generation} go: {@code <prefix>-<generation>}, or the prefix itself
   * for {@code ""}.
   */
  public String namespaceOf(String generation) {
    return ReadModelGeneration.validated(generation).isEmpty() ? prefix : prefix + "-" + generation;
  }

  /**
   * Whether the bucket holds a bank's documents under {@code namespace}: an event log ({@code
   * <namespace>::seq}), a generation pointer, or a read model's index (every view is listed in its
   * model's index before it is written). Always false in memory, where every namespace is new.
   */
  public boolean holdsDocuments(String namespace) {
    Objects.requireNonNull(namespace, "namespace");
    if (collection == null) {
      return false;
    }
    List<String> keys =
        List.of(
            namespace + "::seq",
            namespace + "::rm::generation",
            namespace + "::rm::accounts::index",
            namespace + "::rm::users::index",
            namespace + "::rm::transfers::index",
            // The counters of the indexes' slots (CouchbaseIdIndex), which this build writes.
            namespace + "::rm::accounts::index#n",
            namespace + "::rm::users::index#n",
            namespace + "::rm::transfers::index#n");
    // A get, not exists(): CouchbaseMock, which the tests run on, has no GET_META.
    for (String key : keys) {
      try {
        collection.get(key);
        return true;
      } catch (DocumentNotFoundException e) {
        // Not this one.
      } catch (RuntimeException e) {
        throw new TransientCqrsException(
            "Could not look for documents under '" + namespace + "'", e);
      }
    }
    return false;
  }

  /** The Couchbase key prefix and RabbitMQ name prefix. */
  public String prefix() {
    return prefix;
  }

  /** Whether the read models' views are in Couchbase, shared with other processes. */
  public boolean isSharedReadModels() {
    return collection != null;
  }

  /** What this infrastructure is, without secrets. */
  public String describe() {
    return description;
  }

  /**
   * Closes what this object created, in order. A failure is logged and the rest are still closed:
   * this runs at shutdown, where there is nobody left to handle it.
   */
  @Override
  public void close() {
    for (AutoCloseable resource : owned) {
      try {
        resource.close();
      } catch (Exception e) {
        log.warn("Could not close {}", resource.getClass().getSimpleName(), e);
      }
    }
  }
}
