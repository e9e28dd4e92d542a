package io.cqrs;

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
 */
public interface Projection {

  /**
   * Whether this read model follows the stream of {@code event} (default: every stream). Events of
   * streams it does not follow never reach {@link #appliedVersion} or {@link #apply}, so a read
   * model of one aggregate type is not asked for the versions of the others' streams.
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
}
