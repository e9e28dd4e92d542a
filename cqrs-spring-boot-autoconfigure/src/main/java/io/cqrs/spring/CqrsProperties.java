package io.cqrs.spring;

import io.cqrs.Cqrs;
import io.cqrs.rabbitmq.RabbitBusBuilder;
import io.cqrs.spi.DurationSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The {@code cqrs.*} properties: which store and buses to use and how to reach them, the command
 * service, listeners and retries, the relay, event processors, snapshots, deduplication, the
 * aggregate cache and the health thresholds. Every property has a default that suits a single
 * in-memory application; {@code docs/spring-boot.md} lists them with examples.
 */
// Unknown cqrs.* keys fail the start: a misspelt setting (cqrs.bus.typ) must not be dropped in
// silence, leaving the application on its defaults.
@ConfigurationProperties(prefix = "cqrs", ignoreUnknownFields = false)
public class CqrsProperties {
  /**
   * The command service: instances with the same name compete for its commands, and the relay and
   * the RabbitMQ connections are named after it. Default: spring.application.name, else "app".
   */
  private String service;

  // Not a property of its own: where the service name falls back to.
  @Value("${spring.application.name:app}")
  private String applicationName = "app";

  /** Whether handlers and processors start with the application context. */
  private boolean autoStartup = true;

  /**
   * How long stopping waits for handlers in flight; one that takes longer is left to finish in the
   * background (its message is delivered again, a processor's claim runs out) so that a stuck
   * handler cannot hold the shutdown for ever.
   */
  private Duration shutdownTimeout = Cqrs.DEFAULT_SHUTDOWN_TIMEOUT;

  private final Store store = new Store();
  private final Bus bus = new Bus();
  private final Relay relay = new Relay();
  private final Snapshots snapshots = new Snapshots();
  private final Deduplication deduplication = new Deduplication();
  private final Cache cache = new Cache();
  private final Health health = new Health();

  /**
   * Settings of tracking processors by processor name: those that run projection beans (by bean
   * name), and those the application builds by name in a CqrsConfigurer's register with
   * Cqrs.processor(name, settings), whose own settings these override.
   */
  private final Map<String, Processor> processors = new LinkedHashMap<>();

  /**
   * {@code value}, or null if it is empty or blank: a key set to nothing ({@code ${COUCHBASE_X:}}
   * where the variable is unset) is not a setting.
   */
  private static String unsetIfBlank(String value) {
    return value == null || value.isBlank() ? null : value;
  }

  /**
   * {@code cqrs.service}, else {@code spring.application.name}, else {@code app}; a name set to
   * nothing ({@code spring.application.name=${APP_NAME:}}) is no name.
   */
  public String getService() {
    if (service != null && !service.isBlank()) {
      return service;
    }
    return applicationName == null || applicationName.isBlank() ? "app" : applicationName;
  }

  /** Whether {@code cqrs.service} is set, rather than the name falling back. */
  boolean isServiceSet() {
    return service != null && !service.isBlank();
  }

  public void setService(String service) {
    this.service = service;
  }

  public boolean isAutoStartup() {
    return autoStartup;
  }

  public void setAutoStartup(boolean autoStartup) {
    this.autoStartup = autoStartup;
  }

  public Duration getShutdownTimeout() {
    return shutdownTimeout;
  }

  /**
   * @throws IllegalArgumentException if not positive (the binder names the property)
   */
  public void setShutdownTimeout(Duration shutdownTimeout) {
    if (shutdownTimeout == null || shutdownTimeout.isNegative() || shutdownTimeout.isZero()) {
      throw new IllegalArgumentException(
          "cqrs.shutdown-timeout must be positive, was " + shutdownTimeout);
    }
    this.shutdownTimeout = shutdownTimeout;
  }

  public Store getStore() {
    return store;
  }

  public Bus getBus() {
    return bus;
  }

  public Relay getRelay() {
    return relay;
  }

  public Snapshots getSnapshots() {
    return snapshots;
  }

  public Deduplication getDeduplication() {
    return deduplication;
  }

  public Cache getCache() {
    return cache;
  }

  public Health getHealth() {
    return health;
  }

  public Map<String, Processor> getProcessors() {
    return processors;
  }

  /** Where events, snapshots and the integration log are kept. */
  public static class Store {
    /** The event store: memory (the default) or couchbase. */
    private StoreType type = StoreType.MEMORY;

    private final Couchbase couchbase = new Couchbase();

    public StoreType getType() {
      return type;
    }

    public void setType(StoreType type) {
      this.type = type;
    }

    public Couchbase getCouchbase() {
      return couchbase;
    }
  }

  /** The kinds of event store. */
  public enum StoreType {
    /** In this process's memory: for tests and single-process demos. */
    MEMORY,
    /** Couchbase, with the application's {@code Cluster} or a connection of its own. */
    COUCHBASE
  }

  /** The Couchbase event store. */
  public static class Couchbase {
    /**
     * The cluster to connect to, when the application has no Couchbase {@code Cluster} bean
     * (spring.couchbase.*); with one, leave this unset and the store uses that cluster.
     */
    private String connectionString;

    /** The user, when the store connects itself. */
    private String username;

    /** The user's password, when the store connects itself. */
    private String password;

    /** The bucket of the event store (required). */
    private String bucket;

    /** The scope, with collection, instead of the bucket's default collection. */
    private String scope;

    /** The collection, with scope, instead of the bucket's default collection. */
    private String collection;

    /** The prefix of every key; applications sharing a bucket use different prefixes. */
    private String keyPrefix = "cqrs";

    /** How long to wait for the bucket to be ready at start-up. */
    private Duration connectTimeout = Duration.ofSeconds(30);

    // The store builder's own bound (Couchbase's classes are not loaded here).

    /**
     * The durability every write of the store waits for: none (acknowledged once the active node
     * holds it in memory), majority, majority-and-persist-to-active or persist-to-majority. With
     * majority or stronger a save the store reported survives the failover of its active node;
     * needs a bucket with replicas.
     */
    private String durability = "none";

    public String getConnectionString() {
      return connectionString;
    }

    /** Empty or blank ({@code ${COUCHBASE_X:}}) is unset. */
    public void setConnectionString(String connectionString) {
      this.connectionString = unsetIfBlank(connectionString);
    }

    public String getUsername() {
      return username;
    }

    /** Empty or blank ({@code ${COUCHBASE_X:}}) is unset. */
    public void setUsername(String username) {
      this.username = unsetIfBlank(username);
    }

    public String getPassword() {
      return password;
    }

    /** Empty or blank ({@code ${COUCHBASE_X:}}) is unset. */
    public void setPassword(String password) {
      this.password = unsetIfBlank(password);
    }

    public String getBucket() {
      return bucket;
    }

    /** Empty or blank ({@code ${COUCHBASE_X:}}) is unset. */
    public void setBucket(String bucket) {
      this.bucket = unsetIfBlank(bucket);
    }

    public String getScope() {
      return scope;
    }

    /** Empty or blank ({@code ${COUCHBASE_X:}}) is unset. */
    public void setScope(String scope) {
      this.scope = unsetIfBlank(scope);
    }

    public String getCollection() {
      return collection;
    }

    /** Empty or blank ({@code ${COUCHBASE_X:}}) is unset. */
    public void setCollection(String collection) {
      this.collection = unsetIfBlank(collection);
    }

    public String getKeyPrefix() {
      return keyPrefix;
    }

    public void setKeyPrefix(String keyPrefix) {
      this.keyPrefix = keyPrefix;
    }

    public Duration getConnectTimeout() {
      return connectTimeout;
    }

    /**
     * @throws IllegalArgumentException if not positive, or longer than 365 days (the binder names
     *     the property): checked here, as the store's builder checks it only when the store
     *     connects itself, not on the application's {@code Cluster}, where the wait for the bucket,
     *     reckoned in nanoseconds, overflowed on a longer one
     */
    public void setConnectTimeout(Duration connectTimeout) {
      if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
        throw new IllegalArgumentException(
            "cqrs.store.couchbase.connect-timeout must be positive, was " + connectTimeout);
      }
      if (connectTimeout.compareTo(DurationSettings.LONGEST) > 0) {
        throw new IllegalArgumentException(
            "cqrs.store.couchbase.connect-timeout must be at most "
                + DurationSettings.LONGEST.toDays()
                + " days, was "
                + connectTimeout);
      }
      this.connectTimeout = connectTimeout;
    }

    public String getDurability() {
      return durability;
    }

    /** Empty or blank is unset: {@code none}. */
    public void setDurability(String durability) {
      this.durability = Objects.requireNonNullElse(unsetIfBlank(durability), "none");
    }
  }

  /** The command and event buses. */
  public static class Bus {
    /** The buses: memory (the default) or rabbitmq. */
    private BusType type = BusType.MEMORY;

    /** Threads taking commands. */
    private int commandListeners = 1;

    /** Threads per event subscription (1 keeps each subscription in order). */
    private int eventListeners = 1;

    /**
     * Whether a command handler returns before the broker confirms its events (the relay publishes
     * what a crash kept from the bus).
     */
    private boolean publishAsynchronously = false;

    private final Rabbitmq rabbitmq = new Rabbitmq();

    public BusType getType() {
      return type;
    }

    public void setType(BusType type) {
      this.type = type;
    }

    public int getCommandListeners() {
      return commandListeners;
    }

    public void setCommandListeners(int commandListeners) {
      this.commandListeners = commandListeners;
    }

    public int getEventListeners() {
      return eventListeners;
    }

    public void setEventListeners(int eventListeners) {
      this.eventListeners = eventListeners;
    }

    public boolean isPublishAsynchronously() {
      return publishAsynchronously;
    }

    public void setPublishAsynchronously(boolean publishAsynchronously) {
      this.publishAsynchronously = publishAsynchronously;
    }

    public Rabbitmq getRabbitmq() {
      return rabbitmq;
    }
  }

  /** The kinds of bus. */
  public enum BusType {
    /** In this process's memory. */
    MEMORY,
    /** RabbitMQ, with the application's connection factory or a URI. */
    RABBITMQ
  }

  /** The RabbitMQ buses. */
  public static class Rabbitmq {
    /**
     * The broker as an amqp:// or amqps:// URI (several, comma-separated, for the nodes of a
     * cluster), when the application has no Spring AMQP connection factory (spring.rabbitmq.*);
     * with one, leave this unset and the buses connect with its settings.
     */
    private String uri;

    /**
     * The namespace of every exchange and queue; instances that talk to each other use the same.
     */
    private String prefix = "cqrs";

    /** The type of the queues the buses declare: classic or quorum. */
    private String queueType = "classic";

    /**
     * Delays before the second, third... attempt of a message whose handler threw; then it is
     * dead-lettered. Empty: no retries.
     */
    private List<Duration> retryDelays =
        new ArrayList<>(
            List.of(Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofSeconds(60)));

    /** Unacknowledged messages per listener, split among the queues it consumes. */
    private int prefetch = 250;

    /** How long a connection may be down before the bus reports itself unhealthy. */
    private Duration unhealthyAfter = Duration.ofSeconds(15);

    /** How long a lost connection waits before each attempt to recover. */
    private Duration recoveryInterval = Duration.ofSeconds(2);

    /**
     * Whether the buses declare their exchanges, queues and bindings. With false they declare
     * nothing and only check that what they use exists (an operator declared it): their broker user
     * then needs no configure permission (docs/security.md).
     */
    private boolean declareTopology = true;

    /**
     * The longest a publish waits for the broker's confirms (and the life of an asynchronous
     * publication), then it fails saying the messages may have been delivered.
     */
    private Duration publishTimeout = Duration.ofSeconds(30);

    /** How many published messages may await the broker's confirm at once. */
    private int confirmWindow = 1000;

    /**
     * The largest body a published message may have (RabbitMQ 4's default max_message_size); a
     * larger one fails its publish with a clear error instead of the broker closing the shared
     * publishing channel. At most 64MB, the AMQP client's inbound limit.
     */
    private DataSize maxMessageSize = DataSize.ofMegabytes(16);

    /**
     * The heartbeat asked of the broker, in whole seconds; a hung node is noticed after two missed
     * heartbeats. Unset: the application's connection factory's (spring.rabbitmq.requested-
     * heartbeat), else 5s.
     */
    private Duration heartbeat;

    /**
     * The longest TCP connect to one node before the next is tried. Unset: the application's
     * connection factory's, else 5s.
     */
    private Duration connectionTimeout;

    /**
     * The longest AMQP handshake with one node before the next is tried. Unset: the application's
     * connection factory's, else 10s.
     */
    private Duration handshakeTimeout;

    /**
     * How the event bus logs an event that reached no subscription queue: warn (a warning, each
     * event type when it first does and then at most once a minute with a count) or debug (the same
     * at DEBUG, for a service whose read models are all tracking processors, where it is expected).
     */
    private UnroutableEvents unroutableEvents = UnroutableEvents.WARN;

    /**
     * How the event bus logs an event that reached no subscription queue. Failing the publish
     * ({@code RabbitEventBus.Builder.failOnUnroutable}) has no property: the relay, which publishes
     * under the starter, would stop at such an event and publish the rest of its batch again.
     */
    public enum UnroutableEvents {
      /** Logged as a warning, each type when it first does, then once a minute with a count. */
      WARN,
      /** Logged the same way at DEBUG: expected where the read models read the store's log. */
      DEBUG
    }

    public UnroutableEvents getUnroutableEvents() {
      return unroutableEvents;
    }

    public void setUnroutableEvents(UnroutableEvents unroutableEvents) {
      this.unroutableEvents = unroutableEvents;
    }

    public String getUri() {
      return uri;
    }

    /** An empty or blank URI ({@code cqrs.bus.rabbitmq.uri=${RABBIT_URI:}}) is no URI. */
    public void setUri(String uri) {
      this.uri = unsetIfBlank(uri);
    }

    public String getPrefix() {
      return prefix;
    }

    public void setPrefix(String prefix) {
      this.prefix = prefix;
    }

    public String getQueueType() {
      return queueType;
    }

    public void setQueueType(String queueType) {
      this.queueType = queueType;
    }

    public List<Duration> getRetryDelays() {
      return retryDelays;
    }

    public void setRetryDelays(List<Duration> retryDelays) {
      this.retryDelays = retryDelays;
    }

    public int getPrefetch() {
      return prefetch;
    }

    public void setPrefetch(int prefetch) {
      this.prefetch = prefetch;
    }

    public Duration getUnhealthyAfter() {
      return unhealthyAfter;
    }

    public void setUnhealthyAfter(Duration unhealthyAfter) {
      this.unhealthyAfter = unhealthyAfter;
    }

    public Duration getRecoveryInterval() {
      return recoveryInterval;
    }

    public void setRecoveryInterval(Duration recoveryInterval) {
      this.recoveryInterval = recoveryInterval;
    }

    public boolean isDeclareTopology() {
      return declareTopology;
    }

    public void setDeclareTopology(boolean declareTopology) {
      this.declareTopology = declareTopology;
    }

    public Duration getPublishTimeout() {
      return publishTimeout;
    }

    public void setPublishTimeout(Duration publishTimeout) {
      this.publishTimeout = publishTimeout;
    }

    public DataSize getMaxMessageSize() {
      return maxMessageSize;
    }

    /**
     * @throws IllegalArgumentException if below 1 byte or above 64MB (the binder names the
     *     property)
     */
    public void setMaxMessageSize(DataSize maxMessageSize) {
      long bytes = maxMessageSize == null ? 0 : maxMessageSize.toBytes();
      // The bus's own bound (a constant, inlined: no RabbitMQ class is loaded here).
      if (bytes < 1 || bytes > RabbitBusBuilder.MAX_MESSAGE_BYTES) {
        throw new IllegalArgumentException(
            "cqrs.bus.rabbitmq.max-message-size must be from 1B to 64MB, was " + maxMessageSize);
      }
      this.maxMessageSize = maxMessageSize;
    }

    public int getConfirmWindow() {
      return confirmWindow;
    }

    public void setConfirmWindow(int confirmWindow) {
      this.confirmWindow = confirmWindow;
    }

    public Duration getHeartbeat() {
      return heartbeat;
    }

    public void setHeartbeat(Duration heartbeat) {
      this.heartbeat = heartbeat;
    }

    public Duration getConnectionTimeout() {
      return connectionTimeout;
    }

    public void setConnectionTimeout(Duration connectionTimeout) {
      this.connectionTimeout = connectionTimeout;
    }

    public Duration getHandshakeTimeout() {
      return handshakeTimeout;
    }

    public void setHandshakeTimeout(Duration handshakeTimeout) {
      this.handshakeTimeout = handshakeTimeout;
    }
  }

  /** The relay that publishes committed events a crash kept from the bus. */
  public static class Relay {
    /** Whether the relay runs (when the store supports it). */
    private boolean enabled = true;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }
  }

  /** When aggregates are snapshotted. */
  public static class Snapshots {
    /** when-suggested (the aggregate asks), every (see cqrs.snapshots.every) or never. */
    private SnapshotMode mode = SnapshotMode.WHEN_SUGGESTED;

    /** Events between snapshots, with mode every. */
    private long every = 100;

    public SnapshotMode getMode() {
      return mode;
    }

    public void setMode(SnapshotMode mode) {
      this.mode = mode;
    }

    public long getEvery() {
      return every;
    }

    /**
     * @throws IllegalArgumentException if not 1 or more (the binder names the property; the
     *     policy's own refusal named its {@code events})
     */
    public void setEvery(long every) {
      if (every < 1) {
        throw new IllegalArgumentException("cqrs.snapshots.every must be 1 or more, was " + every);
      }
      this.every = every;
    }
  }

  /** The snapshot policies. */
  public enum SnapshotMode {
    /** When the aggregate suggests one. */
    WHEN_SUGGESTED,
    /** Every {@code cqrs.snapshots.every} events. */
    EVERY,
    /** Never. */
    NEVER
  }

  /** What the command dispatch manager remembers of handled commands. */
  public static class Deduplication {
    /**
     * Whether rejections are remembered too, so that a redelivered rejected command is rejected
     * again without running; effects are exactly-once either way.
     */
    private boolean enabled = true;

    /**
     * Whether the look-up stands for the store's own check of a command on a cached aggregate (one
     * Couchbase KV operation less per command); only where every delivery of a message id carries
     * the same correlation id. Needs {@code enabled}.
     */
    private boolean lookupProvesEffects = false;

    /**
     * Whether a command handled without effect records that outcome ({@code CommandHandled}), so
     * that a later delivery is not handled again on newer state; one integration-log write per such
     * command, a type older builds cannot read. Needs {@code enabled}.
     */
    private boolean recordNoEffect = false;

    public boolean isRecordNoEffect() {
      return recordNoEffect;
    }

    public void setRecordNoEffect(boolean recordNoEffect) {
      this.recordNoEffect = recordNoEffect;
    }

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public boolean isLookupProvesEffects() {
      return lookupProvesEffects;
    }

    public void setLookupProvesEffects(boolean lookupProvesEffects) {
      this.lookupProvesEffects = lookupProvesEffects;
    }
  }

  /** The cache of aggregates' latest state in this process. */
  public static class Cache {
    /** Aggregates kept; 0 (the default) keeps none. */
    private long maximumSize = 0;

    /**
     * Whether a command handler's loads from the cache leave their check of the store for later:
     * the save's commit, or a check before a rejection counts (one Couchbase KV operation less per
     * command); only where a command handler's effects are its saves.
     */
    private boolean deferChecks = false;

    public boolean isDeferChecks() {
      return deferChecks;
    }

    public void setDeferChecks(boolean deferChecks) {
      this.deferChecks = deferChecks;
    }

    public long getMaximumSize() {
      return maximumSize;
    }

    /**
     * @throws IllegalArgumentException if negative (a negative size kept no cache in silence; the
     *     binder names the property)
     */
    public void setMaximumSize(long maximumSize) {
      if (maximumSize < 0) {
        throw new IllegalArgumentException(
            "cqrs.cache.maximum-size must be 0 (no cache) or more, was " + maximumSize);
      }
      this.maximumSize = maximumSize;
    }
  }

  /** One tracking event processor. */
  public static class Processor {
    /** Segments the log is split into (fixed in the store by the processor's first start). */
    private int segments = 1;

    /** Log positions a segment reads and handles before saving its checkpoint (default 256). */
    private Integer batchSize;

    /**
     * How long a segment's claim lasts without renewal (default 30s): how long the segments of a
     * process that died unannounced wait before another process takes them.
     */
    private Duration claimTtl;

    /**
     * How often an event is tried when its handler throws a non-transient exception (default 3)
     * before it is dead-lettered, or the segment stops (stop-on-failure).
     */
    private Integer maxAttempts;

    /**
     * Whether a segment stops at an event that keeps failing (keeping its claim and checkpoint; the
     * processors health is then DOWN) instead of dead-lettering it and going on.
     */
    private boolean stopOnFailure = false;

    /**
     * Whether a projection bean's processor keeps its checkpoints in this process's memory, reading
     * the whole log at every start and every stream in every process: for a read model kept in
     * memory (a map), which a processor whose checkpoints the store keeps would resume after the
     * stored checkpoint, empty, and split among the processes. A processor built in code chooses in
     * code (Cqrs.localProcessor); this property must then agree with it.
     */
    private Boolean local;

    /** Whether the configuration set {@code segments} and {@code stop-on-failure} at all. */
    private boolean segmentsSet;

    private boolean stopOnFailureSet;

    /**
     * How long after giving a segment up at an event this process cannot read it tries the segment
     * again, if no other process took it (default 5m): the event may have been repaired.
     */
    private Duration unreadableRetry;

    public Boolean getLocal() {
      return local;
    }

    public void setLocal(Boolean local) {
      this.local = local;
    }

    public Duration getUnreadableRetry() {
      return unreadableRetry;
    }

    public void setUnreadableRetry(Duration unreadableRetry) {
      this.unreadableRetry = unreadableRetry;
    }

    public Duration getClaimTtl() {
      return claimTtl;
    }

    public void setClaimTtl(Duration claimTtl) {
      this.claimTtl = claimTtl;
    }

    public Integer getMaxAttempts() {
      return maxAttempts;
    }

    public void setMaxAttempts(Integer maxAttempts) {
      this.maxAttempts = maxAttempts;
    }

    public boolean isStopOnFailure() {
      return stopOnFailure;
    }

    public void setStopOnFailure(boolean stopOnFailure) {
      this.stopOnFailure = stopOnFailure;
      this.stopOnFailureSet = true;
    }

    /**
     * Whether {@code segments} was set, to its default or not: a processor built in code keeps its
     * own otherwise.
     */
    boolean segmentsSet() {
      return segmentsSet;
    }

    /** Whether {@code stop-on-failure} was set. */
    boolean stopOnFailureSet() {
      return stopOnFailureSet;
    }

    public int getSegments() {
      return segments;
    }

    public void setSegments(int segments) {
      this.segments = segments;
      this.segmentsSet = true;
    }

    public Integer getBatchSize() {
      return batchSize;
    }

    public void setBatchSize(Integer batchSize) {
      this.batchSize = batchSize;
    }
  }

  /** The Actuator health of cqrs. */
  public static class Health {
    /**
     * How far a processor or the relay may be behind before the processors' health is DOWN, in
     * events (in memory) or log sequences, about one per commit (on Couchbase); unset: lag is
     * reported, never DOWN.
     */
    private Long maxLag;

    public Long getMaxLag() {
      return maxLag;
    }

    /**
     * @throws IllegalArgumentException if negative (the processors would be DOWN for good; the
     *     binder names the property)
     */
    public void setMaxLag(Long maxLag) {
      if (maxLag != null && maxLag < 0) {
        throw new IllegalArgumentException("cqrs.health.max-lag must be 0 or more, was " + maxLag);
      }
      this.maxLag = maxLag;
    }
  }
}
