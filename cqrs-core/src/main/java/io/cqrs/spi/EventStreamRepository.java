package io.cqrs.spi;

import io.cqrs.AggregateTypeMismatchException;
import io.cqrs.ConcurrencyException;
import io.cqrs.DuplicateCommandException;
import io.cqrs.VersionedEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where event streams, snapshots and the integration log are kept: the SPI a store adapter
 * implements (andrewwebber's {@code EventStreamRepository}).
 *
 * <p>Every implementation passes {@code io.cqrs.testing.EventStreamRepositoryContract} and keeps
 * these guarantees:
 *
 * <ul>
 *   <li>A stream's versions are 1, 2, 3 … without gaps or duplicates.
 *   <li>{@link #save} is atomic and optimistic: it appends all of its events or none, and two
 *       writers that expect the same version cannot both succeed.
 *   <li>Every committed event can be read back from the integration log in commit order, each
 *       exactly once, and by correlation id.
 *   <li>A stream holds the effect of a command at most once: of all saves of a stream made with the
 *       same command id, at most one commits, however they race and whatever versions they expect
 *       (see {@link #save(StreamAppend)}).
 *   <li>A stream created for an aggregate type keeps it: loads return it, and saves for another
 *       type are refused.
 * </ul>
 *
 * <p>Implementations are thread-safe.
 */
public interface EventStreamRepository {

  /**
   * Appends events to a stream, all or nothing: the one {@code save} an implementation provides;
   * the other overloads are shorthands for it.
   *
   * <p><b>Command.</b> If {@link StreamAppend#commandId()} is given, the append is the effect of
   * that command, at most once per stream and command. The check that no commit of the stream
   * carries the command id and the append are one atomic step, like the version check: of any
   * number of saves of one stream with the same command id, racing or one after another, at most
   * one commits. A duplicate that expects a stale version may be told either {@link
   * ConcurrencyException} or {@link DuplicateCommandException}; after reloading, it is told the
   * latter. Command ids are remembered for as long as the stream exists, and only by the stream
   * they were committed to.
   *
   * <p><b>Aggregate type.</b> If {@link StreamAppend#aggregateType()} is given, the save that
   * creates the stream (expected version 0) records it, and {@link #loadStream} returns it from
   * then on; a save to a stream whose recorded type is another one is refused. A stream created
   * without a type (or before types were recorded) keeps none, and is never checked. The type is
   * recorded in the same atomic step as the stream's first events.
   *
   * @throws ConcurrencyException if the stream is not at the expected version; nothing was written
   * @throws DuplicateCommandException if a commit of this stream already carries the command id;
   *     nothing was written
   * @throws AggregateTypeMismatchException if the stream records an aggregate type other than the
   *     append's; nothing was written
   */
  void save(StreamAppend append);

  /**
   * {@link #save(StreamAppend)}, for a caller that has already proven what a store's save checks
   * before it writes: that {@code expectedVersion} ends a commit of the stream (the caller read the
   * stream up to it, and found nothing after it, or, with {@code deferCacheChecks}, did not look
   * again since: the version still ends a commit, and a commit after it must make this save fail as
   * below), and, for an append with a command id, that no commit up to {@code expectedVersion} is
   * that command's effect (a look-up of the command's effects with {@link #eventsCausedBy} found
   * none, and was sent after every one of those commits had been read), and, for an append with an
   * aggregate type, that the stream is of that type (it read the stream as one). {@link
   * io.cqrs.EventSourcingRepository} calls it for a command whose {@link
   * io.cqrs.CommandDispatchManager} deduplicates with {@code lookupProvesEffects}, on an aggregate
   * from its cache.
   *
   * <p>A store may skip those checks and rely on its commit being exclusive per version: it must
   * still refuse, with {@link ConcurrencyException} or {@link DuplicateCommandException} as {@link
   * #save(StreamAppend)} does, a save whose version another writer committed meanwhile. The default
   * is {@link #save(StreamAppend)}.
   */
  default void saveChecked(StreamAppend append) {
    save(append);
  }

  /**
   * Appends {@code events} to a stream, all or nothing: {@link #save(StreamAppend)} for no command
   * and no aggregate type.
   *
   * @param streamId the stream (aggregate) id; every event's {@code sourceId} must equal it
   * @param expectedVersion the version the stream must be at now; 0 for a new stream
   * @param events one or more events numbered {@code expectedVersion + 1} upwards
   * @throws ConcurrencyException if the stream is not at {@code expectedVersion}; nothing was
   *     written
   * @throws IllegalArgumentException if the events are empty, belong to another stream or are not
   *     numbered contiguously from {@code expectedVersion + 1}
   */
  default void save(String streamId, long expectedVersion, List<VersionedEvent> events) {
    save(StreamAppend.of(streamId, expectedVersion, events));
  }

  /**
   * Appends {@code events} to a stream, all or nothing, as the effect of command {@code commandId}
   * if one is given: {@link #save(StreamAppend)} with a command id and no aggregate type.
   *
   * @param commandId the message id of the command these events are the effect of, or {@code null}
   *     for a save that is not deduplicated
   * @throws ConcurrencyException if the stream is not at {@code expectedVersion}; nothing was
   *     written
   * @throws DuplicateCommandException if a commit of this stream already carries {@code commandId};
   *     nothing was written
   * @throws IllegalArgumentException if the events are empty, belong to another stream or are not
   *     numbered contiguously from {@code expectedVersion + 1}, or the command id is blank
   */
  default void save(
      String streamId, long expectedVersion, List<VersionedEvent> events, String commandId) {
    save(StreamAppend.of(streamId, expectedVersion, events).withCommandId(commandId));
  }

  /**
   * The events of a stream with version {@code >= fromVersion}, in version order (empty if there
   * are none), and the aggregate type the stream recorded when it was created (null if none). The
   * one load an implementation provides; it costs no more than reading the events alone.
   */
  EventStream loadStream(String streamId, long fromVersion);

  /**
   * At most {@code maxEvents} events of a stream, those with the lowest versions {@code >=
   * fromVersion}, in version order (fewer if the stream ends first, empty if it has none there),
   * and the aggregate type the stream recorded when it was created (null if none): a page of a
   * stream that may be long, such as its history shown to a user. A store reads what it needs for
   * that page, not the rest of the stream; the stores of this project read whole commits, so at
   * most one commit's events more than the page. The next page starts at the last version returned
   * plus one.
   *
   * <p>The default loads the whole rest of the stream with {@link #loadStream(String, long)} and
   * keeps the first events: correct for any store, bounded only in what it returns. Stores that
   * keep long streams override it.
   *
   * @param maxEvents the most events to return, at least 1
   * @throws IllegalArgumentException if {@code fromVersion} or {@code maxEvents} is below 1
   */
  default EventStream loadStream(String streamId, long fromVersion, int maxEvents) {
    StreamPreconditions.checkLoadRange(streamId, fromVersion, maxEvents);
    EventStream stream = loadStream(streamId, fromVersion);
    List<VersionedEvent> events = stream.events();
    return events.size() <= maxEvents
        ? stream
        : new EventStream(
            streamId, stream.aggregateType(), List.copyOf(events.subList(0, maxEvents)));
  }

  /**
   * The events committed after {@code readVersion}, in version order, for a caller that has read
   * the stream up to {@code readVersion} (an aggregate held in a cache): {@code readVersion} ends a
   * commit of the stream, so a store can answer "nothing new" by probing for the commit after it,
   * one read instead of a load. The same events as {@code loadStream(streamId, readVersion + 1)};
   * the aggregate type may be {@code null} when there are none, since the caller already knows it.
   *
   * <p>The result is only defined if {@code readVersion} is a version the stream was at after one
   * of its commits (a version some load or save returned). Asked from inside a commit, a store may
   * answer that nothing came after it.
   *
   * @param readVersion a version the stream has reached, at least 1
   * @throws IllegalArgumentException if {@code readVersion} is below 1
   */
  default EventStream loadStreamAfter(String streamId, long readVersion) {
    if (readVersion < 1) {
      throw new IllegalArgumentException("readVersion must be at least 1, was " + readVersion);
    }
    return loadStream(streamId, readVersion + 1);
  }

  /**
   * The events of a stream with version {@code >= fromVersion}, in version order; empty if there
   * are none.
   */
  default List<VersionedEvent> load(String streamId, long fromVersion) {
    return loadStream(streamId, fromVersion).events();
  }

  /** All events of a stream, in version order. */
  default List<VersionedEvent> load(String streamId) {
    return load(streamId, 1);
  }

  /** The stream's current version; 0 if it has no events. */
  long version(String streamId);

  /**
   * Stores a snapshot, replacing an older one of the same stream. A snapshot older than the one
   * stored is ignored.
   */
  void saveSnapshot(Snapshot snapshot);

  /** The latest snapshot of a stream, if any. */
  Optional<Snapshot> loadSnapshot(String streamId);

  /**
   * Removes the stream's snapshot if its version is above {@code aboveVersion}: a state the stream
   * never reached (written by hand, or describing commits lost after they were acknowledged), which
   * a later snapshot could never replace since an older one is ignored. {@link
   * io.cqrs.EventSourcingRepository} calls it when a save finds the stream behind the version it
   * loaded. A snapshot at or below {@code aboveVersion} stays. The default removes nothing and
   * answers false; a decorator of a store must forward it.
   *
   * @return whether a snapshot was removed
   */
  default boolean discardSnapshot(String streamId, long aboveVersion) {
    return false;
  }

  /**
   * Reads the integration log: committed events with position {@code >= fromPosition}, in commit
   * order, at most {@code maxEvents} of them. Positions start at 1, only increase, and may skip
   * numbers; pass the last position read plus one to continue.
   */
  List<LoggedEvent> readLog(long fromPosition, int maxEvents);

  /**
   * Reads the integration log for a reader that wants its events only, such as an event processor:
   * the same entries as {@link #readLog} (the same events at the same positions, in commit order,
   * none skipped), except that {@link LoggedEvent#published()} may be stale ({@code false} for an
   * event marked published since). A store may answer more cheaply than {@code readLog}: from
   * commits it has just written or read, without reading their publication marks again, and with
   * the log's end as read by a concurrent call.
   *
   * <p>The default calls {@link #readLog}.
   */
  default List<LoggedEvent> readLogEvents(long fromPosition, int maxEvents) {
    return readLog(fromPosition, maxEvents);
  }

  /**
   * The position of the last event in the integration log whose commit had completed when this call
   * began, 0 if there is none: a reader that has read up to this position has seen every such
   * commit. Event processors measure their lag against it.
   */
  long logHead();

  /**
   * How far {@code toPosition} is past {@code fromPosition}, in the unit a lag is reported in
   * ({@link io.cqrs.ProcessorLag#behind()}): events, where positions are dense, as the default
   * counts ({@code toPosition - fromPosition}, never below 0); a store whose positions skip numbers
   * counts what it can without reading the log, and says what. A decorator of a store must forward
   * it: the default would count that store's positions.
   */
  default long logDistance(long fromPosition, long toPosition) {
    return Math.max(0, toPosition - fromPosition);
  }

  /**
   * Records an event that belongs to no stream, such as {@link io.cqrs.CommandFailed}, in the
   * integration log and the correlation index (andrewwebber's {@code SaveIntegrationEvent}).
   */
  void recordIntegrationEvent(VersionedEvent event);

  /**
   * Every event of a correlation id, stream events and integration events alike, in commit order
   * (andrewwebber's {@code GetIntegrationEventsByCorrelationID}).
   */
  List<VersionedEvent> eventsByCorrelationId(String correlationId);

  /**
   * The events of correlation {@code correlationId} that {@code causationId} caused (whose {@link
   * VersionedEvent#causationId()} equals it), stream events and integration events alike, in commit
   * order: what a command with that message id left, for {@link io.cqrs.CommandDispatchManager}'s
   * deduplication. The default filters {@link #eventsByCorrelationId}; a store whose index knows
   * each commit's cause reads only the commits the command caused.
   */
  default List<VersionedEvent> eventsCausedBy(String correlationId, String causationId) {
    Objects.requireNonNull(causationId, "causationId");
    List<VersionedEvent> caused = new ArrayList<>();
    for (VersionedEvent event : eventsByCorrelationId(correlationId)) {
      if (causationId.equals(event.causationId())) {
        caused.add(event);
      }
    }
    return caused;
  }
}
