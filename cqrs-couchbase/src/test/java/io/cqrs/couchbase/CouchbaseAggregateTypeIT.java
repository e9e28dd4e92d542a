package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.AggregateTypeMismatchException;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.StreamAppend;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Where a stream's aggregate type lives (the head, the first claim and the first commit), that
 * streams written in the layout before types existed still load and take saves, and that a writer
 * dying before the head was written loses nothing of the type.
 */
class CouchbaseAggregateTypeIT extends RepositoryIT {
  private final CouchbaseEventStreamRepository repository = repository();

  @Test
  void the_type_is_written_into_the_head_and_the_first_claim_and_commit_only() {
    repository.save(StreamAppend.of("acc-1", 0, batch("acc-1", 0, 2)).withAggregateType("Account"));
    repository.save(StreamAppend.of("acc-1", 2, batch("acc-1", 2, 1)).withAggregateType("Account"));

    assertThat(stored(keys.head("acc-1"))).contains("\"t\":\"Account\"");
    assertThat(stored(keys.claim("acc-1", 1))).contains("\"t\":\"Account\"");
    assertThat(stored(keys.log(1))).contains("\"t\":\"Account\"");
    assertThat(stored(keys.claim("acc-1", 3))).doesNotContain("\"t\"");
    assertThat(stored(keys.log(2))).doesNotContain("\"t\":");
  }

  @Test
  void a_stream_written_in_the_layout_without_types_loads_and_takes_saves_of_any_type() {
    // What this store wrote before types were recorded: a commit, its claim and a head, no "t".
    List<VersionedEvent> old = batch("acc-1", 0, 2);
    long seq = kv.increment(keys.sequence());
    kv.insert(keys.log(seq), codec.commit("acc-1", old));
    writeRaw(keys.claim("acc-1", 1), "{\"f\":1,\"q\":" + seq + ",\"l\":2}");
    writeRaw(keys.head("acc-1"), "{\"f\":1,\"v\":2,\"c\":[[2," + seq + "]],\"m\":{}}");

    assertThat(repository.loadStream("acc-1", 1).aggregateType()).isNull();
    assertThat(repository.load("acc-1")).containsExactlyElementsOf(old);

    List<VersionedEvent> next = batch("acc-1", 2, 1);
    repository.save(StreamAppend.of("acc-1", 2, next).withAggregateType("Account"));
    assertThat(repository.load("acc-1", 3)).containsExactlyElementsOf(next);
    assertThat(repository.loadStream("acc-1", 1).aggregateType())
        .as("a type is recorded only when a stream is created")
        .isNull();
  }

  @Test
  void without_a_head_the_first_claim_answers_for_the_type_and_the_head_it_repairs_keeps_it() {
    // The first writer died after its claim, before writing the head.
    List<VersionedEvent> first = batch("acc-1", 0, 1);
    long seq = kv.increment(keys.sequence());
    kv.insert(keys.log(seq), codec.commit("acc-1", first, null, "Account"));
    kv.insert(keys.claim("acc-1", 1), codec.claim(seq, 1, null, "Account"));

    assertThat(repository.loadStream("acc-1", 1).aggregateType()).isEqualTo("Account");
    assertThatThrownBy(
            () ->
                repository.save(
                    StreamAppend.of("acc-1", 1, batch("acc-1", 1, 1))
                        .withAggregateType("Transfer")))
        .isInstanceOf(AggregateTypeMismatchException.class)
        .hasMessage("Stream 'acc-1' belongs to a Account, not to a Transfer");
    assertThat(kv.get(keys.head("acc-1"))).isEmpty();

    repository.save(StreamAppend.of("acc-1", 1, batch("acc-1", 1, 1)).withAggregateType("Account"));
    assertThat(stored(keys.head("acc-1"))).contains("\"t\":\"Account\"");
    assertThat(repository.loadStream("acc-1", 1).aggregateType()).isEqualTo("Account");
  }

  @Test
  void a_first_commit_completed_by_a_reader_keeps_its_writers_type() {
    // The first writer died after storing its commit document, before claiming version 1.
    long seq = kv.increment(keys.sequence());
    kv.insert(keys.log(seq), codec.commit("acc-1", batch("acc-1", 0, 1), null, "Account"));

    assertThat(repository.readLog(1, 10)).hasSize(1); // completes the commit

    assertThat(stored(keys.claim("acc-1", 1))).contains("\"t\":\"Account\"");
    assertThat(repository.loadStream("acc-1", 1).aggregateType()).isEqualTo("Account");
  }

  private String stored(String key) {
    return raw(key).orElseThrow();
  }
}
