package io.cqrs.couchbase;

import io.cqrs.VersionedEvent;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The correlation index: lists a log sequence in the document of every correlation id its events
 * carry. Appends are server-side and at least once (readers deduplicate), so the writer of a commit
 * and a reader completing it may both append the same sequence.
 */
final class CorrelationIndex {
  private final Kv kv;
  private final KeyLayout keys;

  CorrelationIndex(Kv kv, KeyLayout keys) {
    this.kv = kv;
    this.keys = keys;
  }

  /** Appends {@code seq} to the index of every correlation id of {@code events}, in parallel. */
  Mono<Void> append(long seq, List<VersionedEvent> events) {
    Set<String> correlationIds = new LinkedHashSet<>();
    for (VersionedEvent event : events) {
      correlationIds.add(event.correlationId());
    }
    return Flux.fromIterable(correlationIds)
        .flatMap(id -> kv.appendAsync(keys.correlation(id), "q", seq))
        .then();
  }

  /** {@link #append}, waiting for it. */
  void appendNow(long seq, List<VersionedEvent> events) {
    Kv.await(append(seq, events), "update of the correlation index for log sequence " + seq);
  }
}
