package io.cqrs;

import java.util.List;

/**
 * A read model that an event processor keeps exactly-once in effect ({@link
 * TrackingEventProcessor.Builder#projection}, {@link
 * SubscribingEventProcessor.Builder#projection}).
 *
 * <p>The rule a projection must follow: <b>the applied version of a stream is stored with the read
 * model, in the same atomic write as the change the event makes</b>. {@link #apply} both changes
 * the read model and records {@code event.version()} as the stream's applied version, and {@link
 * #appliedVersion} reads it back from the same place. Then a crash can never leave the read model
 * changed but the version not (the event would be applied twice) or the other way round (it would
 * be lost). For an in-memory map, one synchronized update of the entry that holds both is enough;
 * for a document store, keep the version in the read-model document and write it with the document
 * (with a CAS replace where several processes share the document).
 *
 * <p>A read model lasts as long as its processor's checkpoint must: a map, which a restart empties
 * and no other process shares, runs on {@link Cqrs#localProcessor} ({@link EventProcessor#local}),
 * which rebuilds it from the start of the log at every start; one in a database runs on {@link
 * Cqrs#processor(String, Projection)}, whose checkpoint the store keeps across restarts and whose
 * segments several processes share.
 */
public interface Projection {

  /**
   * Whether this read model follows the stream of {@code event} (default: every stream). Events of
   * streams it does not follow never reach {@link #appliedVersion} or {@link #apply}, so a read
   * model of one aggregate type is not asked for the versions of the others' streams; nor do they
   * reach its processor's interceptors (metrics, traces). It may be asked more than once per event,
   * so it should be a cheap, pure test of the event.
   */
  default boolean follows(VersionedEvent event) {
    return true;
  }

  /** The version of the last event of {@code streamId} this read model applied; 0 if none. */
  long appliedVersion(String streamId);

  /**
   * Applies one event whose version is exactly {@code appliedVersion(event.sourceId()) + 1}, and
   * records that version as applied, atomically.
   */
  void apply(VersionedEvent event) throws Exception;

  /**
   * Applies what upcasters made of one stored event ({@link SplitEvent}): the parts of a split,
   * events of stream {@code streamId} that share the stored {@code version}, or none for a dropped
   * event; {@code version} is exactly {@code appliedVersion(streamId) + 1}. Records {@code version}
   * as applied in the same atomic write as the changes of all the parts: all or none. Applying
   * parts one by one would lose one to a crash between them (the version is recorded with the
   * first) or skip the second (its version is applied already).
   *
   * <p>The default refuses, with {@link UnsupportedOperationException}, as a projection that cannot
   * apply a group atomically must: the processor retries, then dead-letters or stops, and nothing
   * is half-applied.
   *
   * @param streamId the stream
   * @param version the stored event's version, which the parts share
   * @param events the parts, in order; empty if the event was dropped
   */
  default void applyAll(String streamId, long version, List<VersionedEvent> events)
      throws Exception {
    throw new UnsupportedOperationException(
        getClass().getName()
            + " cannot apply version "
            + version
            + " of stream '"
            + streamId
            + "', which upcasters "
            + (events.isEmpty() ? "dropped" : "split into " + events.size() + " events")
            + ", atomically: override Projection.applyAll");
  }
}
