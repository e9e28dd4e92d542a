package io.cqrs.memory;

import io.cqrs.ConcurrencyException;
import io.cqrs.DuplicateCommandException;
import io.cqrs.EventSerializer;
import io.cqrs.SerializationException;
import io.cqrs.VersionedEvent;
import io.cqrs.internal.Texts;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An {@link EventStreamRepository} in memory, for tests, prototypes and single-process use
 * (andrewwebber's {@code InMemoryEventStreamRepository}).
 *
 * <p>Streams are indexed by id and locked one at a time, so writers of different streams do not
 * wait for each other; the integration log and correlation index are appended under one short lock
 * while the stream's lock is held, so the log's order agrees with every stream's order. The log is
 * read without any lock (see {@code IntegrationLog}), so a relay or a rebuild walking it never
 * holds up a commit. Events are kept as the objects given, so they should be immutable (records); a
 * store made with {@link #serializing} keeps what its serializer reads back instead, so that what
 * cannot travel fails here too. {@link #loadStream} returns an immutable view that shares the
 * stream's storage rather than a copy (see {@code AppendOnlyEvents}), so loading a long stream
 * costs no copying. Each stream remembers the ids of the commands its commits were the effect of,
 * for as long as the store lives, and the aggregate type its first save named.
 *
 * <p>It is also a {@link RelayStore} and a {@link ProcessorStore}: publication marks and event
 * processors' segment claims and checkpoints (the relay's lease among them) live here too, so the
 * relay and event processors run in memory exactly as on a real store. A stream's marks live with
 * the stream (see {@code AppendOnlyEvents}) and cost no allocation when commits are marked in
 * order, as the fast path marks them.
 */
public final class InMemoryEventStreamRepository
    implements EventStreamRepository, RelayStore, ProcessorStore, SerializingPart {
  private final Map<String, AppendOnlyEvents> streams = new ConcurrentHashMap<>();
  private final Map<String, Snapshot> snapshots = new ConcurrentHashMap<>();
  private final IntegrationLog log = new IntegrationLog();
  private final Object logLock = new Object();
  private final ProcessorTable processors = new ProcessorTable();
  private final EventSerializer serializer; // null: events are kept as given

  /**
   * The most bytes of JSON one save or integration event may take with a serializer: Couchbase's
   * limit on a document (its commit documents hold a save's events), 20 MiB. The store counts the
   * events' JSON and what a Couchbase commit document adds around them (its fields, the stream id,
   * the aggregate type, one comma per event), a little more than that, so that it refuses what
   * Couchbase would refuse.
   */
  public static final int MAX_SAVE_BYTES = 20 * 1024 * 1024;

  /** More than a Couchbase commit document's own fields take: see {@link #MAX_SAVE_BYTES}. */
  private static final int DOCUMENT_OVERHEAD = 256;

  /** A store that keeps events as the objects given. */
  public InMemoryEventStreamRepository() {
    this.serializer = null;
  }

  private InMemoryEventStreamRepository(EventSerializer serializer) {
    this.serializer = Objects.requireNonNull(serializer, "serializer");
  }

  /**
   * A store that keeps what {@code serializer} reads back of what it writes, as a store on disk or
   * a bus does: an event the serializer cannot write or read back (a type not registered, a class
   * in which Jackson finds no property, a body no creator takes) fails its save before anything is
   * stored, so that a test or a prototype in memory meets it where production would, and not only
   * once the events travel. Each event costs a serialization and a read. A save whose events take
   * more than {@link #MAX_SAVE_BYTES} as JSON with the document around them (Couchbase's limit on
   * the document that holds them) is refused too, with a {@link io.cqrs.SerializationException}, as
   * that store refuses it.
   */
  public static InMemoryEventStreamRepository serializing(EventSerializer serializer) {
    return new InMemoryEventStreamRepository(serializer);
  }

  /** The serializer it writes and reads with (see {@link SerializingPart}). */
  @Override
  public Optional<EventSerializer> serializer() {
    return Optional.ofNullable(serializer);
  }

  /**
   * The events as the store keeps them: round-tripped through the serializer, if it has one, and
   * refused over {@link #MAX_SAVE_BYTES} in all, before anything is stored.
   */
  private List<VersionedEvent> kept(
      List<VersionedEvent> events, String what, String streamId, String aggregateType) {
    if (serializer == null) {
      return events;
    }
    List<VersionedEvent> copies = new ArrayList<>(events.size());
    // What a Couchbase commit document holds besides the events: its fields and command hash (under
    // 160 bytes), the stream id and the aggregate type (as UTF-8, at most 4 bytes a char), a comma
    // between events.
    long bytes =
        DOCUMENT_OVERHEAD
            + 4L * streamId.length()
            + (aggregateType == null ? 0 : 4L * aggregateType.length())
            + Math.max(0, events.size() - 1);
    for (VersionedEvent event : events) {
      byte[] json = serializer.serialize(event);
      bytes += json.length;
      if (bytes > MAX_SAVE_BYTES) {
        throw new SerializationException(
            what
                + " '"
                + Texts.shown(streamId)
                + "' takes more than the "
                + MAX_SAVE_BYTES
                + " bytes of JSON a Couchbase document may hold ("
                + bytes
                + " bytes by its event "
                + (copies.size() + 1)
                + "); nothing was written");
      }
      copies.add(serializer.deserializeEvent(json));
    }
    return copies;
  }

  @Override
  public void save(StreamAppend append) {
    Objects.requireNonNull(append, "append");
    List<VersionedEvent> events =
        kept(
            append.events(),
            "Batch of " + append.events().size() + " events for stream",
            append.streamId(),
            append.aggregateType());
    String streamId = append.streamId();
    String commandId = append.commandId();
    AppendOnlyEvents stream = streams.get(streamId); // most saves append to a stream that exists
    if (stream == null) {
      stream = streams.computeIfAbsent(streamId, id -> new AppendOnlyEvents());
    }
    synchronized (stream) {
      // The checks and the append under the stream's lock: one atomic step.
      if (commandId != null && stream.holdsCommand(commandId)) {
        throw new DuplicateCommandException(streamId, commandId);
      }
      if (stream.size() != append.expectedVersion()) {
        throw new ConcurrencyException(streamId, append.expectedVersion(), stream.size());
      }
      if (stream.size() == 0) {
        stream.recordType(append.aggregateType());
      } else {
        append.checkType(stream.aggregateType());
      }
      stream.append(events, commandId);
      appendToLog(events, stream);
    }
  }

  @Override
  public EventStream loadStream(String streamId, long fromVersion) {
    StreamPreconditions.checkFromVersion(streamId, fromVersion);
    return slice(streamId, fromVersion, Integer.MAX_VALUE);
  }

  @Override
  public EventStream loadStream(String streamId, long fromVersion, int maxEvents) {
    StreamPreconditions.checkLoadRange(streamId, fromVersion, maxEvents);
    return slice(streamId, fromVersion, maxEvents);
  }

  private EventStream slice(String streamId, long fromVersion, int maxEvents) {
    AppendOnlyEvents stream = streams.get(streamId);
    if (stream == null) {
      return new EventStream(streamId, null, List.of());
    }
    synchronized (stream) {
      if (fromVersion > stream.size()) {
        return new EventStream(streamId, stream.aggregateType(), List.of());
      }
      // A view, not a copy: the slots it covers are never written again.
      return new EventStream(
          streamId, stream.aggregateType(), stream.view((int) fromVersion - 1, maxEvents));
    }
  }

  @Override
  public long version(String streamId) {
    StreamPreconditions.checkStreamId(streamId);
    AppendOnlyEvents stream = streams.get(streamId);
    if (stream == null) {
      return 0;
    }
    synchronized (stream) {
      return stream.size();
    }
  }

  @Override
  public void saveSnapshot(Snapshot snapshot) {
    Objects.requireNonNull(snapshot, "snapshot");
    snapshots.merge(
        snapshot.streamId(),
        snapshot,
        (old, candidate) -> candidate.version() >= old.version() ? candidate : old);
  }

  @Override
  public Optional<Snapshot> loadSnapshot(String streamId) {
    StreamPreconditions.checkStreamId(streamId);
    return Optional.ofNullable(snapshots.get(streamId));
  }

  @Override
  public boolean discardSnapshot(String streamId, long aboveVersion) {
    StreamPreconditions.checkStreamId(streamId);
    boolean[] removed = {false};
    snapshots.computeIfPresent(
        streamId,
        (id, snapshot) -> {
          removed[0] = snapshot.version() > aboveVersion;
          return removed[0] ? null : snapshot;
        });
    return removed[0];
  }

  @Override
  public List<LoggedEvent> readLog(long fromPosition, int maxEvents) {
    StreamPreconditions.checkLogRead(fromPosition, maxEvents);
    return log.read(fromPosition, maxEvents);
  }

  @Override
  public long logHead() {
    return log.size();
  }

  @Override
  public void recordIntegrationEvent(VersionedEvent event) {
    Objects.requireNonNull(event, "event");
    appendToLog(
        kept(List.of(event), "Integration event " + event.id() + " of", event.sourceId(), null),
        null);
  }

  @Override
  public List<VersionedEvent> eventsByCorrelationId(String correlationId) {
    Objects.requireNonNull(correlationId, "correlationId");
    synchronized (logLock) {
      return log.byCorrelationId(correlationId);
    }
  }

  /**
   * Appends to the log and the correlation index; {@code stream} is null for integration events.
   */
  private void appendToLog(List<VersionedEvent> events, AppendOnlyEvents stream) {
    synchronized (logLock) {
      log.append(events, stream); // indexes them by correlation id too
    }
  }

  @Override
  public void markPublished(String streamId, long fromVersion, long toVersion) {
    StreamPreconditions.checkFromVersion(streamId, fromVersion);
    if (toVersion < fromVersion || toVersion > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "toVersion must be in ["
              + fromVersion
              + ", "
              + Integer.MAX_VALUE
              + "], was "
              + toVersion);
    }
    AppendOnlyEvents stream = streams.get(streamId);
    if (stream == null) {
      return;
    }
    synchronized (stream) {
      stream.markPublished((int) fromVersion, (int) toVersion);
    }
  }

  @Override
  public int segmentCount(String processor, int segments) {
    return processors.segmentCount(processor, segments);
  }

  @Override
  public Optional<SegmentClaim> claim(
      String processor, int segment, String owner, Instant now, Duration ttl) {
    return processors.claim(processor, segment, owner, now, ttl);
  }

  @Override
  public void saveCheckpoint(SegmentClaim claim, long position, Instant now) {
    processors.saveCheckpoint(claim, position, now);
  }

  @Override
  public void release(SegmentClaim claim) {
    processors.release(claim);
  }

  @Override
  public List<SegmentState> segments(String processor) {
    return processors.segments(processor);
  }

  @Override
  public void reset(String processor, long position, Instant now) {
    processors.reset(processor, position, now);
  }

  @Override
  public List<String> heartbeat(String processor, String owner, Instant now, Duration ttl) {
    return processors.heartbeat(processor, owner, now, ttl);
  }

  @Override
  public void leave(String processor, String owner) {
    processors.leave(processor, owner);
  }
}
