package io.cqrs.couchbase;

import com.couchbase.client.core.error.ValueTooLargeException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.cqrs.VersionedEvent;
import java.io.IOException;
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
 * same sequence; each appends both arrays in one atomic mutation, so they stay aligned. A document
 * at Couchbase's size limit takes no more entries: see {@link CorrelationIndexFullException}.
 */
final class CorrelationIndex {
  private static final JsonFactory JSON = new JsonFactory();

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
            entry -> {
              String key = keys.correlation(entry.getKey());
              return kv.appendIndexEntryAsync(
                      key,
                      seq,
                      entry.getValue() == null ? null : KeyLayout.causeTag(entry.getValue()))
                  .onErrorResume(
                      CorrelationIndex::tooLarge, e -> listedDespite(key, entry.getKey(), seq, e));
            })
        .then();
  }

  /**
   * After an append the server refused because the document would outgrow its size limit: done if
   * the document lists {@code seq} already (an append of the same entry by the commit's writer or a
   * reader completing it landed first, which is what filled it), else {@link
   * CorrelationIndexFullException}. An append of that entry can then never land (the document only
   * grows), so the commit can never be claimed, and its writer or a log reader may abandon it.
   * Reads the whole document, only in this case.
   */
  private Mono<Void> listedDespite(String key, String correlationId, long seq, Throwable refused) {
    return kv.getAsync(key)
        .onErrorMap(e -> CouchbaseErrors.map("get of '" + key + "'", e))
        .flatMap(
            document -> {
              if (document.isPresent() && lists(document.get().content(), seq)) {
                return Mono.<Void>empty();
              }
              return Mono.<Void>error(
                  new CorrelationIndexFullException(correlationId, seq, refused));
            });
  }

  /** Whether the index document's {@code "q"} holds {@code seq}, read without building a tree. */
  static boolean lists(byte[] document, long seq) {
    try (JsonParser parser = JSON.createParser(document)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        if ("q".equals(field) && value == JsonToken.START_ARRAY) {
          while (parser.nextToken() != JsonToken.END_ARRAY) {
            if (parser.currentToken() == JsonToken.VALUE_NUMBER_INT
                && parser.getLongValue() == seq) {
              return true;
            }
          }
          return false;
        }
        parser.skipChildren();
      }
      return false;
    } catch (IOException e) {
      return false; // not an index document: it cannot list the sequence either
    }
  }

  /** Whether {@code e} is (or is caused by) the server's refusal of a value over its size limit. */
  static boolean tooLarge(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof ValueTooLargeException) {
        return true;
      }
    }
    return false;
  }

  /** {@link #append}, waiting for it. */
  void appendNow(long seq, List<VersionedEvent> events) {
    Kv.await(append(seq, events), "update of the correlation index for log sequence " + seq);
  }
}
