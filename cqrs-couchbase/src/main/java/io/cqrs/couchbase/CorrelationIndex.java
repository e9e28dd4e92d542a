package io.cqrs.couchbase;

import io.cqrs.VersionedEvent;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The correlation index: lists a log sequence in the document of every correlation id its events
 * carry ({@code "q"}), and beside it, entry for entry, the cause of that commit's events of the
 * correlation ({@code "c"}: the {@linkplain KeyLayout#causeTag tag} of their causation id, the
 * command's message id, or {@code null} if they have none or several), so that a deduplication
 * look-up reads only the commits its command caused. Appends are server-side and at least once
 * (readers deduplicate), so the writer of a commit and a reader completing it may both append the
 * same sequence; each appends both arrays in one atomic mutation, so they stay aligned.
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
    Map<String, String> causes = new LinkedHashMap<>();
    for (VersionedEvent event : events) {
      String cause = event.causationId();
      if (!causes.containsKey(event.correlationId())) {
        causes.put(event.correlationId(), cause);
      } else if (!Objects.equals(causes.get(event.correlationId()), cause)) {
        causes.put(event.correlationId(), null); // several causes: a reader fetches the commit
      }
    }
    return Flux.fromIterable(causes.entrySet())
        .flatMap(
            entry ->
                kv.appendIndexEntryAsync(
                    keys.correlation(entry.getKey()),
                    seq,
                    entry.getValue() == null ? null : KeyLayout.causeTag(entry.getValue())))
        .then();
  }

  /** {@link #append}, waiting for it. */
  void appendNow(long seq, List<VersionedEvent> events) {
    Kv.await(append(seq, events), "update of the correlation index for log sequence " + seq);
  }
}
