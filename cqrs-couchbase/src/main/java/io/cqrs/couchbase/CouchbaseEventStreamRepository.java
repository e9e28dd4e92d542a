package io.cqrs.couchbase;

import com.couchbase.client.core.msg.kv.DurabilityLevel;
import com.couchbase.client.java.Bucket;
import com.couchbase.client.java.Collection;
import io.cqrs.AggregateTypeMismatchException;
import io.cqrs.ClaimLostException;
import io.cqrs.ConcurrencyException;
import io.cqrs.DuplicateCommandException;
import io.cqrs.EventSerializer;
import io.cqrs.SerializationException;
import io.cqrs.TransientCqrsException;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.DurationSettings;
import io.cqrs.spi.EventStream;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.RelayStore;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.SegmentState;
import io.cqrs.spi.SerializingPart;
import io.cqrs.spi.Snapshot;
import io.cqrs.spi.StreamAppend;
import io.cqrs.spi.StreamPreconditions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * An {@link EventStreamRepository} on Couchbase, using key-value operations only (insert, get,
 * replace with CAS, counters, sub-document), so that it runs against any Couchbase cluster without
 * a query service, and against CouchbaseMock.
 *
 * <p>Each {@link #save} stores all of its events in one commit document, inserted under a sequence
 * taken from a global counter (which orders the integration log), and commits it by inserting a
 * claim on the stream's next version: two writers of the same version cannot both insert it, and a
 * batch is never half-written. A stream head lists each commit's sequence so that a load reads the
 * head and then all commits in parallel. A writer that dies between storing its commit and claiming
 * the version leaves no blocked stream: the next reader of the log completes the commit. The
 * layout, what is atomic and what is not, and how to size a bucket are in {@code
 * docs/couchbase.md}.
 *
 * <p>Every key starts with the {@linkplain Builder#keyPrefix key prefix}, so several applications
 * can share a bucket. SDK failures are mapped at this boundary: timeouts and a busy or unreachable
 * server to {@link TransientCqrsException} (a timed-out save may or may not have been committed),
 * anything else to {@link io.cqrs.NonTransientCqrsException}, a document that is not in the
 * expected layout to {@link SerializationException} naming the stream and key; the SDK exception is
 * kept as the cause.
 *
 * <p>It is also a {@link RelayStore} for {@link io.cqrs.EventRelay}: publication marks live in the
 * claims of the commits ({@code docs/couchbase-relay.md}); the relay's lease and checkpoint are a
 * processor's claim, below.
 *
 * <p>It is also the {@link ProcessorStore} of {@link io.cqrs.EventProcessor}s tracking its log: one
 * document per processor fixing its segment count, one per segment holding its checkpoint and
 * claim, one per processor listing its live members, each changed only by insert or CAS replace
 * ("Event processors" in {@code docs/couchbase.md}).
 *
 * <p>Thread-safe. Closes the cluster only if it opened it ({@link #builder(String,
 * EventSerializer)}).
 */
public final class CouchbaseEventStreamRepository
    implements EventStreamRepository, RelayStore, ProcessorStore, SerializingPart, AutoCloseable {
  /** The key prefix used unless {@link Builder#keyPrefix} sets one. */
  public static final String DEFAULT_KEY_PREFIX = "cqrs";

  /**
   * Couchbase's limit on a document's size, and the default for {@link Builder#maxDocumentBytes}.
   */
  public static final int MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;

  /** The default {@linkplain Builder#headWindow head window}, in versions. */
  public static final int DEFAULT_HEAD_WINDOW = 128;

  /** The largest {@linkplain Builder#headWindow head window}, in versions. */
  public static final int MAX_HEAD_WINDOW = 65_536;

  /**
   * How long {@link #close()} waits for head updates still in flight: the SDK's default KV timeout.
   * A head that is not moved only costs readers a claim read until the next save repairs it.
   */
  static final Duration CLOSE_WAIT = Duration.ofMillis(2500);

  private final ConnectedCluster owned;
  private final KeyLayout keys;
  private final DocumentCodec codec;
  private final int maxDocumentBytes;
  private final EventSerializer serializer;
  private final StreamReader reader;
  private final StreamWriter writer;
  private final LogWriter logWriter;
  private final LogReader logReader;
  private final SnapshotStore snapshots;
  private final RelayDocuments relay;
  private final ProcessorDocuments processors;
  private final InFlight inFlight;
  private final OwedMarks owed = new OwedMarks();

  private CouchbaseEventStreamRepository(
      Builder builder, Collection collection, ConnectedCluster owned) {
    this.owned = owned;
    this.keys = builder.keys;
    this.codec = new DocumentCodec(builder.serializer);
    this.serializer = builder.serializer;
    this.maxDocumentBytes = builder.maxDocumentBytes;
    Kv kv = new Kv(collection, builder.loadConcurrency, builder.durability);
    this.reader = new StreamReader(kv, keys, codec);
    CorrelationIndex index = new CorrelationIndex(kv, keys);
    RecentCommits recent = new RecentCommits();
    this.inFlight = new InFlight();
    this.logWriter = new LogWriter(kv, keys, codec, index);
    HeadArchive archive = new HeadArchive(kv, keys, codec, builder.headWindow, builder.archiveHook);
    CommitResolver resolver = new CommitResolver(kv, keys, codec, index);
    this.writer =
        new StreamWriter(
            kv,
            keys,
            codec,
            reader,
            logWriter,
            recent,
            archive,
            builder.saveHook,
            inFlight,
            resolver);
    this.logReader = new LogReader(kv, keys, codec, resolver, owed, builder.gapGracePeriod);
    this.snapshots = new SnapshotStore(kv, keys, codec, maxDocumentBytes);
    this.relay =
        new RelayDocuments(
            kv,
            new RelayKv(collection, builder.durability),
            keys,
            reader,
            recent,
            resolver,
            inFlight,
            owed,
            codec);
    this.processors = new ProcessorDocuments(kv, keys, codec);
  }

  /**
   * Waits until a bucket of a cluster the caller connected is ready, failing as a repository that
   * connects itself does: with what the server answered, which the SDK keeps inside its timeout (a
   * bucket that is missing or that the user may not open: a {@link
   * io.cqrs.NonTransientCqrsException}, as soon as the server has refused the bucket for a third of
   * {@code timeout} in a row, at least 10 s), or as a {@link TransientCqrsException} when nothing
   * answered (a cluster down, starting or unreachable).
   *
   * @return {@code bucket}, ready
   */
  public static Bucket awaitReady(Bucket bucket, Duration timeout) {
    Objects.requireNonNull(bucket, "bucket");
    Objects.requireNonNull(timeout, "timeout");
    ConnectedCluster.await(
        bucket,
        timeout,
        (waited, e) -> ConnectedCluster.notReady(bucket.name(), null, null, waited, timeout, e));
    return bucket;
  }

  /**
   * A builder for a repository on a collection the caller owns and closes.
   *
   * @param collection where the documents go, e.g. {@code
   *     cluster.bucket("app").defaultCollection()}
   * @param serializer reads and writes event envelopes; its registry is the allow-list of types
   */
  public static Builder builder(Collection collection, EventSerializer serializer) {
    return new Builder(
        Objects.requireNonNull(collection, "collection"),
        null,
        Objects.requireNonNull(serializer, "serializer"));
  }

  /**
   * A builder for a repository that connects to a cluster itself and disconnects on {@link
   * #close()}. {@link Builder#credentials} and {@link Builder#bucket} are required; {@link
   * Builder#build()} says which is missing.
   *
   * @param connectionString e.g. {@code couchbase://db1,db2}
   * @param serializer reads and writes event envelopes; its registry is the allow-list of types
   */
  public static Builder builder(String connectionString, EventSerializer serializer) {
    return new Builder(
        null,
        Objects.requireNonNull(connectionString, "connectionString"),
        Objects.requireNonNull(serializer, "serializer"));
  }

  /** The prefix of every key this repository reads and writes. */
  public String keyPrefix() {
    return keys.prefix();
  }

  /**
   * @throws IllegalArgumentException also if the stream id does not fit in a key, or the batch is
   *     larger than a document may be; nothing was written
   * @throws ConcurrencyException if another save took the version first; nothing was written
   * @throws DuplicateCommandException if a commit of the stream is the effect of the same command;
   *     nothing was written
   * @throws AggregateTypeMismatchException if the stream was created for another aggregate type;
   *     nothing was written
   * @throws TransientCqrsException if Couchbase did not answer in time; a timeout while claiming
   *     the version leaves the outcome unknown, and a log reader may still complete the commit
   *     after a reload showed the old version: retry the save at the same expected version, which
   *     either commits once or conflicts because it was committed
   */
  @Override
  public void save(StreamAppend append) {
    save(append, false);
  }

  /**
   * Here: when this repository has the stream's head standing at the expected version (its own last
   * update of it), the save takes a log sequence without reading the head, and moves the head with
   * the CAS it remembers: one KV operation less per command, the round trips unchanged. Else it
   * saves as {@link #save(StreamAppend)} does. See {@code docs/couchbase.md}, "Saves a command has
   * checked".
   */
  @Override
  public void saveChecked(StreamAppend append) {
    save(append, true);
  }

  private void save(StreamAppend append, boolean checked) {
    Objects.requireNonNull(append, "append");
    String streamId = keys.checkStreamId(append.streamId());
    List<VersionedEvent> events = append.events();
    if (events.size() > LogReader.POSITIONS_PER_SEQUENCE) {
      throw new IllegalArgumentException(
          "Batch of "
              + events.size()
              + " events for stream '"
              + KeyLayout.shown(streamId)
              + "' is larger than the "
              + LogReader.POSITIONS_PER_SEQUENCE
              + " events one commit may hold");
    }
    String command = append.commandId() == null ? null : KeyLayout.commandHash(append.commandId());
    String type = append.expectedVersion() == 0 ? append.aggregateType() : null;
    byte[] commit = codec.commit(streamId, events, command, type);
    checkSize(commit, "Batch of " + events.size() + " events for stream", streamId);
    if (checked) {
      writer.saveChecked(append, commit, command);
    } else {
      writer.save(append, commit, command);
    }
  }

  /**
   * The type comes from the same read of the stream's head as the events' commits: it costs no
   * extra request.
   */
  @Override
  public EventStream loadStream(String streamId, long fromVersion) {
    keys.checkStreamId(streamId);
    StreamPreconditions.checkFromVersion(streamId, fromVersion);
    return reader.load(streamId, fromVersion);
  }

  /**
   * One read of the head, then in parallel the commit documents the page needs (and, from early in
   * a long stream, the head's pages of archived commits a window of 16 at a time from the one
   * holding {@code fromVersion}); the claims past a lagging head are followed only as far as the
   * page reaches.
   */
  @Override
  public EventStream loadStream(String streamId, long fromVersion, int maxEvents) {
    keys.checkStreamId(streamId);
    StreamPreconditions.checkLoadRange(streamId, fromVersion, maxEvents);
    return reader.load(streamId, fromVersion, maxEvents);
  }

  /**
   * One existence probe ({@code exists}, a metadata read) of the claim that would start the commit
   * after {@code readVersion}, when nothing was committed since; a {@linkplain #loadStream load}
   * from there otherwise.
   */
  @Override
  public EventStream loadStreamAfter(String streamId, long readVersion) {
    keys.checkStreamId(streamId);
    if (readVersion < 1) {
      throw new IllegalArgumentException("readVersion must be at least 1, was " + readVersion);
    }
    return reader.loadAfter(streamId, readVersion);
  }

  @Override
  public long version(String streamId) {
    return reader.version(keys.checkStreamId(streamId));
  }

  @Override
  public void saveSnapshot(Snapshot snapshot) {
    Objects.requireNonNull(snapshot, "snapshot");
    keys.checkStreamId(snapshot.streamId());
    snapshots.save(snapshot);
  }

  /** A snapshot document that cannot be read is logged and treated as absent. */
  @Override
  public Optional<Snapshot> loadSnapshot(String streamId) {
    return snapshots.load(keys.checkStreamId(streamId));
  }

  /** A get, then a remove with its CAS: a snapshot written since stays. */
  @Override
  public boolean discardSnapshot(String streamId, long aboveVersion) {
    return snapshots.discard(keys.checkStreamId(streamId), aboveVersion);
  }

  /**
   * A position whose write is still in flight holds back the events after it. If it is the first
   * position asked for, this call waits for it, at most the {@linkplain Builder#gapGracePeriod gap
   * grace period}, and then skips it for good.
   */
  @Override
  public List<LoggedEvent> readLog(long fromPosition, int maxEvents) {
    StreamPreconditions.checkLogRead(fromPosition, maxEvents);
    return logReader.read(fromPosition, maxEvents);
  }

  /**
   * Here the resolved commits of the last 1,024 log sequences, including those this repository has
   * just committed, are answered from memory without reading their claims again, and readers
   * polling at the same time share one read of the log's end; an event processor's poll of a log
   * that has not moved costs one counter read among all of them.
   */
  @Override
  public List<LoggedEvent> readLogEvents(long fromPosition, int maxEvents) {
    StreamPreconditions.checkLogRead(fromPosition, maxEvents);
    return logReader.read(fromPosition, maxEvents, false);
  }

  /**
   * Here positions skip numbers: an event's position is {@code (seq - 1) * 2^20 + index + 1} for
   * the {@code index}-th event of the commit at log sequence {@code seq} (see {@code
   * docs/couchbase.md}), so a difference of positions counts commits in its upper bits, not events.
   * Costs one counter read and one document read per sequence looked at from the top.
   */
  @Override
  public long logHead() {
    return logReader.head();
  }

  /**
   * Here it counts log sequences, since positions skip numbers between them: the sequences past the
   * one {@code fromPosition} is in, up to {@code toPosition}'s, and 1 where both are in one commit.
   * Each commit takes one, and so does each save a conflict refused (a sequence given back leaves a
   * gap), so on a stream that conflicts a lot the count runs ahead of the commits. A position
   * inside a commit counts that commit as done, so the count may be one short while a reader is
   * part-way through a commit. Exact counts would need the log read.
   */
  @Override
  public long logDistance(long fromPosition, long toPosition) {
    return LogReader.commitsBetween(fromPosition, toPosition);
  }

  @Override
  public void recordIntegrationEvent(VersionedEvent event) {
    Objects.requireNonNull(event, "event");
    byte[] document = codec.integration(event);
    checkSize(document, "Integration event " + event.id() + " of", event.sourceId());
    logWriter.store(document, List.of(event), "integration event " + event.id());
  }

  @Override
  public List<VersionedEvent> eventsByCorrelationId(String correlationId) {
    Objects.requireNonNull(correlationId, "correlationId");
    return logReader.byCorrelationId(correlationId);
  }

  /**
   * Reads the correlation's index and only the commits it lists with this cause: one operation when
   * the command caused nothing (an {@code exists} for a command whose id is its correlation id),
   * whatever the number of commits in the correlation. Commits indexed before causes were recorded
   * are read to find out.
   */
  @Override
  public List<VersionedEvent> eventsCausedBy(String correlationId, String causationId) {
    Objects.requireNonNull(correlationId, "correlationId");
    Objects.requireNonNull(causationId, "causationId");
    return logReader.byCause(correlationId, causationId);
  }

  /**
   * Costs one round trip when {@code fromVersion} starts a commit (as after each save); a range
   * starting inside a commit first reads the stream's head.
   */
  @Override
  public void markPublished(String streamId, long fromVersion, long toVersion) {
    relay.markPublished(streamId, fromVersion, toVersion);
  }

  /**
   * A range this repository has just saved as one commit (what {@link
   * io.cqrs.EventSourcingRepository} marks after each publish) is sent as one sub-document add and
   * not waited for; {@link #close()} waits for marks in flight. Any other range is marked as {@link
   * #markPublished} does, on the caller's thread.
   */
  @Override
  public CompletionStage<Void> markPublishedAsync(
      String streamId, long fromVersion, long toVersion) {
    return relay.markPublishedAsync(streamId, fromVersion, toVersion);
  }

  /** One get and, on first use, one insert; free once this repository has read the count. */
  @Override
  public int segmentCount(String processor, int segments) {
    return processors.segmentCount(processor, segments);
  }

  /**
   * Two round trips (a get, then an insert or a CAS replace), more only after a lost race. The
   * claim's end is kept to the millisecond, rounded down.
   */
  @Override
  public Optional<SegmentClaim> claim(
      String processor, int segment, String owner, Instant now, Duration ttl) {
    long askedAt = owed.now();
    Optional<SegmentClaim> got = processors.claim(processor, segment, owner, now, ttl);
    relay.claimed(processor, ttl, got, askedAt);
    return got;
  }

  /**
   * Two round trips (a get, then a CAS replace), more only after a lost race. A relay whose
   * checkpoint passes commits this process owes marks for first records the run it passed (two
   * round trips more), so that the checkpoint never stands past commits only this process's memory
   * knows to be published; if that record cannot be written, nothing is saved and a {@link
   * io.cqrs.TransientCqrsException} says so.
   */
  @Override
  public void saveCheckpoint(SegmentClaim claim, long position, Instant now) {
    relay.beforeCheckpoint(claim.processor(), claim.token(), position);
    try {
      processors.saveCheckpoint(claim, position, now);
    } catch (ClaimLostException e) {
      relay.lost(claim.processor());
      throw e;
    }
    relay.checkpointSaved(claim.processor(), position);
  }

  /** Two round trips (a get, then a CAS replace). */
  @Override
  public void release(SegmentClaim claim) {
    relay.lost(claim.processor());
    processors.release(claim);
  }

  /** One parallel fan-out of gets, one per segment. */
  @Override
  public List<SegmentState> segments(String processor) {
    return processors.segments(processor);
  }

  /**
   * Claims every segment for the reset first (four round trips per segment in all), so a processor
   * starting meanwhile finds them taken; if a segment is claimed, the segments already taken are
   * given back unchanged.
   */
  @Override
  public void reset(String processor, long position, Instant now) {
    processors.reset(processor, position, now);
  }

  /** Two round trips (a get, then an insert or a CAS replace). */
  @Override
  public List<String> heartbeat(String processor, String owner, Instant now, Duration ttl) {
    return processors.heartbeat(processor, owner, now, ttl);
  }

  @Override
  public void leave(String processor, String owner) {
    processors.leave(processor, owner);
  }

  /** The publication marks this repository owes; for tests. */
  OwedMarks owedMarks() {
    return owed;
  }

  /** How many writes sent without waiting are in flight now; for tests. */
  int backgroundWrites() {
    return inFlight.count();
  }

  /** Waits until the head updates and marks sent without waiting are done; for tests. */
  void awaitBackgroundWrites() throws InterruptedException {
    inFlight.await(CLOSE_WAIT);
  }

  /**
   * Waits for the head updates and publication marks sent without waiting (at most {@link
   * #CLOSE_WAIT} in all), then disconnects from the cluster if this repository connected to it.
   * Idempotent.
   */
  @Override
  public void close() {
    relay.close();
    try {
      inFlight.await(CLOSE_WAIT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (owned != null) {
      owned.close();
    }
  }

  /** The serializer it writes and reads with (see {@link SerializingPart}). */
  @Override
  public Optional<EventSerializer> serializer() {
    return Optional.of(serializer);
  }

  /**
   * Refuses a document over {@code maxDocumentBytes} with a {@link SerializationException}: a
   * failure of what could be written, not of the caller's arguments, so that a command whose effect
   * is too large is recorded as a retryable failure and dead-lettered by its bus, for a replay once
   * the limit or the event is changed, instead of counting as a rejection by the domain.
   */
  private void checkSize(byte[] document, String what, String streamId) {
    if (document.length > maxDocumentBytes) {
      throw new SerializationException(
          what
              + " '"
              + KeyLayout.shown(streamId)
              + "' is "
              + document.length
              + " bytes as JSON, more than the "
              + maxDocumentBytes
              + " bytes a document may hold; nothing was written");
    }
  }

  /**
   * Builds a {@link CouchbaseEventStreamRepository}. Every setting is optional; each is validated
   * when set, with a message naming it.
   */
  public static final class Builder {
    private final Collection collection;
    private final String connectionString;
    private final EventSerializer serializer;
    private String username;
    private String password;
    private String bucketName;
    private KeyLayout keys = new KeyLayout(DEFAULT_KEY_PREFIX);
    private String scopeName;
    private String collectionName;
    private Duration gapGracePeriod = Duration.ofSeconds(3);
    private int maxDocumentBytes = MAX_DOCUMENT_BYTES;
    private int loadConcurrency = 32;
    private int headWindow = DEFAULT_HEAD_WINDOW;
    private Duration connectTimeout = Duration.ofSeconds(30);
    private DurabilityLevel durability = DurabilityLevel.NONE;
    private StreamWriter.Hook saveHook = StreamWriter.Hook.NONE;
    private HeadArchive.Hook archiveHook = HeadArchive.Hook.NONE;

    private Builder(Collection collection, String connectionString, EventSerializer serializer) {
      this.collection = collection;
      this.connectionString = connectionString;
      this.serializer = serializer;
    }

    /**
     * The user to connect as, with read and write access to the bucket, and its password (never
     * logged). Required, and only for a repository that connects itself.
     */
    public Builder credentials(String username, String password) {
      requireConnecting("credentials(username, password)");
      this.username = Objects.requireNonNull(username, "username");
      this.password = Objects.requireNonNull(password, "password");
      return this;
    }

    /**
     * The bucket; its default collection is used unless {@link #collection(String, String)} names
     * another. Required, and only for a repository that connects itself.
     */
    public Builder bucket(String bucketName) {
      requireConnecting("bucket(name)");
      Objects.requireNonNull(bucketName, "bucketName");
      if (bucketName.isBlank()) {
        throw new IllegalArgumentException("bucketName must not be blank");
      }
      this.bucketName = bucketName;
      return this;
    }

    private void requireConnecting(String setting) {
      if (connectionString == null) {
        throw new IllegalStateException(
            setting
                + " applies only when the repository connects itself;"
                + " the Collection passed to builder(Collection, EventSerializer) is connected");
      }
    }

    /**
     * The prefix of every key (default {@value #DEFAULT_KEY_PREFIX}): 1 to 64 characters of {@code
     * [A-Za-z0-9_.-]}. Applications sharing a bucket must use different prefixes. The longer the
     * prefix, the shorter stream ids may be (keys are at most 250 bytes).
     */
    public Builder keyPrefix(String keyPrefix) {
      this.keys = new KeyLayout(keyPrefix);
      return this;
    }

    /**
     * The scope and collection to use instead of the bucket's default collection. Only for a
     * repository that connects itself; otherwise pass the collection you want to {@link
     * #builder(Collection, EventSerializer)}.
     */
    public Builder collection(String scopeName, String collectionName) {
      if (connectionString == null) {
        throw new IllegalStateException(
            "collection(scope, collection) applies only when the repository connects itself;"
                + " pass the Collection you want to builder(Collection, EventSerializer)");
      }
      this.scopeName = Objects.requireNonNull(scopeName, "scopeName");
      this.collectionName = Objects.requireNonNull(collectionName, "collectionName");
      return this;
    }

    /**
     * How long a log reader waits for a log position whose write is in flight before skipping it
     * for good (default 3 s); between 1 ms and 10 minutes. Make it longer than a write can take,
     * including the SDK's retries: a writer slower than this takes a new position and retries.
     */
    public Builder gapGracePeriod(Duration gapGracePeriod) {
      Objects.requireNonNull(gapGracePeriod, "gapGracePeriod");
      if (gapGracePeriod.compareTo(Duration.ofMillis(1)) < 0
          || gapGracePeriod.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException(
            "gapGracePeriod must be between 1 ms and 10 minutes, was " + gapGracePeriod);
      }
      this.gapGracePeriod = gapGracePeriod;
      return this;
    }

    /**
     * The largest commit or snapshot document to write, in bytes (default and maximum {@value
     * #MAX_DOCUMENT_BYTES}, Couchbase's limit; at least 1024). A larger batch is rejected before
     * anything is written.
     */
    public Builder maxDocumentBytes(int maxDocumentBytes) {
      if (maxDocumentBytes < 1024 || maxDocumentBytes > MAX_DOCUMENT_BYTES) {
        throw new IllegalArgumentException(
            "maxDocumentBytes must be between 1024 and "
                + MAX_DOCUMENT_BYTES
                + ", was "
                + maxDocumentBytes);
      }
      this.maxDocumentBytes = maxDocumentBytes;
      return this;
    }

    /**
     * How many of a stream's latest versions its head lists at least (default {@value
     * #DEFAULT_HEAD_WINDOW}; 1 to {@value #MAX_HEAD_WINDOW}). Once a head spans twice as many, the
     * commits before the last {@code versions} move to pages and their commands to buckets, so a
     * head stays under about {@code 2 · versions · 60} bytes however long the stream grows. A load
     * from a version the head still lists (a snapshot's, a cached aggregate's) reads no page; a
     * save to a stream that has pages and is made for a command reads one more document, its
     * command's bucket. Keep it above the snapshot interval. See docs/couchbase.md, "Bounded
     * heads".
     */
    public Builder headWindow(int versions) {
      if (versions < 1 || versions > MAX_HEAD_WINDOW) {
        throw new IllegalArgumentException(
            "headWindow must be between 1 and " + MAX_HEAD_WINDOW + " versions, was " + versions);
      }
      this.headWindow = versions;
      return this;
    }

    /** How many documents one load or log read fetches at once (default 32; 1 to 1024). */
    public Builder loadConcurrency(int loadConcurrency) {
      if (loadConcurrency < 1 || loadConcurrency > 1024) {
        throw new IllegalArgumentException(
            "loadConcurrency must be between 1 and 1024, was " + loadConcurrency);
      }
      this.loadConcurrency = loadConcurrency;
      return this;
    }

    /**
     * The durability every write waits for (default {@link DurabilityLevel#NONE}: acknowledged once
     * the active node holds it in memory). With {@code MAJORITY} or stronger, a commit that {@code
     * save} reported survives the failover of its active node; without it, a failover right after a
     * save can lose that save. Needs a bucket with replicas and Couchbase Server 6.5 or later.
     */
    public Builder durability(DurabilityLevel durability) {
      this.durability = Objects.requireNonNull(durability, "durability");
      return this;
    }

    /** For tests: called between a save's writes, to stop or hold it there. */
    Builder saveHook(StreamWriter.Hook saveHook) {
      this.saveHook = Objects.requireNonNull(saveHook, "saveHook");
      return this;
    }

    /** For tests: called between an archiver's writes, to move the head there. */
    Builder archiveHook(HeadArchive.Hook archiveHook) {
      this.archiveHook = Objects.requireNonNull(archiveHook, "archiveHook");
      return this;
    }

    /**
     * How long {@link #build()} waits for the bucket when connecting itself (default 30 s, at most
     * 365 days).
     */
    public Builder connectTimeout(Duration connectTimeout) {
      // Reckoned in nanoseconds while the bucket is awaited, which a "never" overflows.
      this.connectTimeout = DurationSettings.positive("connectTimeout", connectTimeout);
      return this;
    }

    /**
     * The repository. When built from a connection string this connects and waits until the bucket
     * is ready.
     *
     * @throws IllegalStateException if a repository that connects itself lacks its credentials or
     *     bucket
     * @throws TransientCqrsException if the cluster could not be reached in time
     */
    public CouchbaseEventStreamRepository build() {
      if (connectionString == null) {
        return new CouchbaseEventStreamRepository(this, collection, null);
      }
      if (username == null) {
        throw new IllegalStateException(
            "credentials(username, password) must be set to connect to " + connectionString);
      }
      if (bucketName == null) {
        throw new IllegalStateException(
            "bucket(name) must be set to connect to " + connectionString);
      }
      ConnectedCluster.Settings connection =
          new ConnectedCluster.Settings(connectionString, username, password, bucketName);
      ConnectedCluster cluster =
          ConnectedCluster.connect(connection, scopeName, collectionName, connectTimeout);
      return new CouchbaseEventStreamRepository(this, cluster.collection(), cluster);
    }
  }
}
