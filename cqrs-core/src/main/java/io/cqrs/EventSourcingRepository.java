package io.cqrs;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.cqrs.interceptor.AggregateCall;
import io.cqrs.interceptor.AggregateInterceptor;
import io.cqrs.interceptor.Interceptors;
import io.cqrs.internal.AggregateChain;
import io.cqrs.internal.Ids;
import io.cqrs.internal.Texts;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.EventStream;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.RelayStore;
import io.cqrs.spi.Snapshot;
import io.cqrs.spi.StreamAppend;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads and saves event-sourced aggregates (andrewwebber's {@code EventSourcingRepository}).
 *
 * <p>{@link #save} wraps the aggregate's pending events in {@link VersionedEvent}s numbered after
 * the aggregate's version, appends them atomically to the {@link EventStreamRepository} (failing
 * with {@link ConcurrencyException} if another writer got there first), clears them from the
 * aggregate, takes a snapshot if the {@link SnapshotPolicy} asks, and publishes them on the {@link
 * EventBus} if one is set: by default {@code save} returns once the bus has accepted them; with
 * {@link Builder#publishAsynchronously} it returns once they are committed and the bus confirms
 * them in the background. {@link #get} rebuilds an aggregate from its latest usable snapshot plus
 * the events after it.
 *
 * <p>Thread-safe; aggregates themselves are not, so give each command its own instance.
 */
public final class EventSourcingRepository {
  private static final Logger log = LoggerFactory.getLogger(EventSourcingRepository.class);

  private final EventStreamRepository store;
  private final TypeRegistry registry;
  private final EventBus publisher;
  private final boolean publishAsynchronously;
  private final SnapshotPolicy snapshotPolicy;
  private final EventSerializer serializer; // null: one on the registry, made when first needed
  private volatile SnapshotCodec snapshots; // made when first needed: see snapshots()
  private final Object snapshotsLock = new Object();
  private final AggregateCache cache; // null: none
  private final AggregateInterceptor[] interceptors;
  private final Set<Class<?>> uncacheable = ConcurrentHashMap.newKeySet();
  // Whether a save by correlation id inside a command's handling was logged: once is enough.
  private final java.util.concurrent.atomic.AtomicBoolean warnedUntiedSave =
      new java.util.concurrent.atomic.AtomicBoolean();
  // The version of each stream a load last tried to snapshot: a load writes at most one snapshot
  // per stream and version, so one that cannot be read back (or written), or that the other
  // revision of a class ignores during a rolling deploy, is not written again by every load.
  private final Cache<String, Long> snapshottedOnLoad =
      Caffeine.newBuilder().maximumSize(10_000).build();

  private EventSourcingRepository(Builder builder) {
    this.store = builder.store;
    this.registry = builder.registry;
    this.publisher = builder.publisher;
    this.publishAsynchronously = builder.publishAsynchronously;
    this.snapshotPolicy = builder.snapshotPolicy;
    this.cache = builder.cache;
    this.interceptors = builder.interceptors.aggregate().toArray(new AggregateInterceptor[0]);
    this.serializer = builder.serializer;
  }

  /** A repository over {@code store}, resolving event type names with {@code registry}. */
  public static Builder builder(EventStreamRepository store, TypeRegistry registry) {
    return new Builder(store, registry);
  }

  /** The aggregate cache, if the repository was built with one. */
  public Optional<AggregateCache> cache() {
    return Optional.ofNullable(cache);
  }

  /** The underlying store. */
  public EventStreamRepository store() {
    return store;
  }

  /** The type registry events are named with. */
  public TypeRegistry registry() {
    return registry;
  }

  /**
   * Commits the aggregate's pending events under a correlation id and publishes them: not as any
   * command's effect, so not at most once. A command handler passes its command instead ({@link
   * #save(EventSourceBased, Command)}); called while a command is handled on this thread, this logs
   * a warning (once per repository).
   *
   * @return the committed events in version order, an immutable list; empty if nothing was pending
   * @throws ConcurrencyException if the stream moved on since the aggregate was loaded; nothing was
   *     written and the aggregate keeps its pending events
   * @throws UnknownTypeException if a pending event's type is not registered; nothing was written
   */
  public List<VersionedEvent> save(EventSourceBased aggregate, String correlationId) {
    Objects.requireNonNull(correlationId, "correlationId");
    String handling = CommandAttempt.handling();
    if (handling != null
        && !warnedUntiedSave.get()
        && warnedUntiedSave.compareAndSet(false, true)) {
      log.warn(
          "{} '{}' saved with save(aggregate, correlationId) while command {} is handled on this"
              + " thread: the commit is not recorded as that command's effect, so a redelivery of"
              + " the command takes effect again. Pass the command: save(aggregate, command)"
              + " (logged once per repository)",
          aggregate.getClass().getSimpleName(),
          shown(aggregate.id()),
          Texts.printable(handling));
    }
    return save(aggregate, correlationId, null, Map.of(), null, null);
  }

  /**
   * Commits the aggregate's pending events as the effect of a command, at most once: they take its
   * correlation id, its message id as their causation id, its {@code actor} and {@code onBehalfOf}
   * and the rest of its metadata (see {@link MetadataKey}), and the store commits them only if the
   * stream holds no earlier effect of the same command (see {@link
   * EventStreamRepository#save(StreamAppend)}). A redelivered command, or a second delivery racing
   * the first, thus fails here with {@link DuplicateCommandException}, which {@link
   * CommandDispatchManager} takes as "already handled".
   *
   * <p>One command's effect on one aggregate is one commit: saving the same instance again for the
   * same command appends to that effect, but saving a second instance of the same aggregate, loaded
   * afresh, for the same command is refused as a duplicate.
   *
   * @throws DuplicateCommandException if the stream already holds this command's effect; nothing
   *     was written
   */
  public List<VersionedEvent> save(EventSourceBased aggregate, Command cause) {
    Objects.requireNonNull(cause, "cause");
    Objects.requireNonNull(aggregate, "aggregate");
    String commandId =
        cause.messageId().equals(aggregate.committedFor()) ? null : cause.messageId();
    return save(
        aggregate, cause.correlationId(), cause.messageId(), cause.metadata(), commandId, cause);
  }

  private List<VersionedEvent> save(
      EventSourceBased aggregate,
      String correlationId,
      String causationId,
      Map<String, String> metadata,
      String commandId,
      Command cause) {
    Objects.requireNonNull(aggregate, "aggregate");
    if (aggregate.pendingCount() == 0) {
      return List.of();
    }
    long previousVersion = aggregate.version();
    List<VersionedEvent> events = envelope(aggregate, correlationId, causationId, metadata);
    String type = TypeRegistry.logicalName(aggregate.getClass());
    if (interceptors.length == 0) {
      commit(aggregate, events, type, previousVersion, causationId, commandId);
      return events;
    }
    Save call = new Save(aggregate, type, cause, events, previousVersion, causationId, commandId);
    call.found(true);
    call.run();
    return events;
  }

  /** A save through the aggregate interceptors: the chain and its terminal in one object. */
  private final class Save extends AggregateChain {
    private final EventSourceBased aggregate;
    private final long previousVersion;
    private final String causationId;
    private final String commandId;

    Save(
        EventSourceBased aggregate,
        String type,
        Command cause,
        List<VersionedEvent> events,
        long previousVersion,
        String causationId,
        String commandId) {
      super(interceptors, AggregateCall.Kind.SAVE, aggregate.id(), type, cause, events);
      this.aggregate = aggregate;
      this.previousVersion = previousVersion;
      this.causationId = causationId;
      this.commandId = commandId;
    }

    @Override
    protected void perform() {
      commit(aggregate, events(), aggregateType(), previousVersion, causationId, commandId);
    }
  }

  private void commit(
      EventSourceBased aggregate,
      List<VersionedEvent> events,
      String type,
      long previousVersion,
      String causationId,
      String commandId) {
    // Loads a command handler left unchecked are checked before anything is written on them.
    CommandLookups.beforeSave(this, aggregate.id(), previousVersion);
    try {
      StreamAppend append =
          new StreamAppend(aggregate.id(), previousVersion, events, commandId, type);
      if (commandId != null
          && cache != null
          && CommandLookups.proven(
              this,
              store,
              aggregate.id(),
              previousVersion,
              commandId,
              events.get(0).correlationId())) {
        store.saveChecked(append); // see CommandLookups: the cache and the look-up proved it
      } else {
        store.save(append);
      }
    } catch (ConcurrencyException e) {
      if (e.actual() >= 0 && e.actual() < previousVersion) {
        behindLoaded(aggregate.id(), type, previousVersion, e.actual());
      } else if (cache != null) {
        // Another writer is ahead of what we held: still a state the stream had, from which the
        // next load reads what came after it, at once.
        cache.contended(aggregate.id());
      }
      throw e;
    } catch (RuntimeException e) {
      if (cache != null) {
        cache.invalidate(aggregate.id()); // the save's outcome may be unknown: read the stream
      }
      throw e;
    }
    CommandLookups.committed(this, aggregate.id(), previousVersion);
    if (causationId != null) {
      CommandAttempt.committed(causationId, aggregate.id());
    }
    long newVersion = previousVersion + events.size();
    aggregate.markCommitted(newVersion, causationId);
    remember(aggregate, type, Remembered.SAVED);
    if (snapshotPolicy.shouldSnapshot(aggregate, previousVersion, newVersion)) {
      snapshot(aggregate);
    }
    if (publisher != null) {
      publish(events);
    }
  }

  /**
   * The pending events in envelopes, as an immutable list: the store's {@link StreamAppend} then
   * keeps it as it is instead of copying it, and the caller of {@code save} gets it back.
   */
  private List<VersionedEvent> envelope(
      EventSourceBased aggregate,
      String correlationId,
      String causationId,
      Map<String, String> metadata) {
    Instant now = Instant.now();
    String actor = metadata.get(MetadataKey.ACTOR.name());
    String onBehalfOf = metadata.get(MetadataKey.ON_BEHALF_OF.name());
    Map<String, String> propagated = VersionedEvent.propagated(metadata);
    int count = aggregate.pendingCount();
    VersionedEvent[] events = count == 1 ? null : new VersionedEvent[count];
    VersionedEvent last = null;
    long version = aggregate.version();
    for (int i = 0; i < count; i++) {
      Object event = aggregate.pendingAt(i);
      registry.nameOf(event.getClass()); // only registered types are stored: fails if not
      last =
          new VersionedEvent(
              Ids.newId(),
              correlationId,
              causationId,
              aggregate.id(),
              actor,
              onBehalfOf,
              ++version,
              TypeRegistry.logicalName(event.getClass()),
              now,
              event,
              propagated);
      if (events != null) {
        events[i] = last;
      }
    }
    return events == null ? List.of(last) : List.of(events);
  }

  /**
   * The snapshot codec, made on first use: its default serializer builds an {@code ObjectMapper},
   * which a repository whose aggregates are never snapshotted or cached need not pay for (issue 14:
   * it was most of what building a repository allocated).
   */
  private SnapshotCodec snapshots() {
    SnapshotCodec codec = snapshots;
    if (codec == null) {
      synchronized (snapshotsLock) {
        codec = snapshots;
        if (codec == null) {
          codec =
              new SnapshotCodec(serializer != null ? serializer : new EventSerializer(registry));
          snapshots = codec;
        }
      }
    }
    return codec;
  }

  /**
   * The snapshot a load found missing: none was written (a stream older than the policy, a write
   * that failed) or the one there was of another shape and ignored. Taken as the save would have,
   * so the next loads do not replay it all again; at most once per stream and version in this
   * repository (see {@link #snapshottedOnLoad}), but for a write that failed transiently, which a
   * later load tries again.
   */
  private void snapshotOnLoad(EventSourceBased aggregate) {
    String id = aggregate.id();
    long version = aggregate.version();
    Long tried = snapshottedOnLoad.asMap().put(id, version);
    if (tried != null && tried >= version) {
      return;
    }
    if (!snapshot(aggregate)) {
      snapshottedOnLoad.asMap().remove(id, version);
    }
  }

  /**
   * Writes the aggregate's snapshot; a failure is logged, never thrown.
   *
   * @return false if the write failed transiently (the store away), so that trying again may do
   */
  private boolean snapshot(EventSourceBased aggregate) {
    try {
      store.saveSnapshot(
          snapshots().write(aggregate, TypeRegistry.logicalName(aggregate.getClass())));
      return true;
    } catch (RuntimeException e) {
      log.warn(
          "Snapshot of '{}' at version {} failed; the save or load stands, and loads replay events",
          shown(aggregate.id()),
          aggregate.version(),
          e);
      return !(e instanceof TransientCqrsException);
    }
  }

  private void publish(List<VersionedEvent> events) {
    if (publishAsynchronously) {
      publishInBackground(events);
      return;
    }
    try {
      publisher.publish(events);
    } catch (RuntimeException e) {
      notPublished(events, e);
      return;
    }
    markPublished(events);
  }

  /**
   * Hands the events to the bus without waiting for it; they are marked published when the bus has
   * confirmed them, on whatever thread completes its future.
   */
  private void publishInBackground(List<VersionedEvent> events) {
    CompletableFuture<Void> published;
    try {
      published = publisher.publishAsync(events);
    } catch (RuntimeException e) {
      notPublished(events, e);
      return;
    }
    // The caller owns the returned list by then: what is marked is fixed now.
    List<VersionedEvent> committed = List.copyOf(events);
    published.whenComplete(
        (done, failure) -> {
          if (failure != null) {
            notPublished(committed, failure);
          } else {
            markPublished(committed);
          }
        });
  }

  private static void notPublished(List<VersionedEvent> events, Throwable failure) {
    // The events are committed: failing here would make callers retry a command that already
    // took effect. They stay unmarked in the integration log, and an EventRelay publishes them.
    log.warn(
        "Committed {} event(s) of '{}' but could not publish them; the relay will",
        events.size(),
        shown(events.get(0).sourceId()),
        failure);
  }

  /**
   * Marks the events published without waiting for the store: a mark that is late or lost only
   * makes the relay publish them again, which consumers tolerate, so no save waits a round trip for
   * it.
   */
  private void markPublished(List<VersionedEvent> events) {
    if (store instanceof RelayStore relayStore) {
      VersionedEvent first = events.get(0);
      CompletionStage<Void> marked;
      try {
        marked =
            relayStore.markPublishedAsync(
                first.sourceId(), first.version(), events.get(events.size() - 1).version());
      } catch (RuntimeException e) {
        notMarked(first, e);
        return;
      }
      // Exactly a CompletableFuture: a minimal stage (completedStage, minimalCompletionStage)
      // is a subclass whose isDone() throws.
      if (marked instanceof CompletableFuture<Void> future
          && future.getClass() == CompletableFuture.class
          && future.isDone()
          && !future.isCompletedExceptionally()) {
        // Marked on this thread (RelayStore's default, the in-memory store): no callback to
        // register, so the stage does not escape and the JIT need not allocate it.
        return;
      }
      try {
        marked.whenComplete(
            (ignored, failure) -> {
              if (failure != null) {
                notMarked(first, failure);
              }
            });
      } catch (RuntimeException e) { // a null stage, or one that refuses callbacks
        notMarked(first, e);
      }
    }
  }

  private static void notMarked(VersionedEvent first, Throwable failure) {
    log.debug(
        "Could not mark events of '{}' published; the relay may send them again",
        shown(first.sourceId()),
        failure);
  }

  /**
   * Rebuilds an aggregate from its latest usable snapshot and the events after it.
   *
   * @param factory makes an empty aggregate with the given id, e.g. {@code Account::new}
   * @throws AggregateNotFoundException if the stream has no events
   * @throws AggregateTypeMismatchException if the stream belongs to another type of aggregate than
   *     the one {@code factory} makes
   */
  public <A extends EventSourceBased> A get(String id, Function<String, A> factory) {
    A aggregate = findOrNull(id, factory);
    if (aggregate == null) {
      throw new AggregateNotFoundException(id);
    }
    return aggregate;
  }

  /**
   * Like {@link #get}, but empty where the stream has no events.
   *
   * @throws AggregateTypeMismatchException if the stream belongs to another type of aggregate than
   *     the one {@code factory} makes: the type its first save recorded, or that of its snapshot
   */
  public <A extends EventSourceBased> Optional<A> find(String id, Function<String, A> factory) {
    return Optional.ofNullable(findOrNull(id, factory));
  }

  /** {@link #find} without the {@code Optional}, which {@link #get} would only unwrap. */
  private <A extends EventSourceBased> A findOrNull(String id, Function<String, A> factory) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(factory, "factory");
    A aggregate = create(id, factory);
    String type = TypeRegistry.logicalName(aggregate.getClass());
    if (interceptors.length == 0) {
      return load(id, factory, aggregate, type, null);
    }
    Load<A> call = new Load<>(id, type, factory, aggregate);
    call.run();
    return call.loaded;
  }

  /**
   * A load through the aggregate interceptors: the chain, its terminal and what it loaded in one
   * object.
   */
  private final class Load<A extends EventSourceBased> extends AggregateChain {
    private final Function<String, A> factory;
    private final A aggregate;
    private A loaded; // null: the stream has no events

    Load(String id, String type, Function<String, A> factory, A aggregate) {
      super(interceptors, AggregateCall.Kind.LOAD, id, type, null, List.of());
      this.factory = factory;
      this.aggregate = aggregate;
    }

    @Override
    protected void perform() {
      loaded = load(aggregateId(), factory, aggregate, aggregateType(), this);
    }
  }

  /** The aggregate loaded into {@code aggregate} (or a fresh one), or null if it has no events. */
  private <A extends EventSourceBased> A load(
      String id, Function<String, A> factory, A aggregate, String type, AggregateChain call) {
    AggregateCache.Entry entry = cache == null ? null : cachedEntry(id, type, aggregate.getClass());
    boolean cached = entry != null && restoreCached(entry, aggregate);
    if (entry != null && !cached) {
      aggregate = create(id, factory); // what a half-read entry set is not kept
    }
    if (!cached && !(snapshotPolicy instanceof SnapshotPolicy.Never)) {
      aggregate = restoreSnapshot(aggregate, id, type, factory);
    }
    if (cached && !entry.contended() && aggregate.version() > 0 && CommandLookups.mayDeferCheck()) {
      // A command handler's load, checked by its save's commit or before its outcome counts.
      CommandLookups.loadedFromCache(this, id, aggregate.version(), entry.tick(), true);
      if (call != null) {
        call.fromCache(true);
        call.events(List.of());
        call.found(true);
      }
      return aggregate;
    }
    // A cached aggregate stands at a version its stream reached after a commit: the store need
    // only say whether anything came after it (one read on Couchbase).
    EventStream stream =
        cached && aggregate.version() > 0
            ? store.loadStreamAfter(id, aggregate.version())
            : store.loadStream(id, aggregate.version() + 1);
    if (stream.aggregateType() != null && !stream.aggregateType().equals(type)) {
      throw new AggregateTypeMismatchException(id, stream.aggregateType(), type);
    }
    List<VersionedEvent> events = stream.events();
    if (call != null) {
      call.fromCache(cached);
      call.events(events);
      call.found(!events.isEmpty() || aggregate.version() > 0);
    }
    if (events.isEmpty() && aggregate.version() == 0) {
      return null;
    }
    if (cached && events.isEmpty()) {
      CommandLookups.loadedFromCache(this, id, aggregate.version(), entry.tick(), false);
      if (entry.contended()) {
        cache.quietLook(entry); // nobody wrote since: after a few such, loads may defer again
      }
    }
    long replayedFrom = aggregate.version();
    aggregate.replayAll(events);
    if (!cached) {
      if (!events.isEmpty()
          && snapshotPolicy.shouldSnapshot(aggregate, replayedFrom, aggregate.version())) {
        snapshotOnLoad(aggregate);
      }
      remember(aggregate, type, Remembered.READ);
    } else if (!events.isEmpty()) {
      remember(aggregate, type, Remembered.CAUGHT_UP);
    }
    return aggregate;
  }

  /**
   * Checks a load from the cache left unchecked ({@link CommandLookups}): whether the stream has
   * anything after {@code version}.
   *
   * @throws ConcurrencyException if it has: the cache's entry is kept, marked contended, so that
   *     the next load reads what came after it at once
   */
  void checkCached(String id, long version) {
    if (!store.loadStreamAfter(id, version).events().isEmpty()) {
      cache.contended(id); // the retry's load reads what came after it
      throw new ConcurrencyException(id, version, -1);
    }
  }

  /**
   * A save found the stream at {@code actual}, behind the version {@code loaded} it loaded the
   * aggregate at: that state was never the stream's (a snapshot written above its end, or commits
   * lost after they were acknowledged). Drops the cached entry and discards the stream's snapshot
   * if it is above the stream's end, so that every process's next load replays what the stream
   * holds and the retry of the save can succeed; a store that cannot discard it leaves the stream
   * stuck, as the error says.
   */
  private void behindLoaded(String id, String type, long loaded, long actual) {
    if (cache != null) {
      cache.invalidate(id);
    }
    boolean discarded;
    try {
      discarded = store.discardSnapshot(id, actual);
    } catch (RuntimeException e) {
      log.error("Snapshot of '{}' could not be discarded", shown(id), e);
      discarded = false;
    }
    if (discarded) {
      log.error(
          "{} '{}' was loaded at version {}, but its stream ends at version {}: its snapshot was"
              + " above the stream's end (written by hand, or of commits lost after they were"
              + " acknowledged) and is discarded; loads replay the stream",
          type,
          shown(id),
          loaded,
          actual);
    } else {
      log.error(
          "{} '{}' was loaded at version {}, but its stream ends at version {}: a snapshot or"
              + " cached state above the stream's end, or commits lost after they were"
              + " acknowledged. If its snapshot is above the stream's end and stays, every save"
              + " of it conflicts until the snapshot is removed",
          type,
          shown(id),
          loaded,
          actual);
    }
  }

  /**
   * The cached state of the aggregate, or {@code null} if the cache does not hold it as {@code
   * type}. An entry of another type is a miss, not a mismatch: the stream's recorded type (or its
   * snapshot's) decides, as it does without a cache, so that a load answers the same whether or not
   * this process holds an entry (a stream created with no type recorded loads as any class). An
   * entry of a class found uncacheable since it was made is dropped: saves no longer update it, so
   * serving it would replay everything committed after it, never from a snapshot.
   */
  private AggregateCache.Entry cachedEntry(String id, String type, Class<?> aggregateClass) {
    AggregateCache.Entry entry = cache.get(id);
    if (entry == null || !entry.aggregateType().equals(type)) {
      return null;
    }
    if (!uncacheable.isEmpty() && uncacheable.contains(aggregateClass)) {
      cache.invalidate(id);
      return null;
    }
    return entry;
  }

  /**
   * Restores {@code aggregate} from a cached entry.
   *
   * @return whether it could; if not, the entry is dropped, its class is not cached again, and
   *     {@code aggregate} may be half restored
   */
  private boolean restoreCached(AggregateCache.Entry entry, EventSourceBased aggregate) {
    try {
      snapshots().read(entry, aggregate);
      return true;
    } catch (Exception e) {
      uncacheable.add(aggregate.getClass()); // it would fail again for every aggregate of the class
      cache.invalidate(entry.aggregateId());
      log.warn(
          "Cached state of {} '{}' cannot be read back, so {} is not cached; loads read its stream",
          entry.aggregateType(),
          shown(entry.aggregateId()),
          entry.aggregateType(),
          e);
      return false;
    }
  }

  /** How the state being cached was come by. */
  private enum Remembered {
    /** Read from the stream, with no entry before it. */
    READ,
    /** Read from an entry and the commits of another writer after it: contended. */
    CAUGHT_UP,
    /** Committed by this process: as contended as the entry before it. */
    SAVED
  }

  /** Puts the aggregate's committed state in the cache, if there is one and it can hold it. */
  private void remember(EventSourceBased aggregate, String type, Remembered how) {
    if (cache == null || uncacheable.contains(aggregate.getClass())) {
      return;
    }
    try {
      AggregateCache.Entry entry = snapshots().cacheEntry(aggregate, type);
      switch (how) {
        case READ -> cache.put(entry);
        case CAUGHT_UP -> cache.put(entry.withContention(AggregateCache.QUIET_LOOKS));
        case SAVED -> cache.putSaved(entry);
      }
    } catch (RuntimeException e) {
      uncacheable.add(aggregate.getClass());
      cache.invalidate(aggregate.id());
      log.warn(
          "{} cannot be serialized as a snapshot, so it is not cached; loads read its stream",
          type,
          e);
    }
  }

  /**
   * Longest aggregate id a log line shows in full: ids come from commands, and input can be huge.
   */
  static final int MAX_SHOWN_ID = 200;

  /**
   * {@code id} as a log line shows it: cut to {@link #MAX_SHOWN_ID} characters, saying so, and
   * {@linkplain Texts#printable printable}, so that a forged id cannot forge log lines.
   */
  static String shown(String id) {
    return Texts.printable(Texts.cut(id, MAX_SHOWN_ID));
  }

  private <A extends EventSourceBased> A restoreSnapshot(
      A aggregate, String id, String type, Function<String, A> factory) {
    Optional<Snapshot> snapshot;
    try {
      snapshot = store.loadSnapshot(id);
    } catch (RuntimeException e) {
      // An IllegalArgumentException is an argument the store refuses, most often the id itself
      // (too long, blank), which its replay refuses next: its reason, without a trace for each.
      Throwable trace = e instanceof IllegalArgumentException ? null : e;
      log.warn(
          "Snapshot of '{}' could not be read ({}); replaying its stream",
          shown(id),
          e.toString(),
          trace);
      return aggregate;
    }
    if (snapshot.isEmpty()) {
      return aggregate;
    }
    if (!snapshot.get().aggregateType().equals(type)) {
      // Taken of the aggregate that owns the stream, so the stream is of that type too; this
      // also catches streams written before their type was recorded.
      throw new AggregateTypeMismatchException(id, snapshot.get().aggregateType(), type);
    }
    if (!snapshots().matches(snapshot.get(), aggregate.getClass(), type)) {
      log.info("Snapshot of '{}' was taken of another shape of {}; replaying", shown(id), type);
      return aggregate;
    }
    try {
      snapshots().read(snapshot.get(), aggregate);
      return aggregate;
    } catch (Exception e) {
      log.warn("Snapshot of '{}' is unreadable; replaying its stream", shown(id), e);
      return create(id, factory);
    }
  }

  private static <A extends EventSourceBased> A create(String id, Function<String, A> factory) {
    A aggregate = Objects.requireNonNull(factory.apply(id), "factory returned null");
    if (!aggregate.id().equals(id)) {
      throw new IllegalStateException(
          "factory made aggregate '" + aggregate.id() + "' when asked for '" + id + "'");
    }
    if (aggregate.version() != 0 || !aggregate.pendingEvents().isEmpty()) {
      throw new IllegalStateException(
          "factory must return an empty aggregate; got " + aggregate + " with pending events");
    }
    return aggregate;
  }

  /** Builds an {@link EventSourcingRepository}. */
  public static final class Builder {
    private final EventStreamRepository store;
    private final TypeRegistry registry;
    private EventBus publisher;
    private boolean publishAsynchronously;
    private EventSerializer serializer;
    private SnapshotPolicy snapshotPolicy = SnapshotPolicy.whenSuggested();
    private AggregateCache cache;
    private Interceptors interceptors = Interceptors.none();

    private Builder(EventStreamRepository store, TypeRegistry registry) {
      this.store = Objects.requireNonNull(store, "store");
      this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** Publishes committed events on this bus (none by default). */
    public Builder publisher(EventBus publisher) {
      this.publisher = Objects.requireNonNull(publisher, "publisher");
      return this;
    }

    /**
     * Whether {@code save} returns as soon as the events are committed, leaving the bus to confirm
     * them in the background ({@link EventBus#publishAsync}), instead of waiting for the bus
     * (default {@code false}). A command handler then no longer waits a broker round trip per save,
     * and events are marked published when the bus has confirmed them. Nothing is lost either way,
     * provided an {@link EventRelay} runs: events a crash or a broker outage kept from the bus stay
     * unmarked and the relay publishes them. What changes is the order of effects: a caller may see
     * {@code save} return, and answer its client, before subscribers could have seen the events.
     */
    public Builder publishAsynchronously(boolean publishAsynchronously) {
      this.publishAsynchronously = publishAsynchronously;
      return this;
    }

    /** The serializer snapshots are written with (default: one on the registry). */
    public Builder serializer(EventSerializer serializer) {
      this.serializer = Objects.requireNonNull(serializer, "serializer");
      return this;
    }

    /** When to snapshot (default: {@link SnapshotPolicy#whenSuggested()}). */
    public Builder snapshotPolicy(SnapshotPolicy snapshotPolicy) {
      this.snapshotPolicy = Objects.requireNonNull(snapshotPolicy, "snapshotPolicy");
      return this;
    }

    /**
     * Keeps the latest committed state of loaded and saved aggregates in {@code cache} (none by
     * default), so that loading one costs a read of the events after it rather than of its stream
     * (see {@link AggregateCache}). A cache belongs to one repository.
     */
    public Builder cache(AggregateCache cache) {
      this.cache = Objects.requireNonNull(cache, "cache");
      return this;
    }

    /**
     * Runs the {@link AggregateInterceptor}s among {@code interceptors} around every load and save
     * (none by default).
     */
    public Builder interceptors(Interceptors interceptors) {
      this.interceptors = Objects.requireNonNull(interceptors, "interceptors");
      return this;
    }

    public EventSourcingRepository build() {
      return new EventSourcingRepository(this);
    }
  }
}
