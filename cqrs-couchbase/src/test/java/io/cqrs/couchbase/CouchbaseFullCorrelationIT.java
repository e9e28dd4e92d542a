package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static io.cqrs.couchbase.TestEvents.ids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.VersionedEvent;
import io.cqrs.spi.LoggedEvent;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A correlation document at Couchbase's size limit (20 MiB, about 900,000 commits under one
 * correlation id) takes no more index entries. A commit in that correlation was stored but never
 * indexed, so never claimed, and every log reader stopped at its sequence for good: the relay and
 * every processor, for every stream. The commit is now abandoned, by its writer or by the reader
 * that finds it prepared, and the log goes on.
 */
class CouchbaseFullCorrelationIT extends RepositoryIT {
  /** Couchbase's (and CouchbaseMock's) largest document. */
  private static final int MAX_DOCUMENT = 20 * 1024 * 1024;

  private final CouchbaseEventStreamRepository repository = repository();

  /**
   * Writes the index of {@code correlationId} listing {@code seqs}, padded to 4 bytes under the
   * limit: an entry (a sequence and its cause) adds at least 5.
   */
  private void fullIndex(String correlationId, long... seqs) {
    StringBuilder q = new StringBuilder();
    StringBuilder c = new StringBuilder();
    for (long seq : seqs) {
      q.append(q.length() == 0 ? "" : ",").append(seq);
      c.append(c.length() == 0 ? "" : ",").append("null");
    }
    String start = "{\"q\":[" + q + "],\"c\":[" + c + "],\"pad\":\"";
    String end = "\"}";
    String document = start + "x".repeat(MAX_DOCUMENT - 4 - start.length() - end.length()) + end;
    writeRaw(keys.correlation(correlationId), document);
  }

  private List<String> wholeLog() {
    return ids(repository.readLog(1, 100).stream().map(LoggedEvent::event).toList());
  }

  @Test
  void a_save_in_a_full_correlation_fails_for_good_and_the_log_goes_on() {
    List<VersionedEvent> before = batch("acc-1", 0, 1, "c-0");
    repository.save("acc-1", 0, before);
    fullIndex("big");
    long seq = kv.counter(keys.sequence()) + 1;

    assertThatThrownBy(() -> repository.save("acc-1", 1, batch("acc-1", 1, 1, "big")))
        .isInstanceOf(CorrelationIndexFullException.class)
        .hasMessageContaining("'big'")
        .satisfies(
            e -> {
              assertThat(((CorrelationIndexFullException) e).correlationId()).isEqualTo("big");
              assertThat(((CorrelationIndexFullException) e).isTransient()).isFalse();
            });

    assertThat(raw(keys.log(seq))).hasValueSatisfying(doc -> assertThat(doc).contains("\"a\""));
    assertThat(repository.version("acc-1")).isEqualTo(1);
    List<VersionedEvent> after = batch("acc-1", 1, 1, "c-1");
    repository.save("acc-1", 1, after);
    assertThat(wholeLog()).containsExactly(before.get(0).id(), after.get(0).id());
  }

  /**
   * A writer whose commit document landed but whose index entry did not (its append refused, the
   * writer gone before it could abandon the document): the reader that finds it prepared cannot
   * list it either, and abandons it instead of stopping there.
   */
  @Test
  void a_prepared_commit_its_full_correlation_cannot_list_is_abandoned_by_the_reader() {
    List<VersionedEvent> before = batch("acc-1", 0, 1, "c-0");
    repository.save("acc-1", 0, before);
    fullIndex("big");
    long seq = kv.increment(keys.sequence());
    kv.insert(keys.log(seq), codec.commit("acc-1", batch("acc-1", 1, 1, "big")));
    List<VersionedEvent> after = batch("acc-2", 0, 1, "c-2");
    repository.save("acc-2", 0, after);

    assertThat(wholeLog()).containsExactly(before.get(0).id(), after.get(0).id());
    assertThat(raw(keys.log(seq))).hasValueSatisfying(doc -> assertThat(doc).contains("\"a\""));
    assertThat(repository.version("acc-1")).isEqualTo(1);
    repository.save("acc-1", 1, batch("acc-1", 1, 1, "c-1"));
    assertThat(repository.version("acc-1")).isEqualTo(2);
  }

  /**
   * The entry that filled the document was the commit's own (its writer's append landed, and the
   * reader's second append of the same entry is the one refused): the commit is listed, so it is
   * completed as any prepared commit, not abandoned.
   */
  @Test
  void a_prepared_commit_its_full_correlation_already_lists_is_completed() {
    List<VersionedEvent> before = batch("acc-1", 0, 1, "c-0");
    repository.save("acc-1", 0, before);
    long seq = kv.increment(keys.sequence());
    List<VersionedEvent> prepared = batch("acc-1", 1, 1, "big");
    fullIndex("big", seq);
    kv.insert(keys.log(seq), codec.commit("acc-1", prepared));

    assertThat(wholeLog()).containsExactly(before.get(0).id(), prepared.get(0).id());
    assertThat(repository.version("acc-1")).isEqualTo(2);
  }

  @Test
  void an_index_document_lists_a_sequence_only_in_its_q_array() {
    byte[] document =
        "{\"c\":[null,\"7\"],\"pad\":[7,{\"q\":[7]}],\"q\":[3,70,7]}"
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);

    assertThat(CorrelationIndex.lists(document, 7)).isTrue();
    assertThat(CorrelationIndex.lists(document, 4)).isFalse();
    assertThat(CorrelationIndex.lists("[7]".getBytes(), 7)).isFalse();
    assertThat(CorrelationIndex.lists("not json".getBytes(), 7)).isFalse();
  }
}
