package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static io.cqrs.couchbase.TestEvents.ids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.couchbase.client.core.error.FeatureNotAvailableException;
import com.couchbase.client.core.msg.kv.DurabilityLevel;
import io.cqrs.ConcurrencyException;
import io.cqrs.NonTransientCqrsException;
import io.cqrs.VersionedEvent;
import io.cqrs.testing.Await;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CouchbaseStreamIT extends RepositoryIT {
  private final CouchbaseEventStreamRepository repository = repository();

  @Test
  void saved_events_load_back_in_version_order_with_their_envelopes() {
    List<VersionedEvent> first = batch("acc-1", 0, 3);
    List<VersionedEvent> second = batch("acc-1", 3, 2);
    repository.save("acc-1", 0, first);
    repository.save("acc-1", 3, second);

    List<VersionedEvent> all = new ArrayList<>(first);
    all.addAll(second);
    assertThat(repository.load("acc-1")).containsExactlyElementsOf(all);
    assertThat(repository.version("acc-1")).isEqualTo(5);
  }

  @Test
  void a_stream_without_events_loads_empty_and_is_at_version_zero() {
    assertThat(repository.load("nobody")).isEmpty();
    assertThat(repository.version("nobody")).isZero();
  }

  @Test
  void loading_from_a_version_inside_a_commit_returns_the_events_from_there() {
    repository.save("acc-1", 0, batch("acc-1", 0, 3));
    repository.save("acc-1", 3, batch("acc-1", 3, 3));

    assertThat(repository.load("acc-1", 2))
        .extracting(VersionedEvent::version)
        .containsExactly(2L, 3L, 4L, 5L, 6L);
    assertThat(repository.load("acc-1", 6)).extracting(VersionedEvent::version).containsExactly(6L);
    assertThat(repository.load("acc-1", 7)).isEmpty();
  }

  @Test
  void a_stream_of_many_commits_loads_completely_and_in_order() {
    long version = 0;
    for (int i = 0; i < 150; i++) {
      int size = 1 + i % 3;
      repository.save("long", version, batch("long", version, size));
      version += size;
    }

    List<VersionedEvent> loaded = repository.load("long");
    assertThat(loaded).hasSize((int) version);
    for (int i = 0; i < loaded.size(); i++) {
      assertThat(loaded.get(i).version()).isEqualTo(i + 1);
    }
  }

  @Test
  void saving_with_a_stale_version_throws_concurrency_exception_with_the_actual_version() {
    repository.save("acc-1", 0, batch("acc-1", 0, 2));

    assertThatThrownBy(() -> repository.save("acc-1", 0, batch("acc-1", 0, 1)))
        .isInstanceOfSatisfying(
            ConcurrencyException.class,
            e -> {
              assertThat(e.streamId()).isEqualTo("acc-1");
              assertThat(e.expected()).isZero();
              assertThat(e.actual()).isEqualTo(2);
            });
    assertThat(repository.version("acc-1")).isEqualTo(2);
  }

  @Test
  void saving_ahead_of_the_stream_throws_concurrency_exception_and_writes_nothing() {
    repository.save("acc-1", 0, batch("acc-1", 0, 2));

    assertThatThrownBy(() -> repository.save("acc-1", 5, batch("acc-1", 5, 1)))
        .isInstanceOfSatisfying(
            ConcurrencyException.class, e -> assertThat(e.actual()).isEqualTo(2));
    assertThat(repository.load("acc-1")).hasSize(2);
    assertThat(raw(keys.claim("acc-1", 6))).isEmpty();
  }

  @Test
  void saving_at_a_version_inside_an_earlier_batch_throws_concurrency_exception() {
    // Versions 1..3 are one commit, so no claim exists at 3: only the head check catches this.
    repository.save("acc-1", 0, batch("acc-1", 0, 3));

    assertThatThrownBy(() -> repository.save("acc-1", 2, batch("acc-1", 2, 1)))
        .isInstanceOfSatisfying(
            ConcurrencyException.class, e -> assertThat(e.actual()).isEqualTo(3));
    assertThat(repository.load("acc-1"))
        .extracting(VersionedEvent::version)
        .containsExactly(1L, 2L, 3L);
  }

  /**
   * A save takes its log position while it checks the stream, in the same round trip; a stale one
   * is refused before it writes anything and gives the position back at once (an abandon marker),
   * so that log readers never wait for it.
   */
  @Test
  void a_stale_save_is_refused_before_it_writes_and_gives_back_its_log_position() {
    repository.save("acc-1", 0, batch("acc-1", 0, 1));
    long before = kv.counter(keys.sequence());
    List<VersionedEvent> winner = batch("acc-1", 1, 1);
    CouchbaseEventStreamRepository other = repository();
    other.save("acc-1", 1, winner);

    assertThatThrownBy(() -> repository.save("acc-1", 1, batch("acc-1", 1, 2)))
        .isInstanceOf(ConcurrencyException.class);
    assertThat(repository.load("acc-1", 2)).containsExactlyElementsOf(winner);
    assertThat(kv.counter(keys.sequence())).isEqualTo(before + 2);
    Await.until(
        "the refused save's log position given back",
        () -> raw(keys.log(before + 2)).filter(doc -> doc.contains("\"k\":\"a\"")).isPresent());
    assertThat(raw(keys.claim("acc-1", 3))).isEmpty();
    assertThat(repository.readLog(1, 10)).hasSize(2);
  }

  @Test
  void a_commit_whose_writer_died_before_moving_the_head_is_read_and_the_next_save_repairs_it() {
    repository.save("acc-1", 0, batch("acc-1", 0, 2));
    // A writer stored and claimed versions 3..4, then died before touching the head.
    List<VersionedEvent> orphaned = batch("acc-1", 2, 2);
    long seq = kv.increment(keys.sequence());
    kv.insert(keys.log(seq), codec.commit("acc-1", orphaned));
    kv.insert(keys.claim("acc-1", 3), codec.claim(seq, 4));

    assertThat(repository.version("acc-1")).isEqualTo(4);
    assertThat(ids(repository.load("acc-1", 3))).isEqualTo(ids(orphaned));
    assertThatThrownBy(() -> repository.save("acc-1", 2, batch("acc-1", 2, 1)))
        .isInstanceOfSatisfying(
            ConcurrencyException.class, e -> assertThat(e.actual()).isEqualTo(4));

    repository.save("acc-1", 4, batch("acc-1", 4, 1));
    StreamHead head = new StreamReader(kv, keys, codec).head("acc-1");
    assertThat(head.version()).isEqualTo(5);
    assertThat(head.commits()).extracting(StreamHead.Entry::first).containsExactly(1L, 3L, 5L);
    assertThat(repository.load("acc-1")).hasSize(5);
  }

  @Test
  void repositories_with_different_key_prefixes_share_a_bucket_without_seeing_each_other() {
    CouchbaseEventStreamRepository neighbour =
        CouchbaseEventStreamRepository.builder(collection, TestEvents.serializer())
            .keyPrefix(server.newKeyPrefix())
            .build();
    repository.save("acc-1", 0, batch("acc-1", 0, 2));
    neighbour.save("acc-1", 0, batch("acc-1", 0, 1));

    assertThat(repository.version("acc-1")).isEqualTo(2);
    assertThat(neighbour.version("acc-1")).isEqualTo(1);
    assertThat(neighbour.readLog(1, 10)).hasSize(1);
    assertThat(raw(prefix + "::h::acc-1")).isPresent();
  }

  @Test
  void a_repository_built_from_a_connection_string_works_and_disconnects_on_close() {
    List<VersionedEvent> events = batch("acc-1", 0, 2);
    try (CouchbaseEventStreamRepository own =
        CouchbaseEventStreamRepository.builder(server.connectionString(), TestEvents.serializer())
            .credentials(server.username(), server.password())
            .bucket(server.bucketName())
            .keyPrefix(prefix)
            .build()) {
      own.save("acc-1", 0, events);
    }
    assertThat(repository.load("acc-1")).containsExactlyElementsOf(events);
  }

  @Test
  void a_repository_connecting_itself_can_be_pointed_at_a_scope_and_collection() {
    List<VersionedEvent> events = batch("acc-1", 0, 1);
    try (CouchbaseEventStreamRepository own =
        CouchbaseEventStreamRepository.builder(server.connectionString(), TestEvents.serializer())
            .credentials(server.username(), server.password())
            .bucket(server.bucketName())
            .collection("_default", "_default")
            .keyPrefix(prefix)
            .build()) {
      own.save("acc-1", 0, events);
    }
    assertThat(repository.load("acc-1")).containsExactlyElementsOf(events);
    assertThatThrownBy(() -> builder().collection("_default", "_default"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("builder(Collection, EventSerializer)");
    assertThatThrownBy(() -> builder().credentials("user", "secret"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("credentials(username, password) applies only");
    assertThatThrownBy(() -> builder().bucket("app"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("bucket(name) applies only");
  }

  @Test
  void a_durability_the_server_cannot_give_fails_the_save_and_commits_nothing() {
    assumeTrue(
        server.description().startsWith("CouchbaseMock"),
        "only CouchbaseMock is known to refuse synchronous durability");
    CouchbaseEventStreamRepository durable = builder().durability(DurabilityLevel.MAJORITY).build();

    assertThatThrownBy(() -> durable.save("acc-1", 0, batch("acc-1", 0, 1)))
        .isInstanceOf(NonTransientCqrsException.class)
        .hasCauseInstanceOf(FeatureNotAvailableException.class);
    assertThat(repository.version("acc-1")).isZero();
    assertThat(repository.readLog(1, 10)).isEmpty();
  }
}
