package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.EventSerializer;
import io.cqrs.EventSourcingRepository;
import io.cqrs.SnapshotPolicy;
import io.cqrs.TypeRegistry;
import io.cqrs.couchbase.TestEvents.Account;
import io.cqrs.spi.Snapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CouchbaseSnapshotIT extends RepositoryIT {
  private final TypeRegistry registry =
      TestEvents.registry().registerAggregate(Account.class, TestEvents.Deposited.class);
  private final CouchbaseEventStreamRepository repository =
      CouchbaseEventStreamRepository.builder(collection, new EventSerializer(registry))
          .keyPrefix(prefix)
          .build();

  @Test
  void unreadable_snapshot_documents_are_ignored() {
    Snapshot other = snapshot("other", 3);
    repository.saveSnapshot(other);
    for (String content :
        List.of(
            "garbage",
            "{\"f\":2,\"s\":\"acc-1\",\"v\":3}",
            "{\"f\":1,\"s\":\"acc-1\",\"v\":\"three\"}",
            raw(keys.snapshot("other")).orElseThrow())) {
      writeRaw(keys.snapshot("acc-1"), content);

      assertThat(repository.loadSnapshot("acc-1")).as(content).isEmpty();
    }
    assertThat(repository.loadSnapshot("other")).isPresent();
  }

  @Test
  void a_snapshot_saved_over_an_unreadable_one_replaces_it() {
    writeRaw(keys.snapshot("acc-1"), "garbage");

    repository.saveSnapshot(snapshot("acc-1", 2));

    assertThat(repository.loadSnapshot("acc-1")).get().extracting(Snapshot::version).isEqualTo(2L);
  }

  @Test
  void an_aggregate_loads_from_its_snapshot_and_is_replayed_when_the_snapshot_is_unreadable() {
    EventSourcingRepository aggregates =
        EventSourcingRepository.builder(repository, registry)
            .snapshotPolicy(SnapshotPolicy.every(2))
            .build();
    Account account = new Account("acc-1");
    for (long amount = 1; amount <= 4; amount++) {
      account.deposit(amount);
      aggregates.save(account, "corr-" + amount);
    }
    assertThat(repository.loadSnapshot("acc-1")).get().extracting(Snapshot::version).isEqualTo(4L);

    // A valid snapshot is used: doctor its state and the loaded balance shows it.
    Snapshot stored = repository.loadSnapshot("acc-1").orElseThrow();
    writeRaw(
        keys.snapshot("acc-1"),
        raw(keys.snapshot("acc-1"))
            .orElseThrow()
            .replace("\\\"balance\\\":10", "\\\"balance\\\":99"));
    assertThat(aggregates.get("acc-1", Account::new).balance()).isEqualTo(99);

    writeRaw(keys.snapshot("acc-1"), "{\"f\":1,\"s\":\"acc-1\",\"v\":4,\"state\":");
    Account replayed = aggregates.get("acc-1", Account::new);
    assertThat(replayed.balance()).isEqualTo(10);
    assertThat(replayed.version()).isEqualTo(stored.version());
  }

  @Test
  void an_oversized_snapshot_is_rejected_naming_the_stream() {
    CouchbaseEventStreamRepository small = builder().maxDocumentBytes(2048).build();
    Snapshot big =
        new Snapshot("acc-1", 1, "Account", "s1", "\"" + "z".repeat(4000) + "\"", Instant.now());

    assertThatThrownBy(() -> small.saveSnapshot(big))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'acc-1'");
    assertThat(raw(keys.snapshot("acc-1"))).isEmpty();
  }

  @Test
  void concurrent_snapshot_writers_leave_the_newest_snapshot() throws Exception {
    List<Long> versions = new ArrayList<>();
    for (long v = 1; v <= 40; v++) {
      versions.add(v);
    }
    Collections.shuffle(versions, new java.util.Random(7));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (long version : versions) {
        done.add(pool.submit(() -> repository.saveSnapshot(snapshot("acc-1", version))));
      }
      for (Future<?> future : done) {
        future.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(repository.loadSnapshot("acc-1")).get().extracting(Snapshot::version).isEqualTo(40L);
  }

  /**
   * A discard reads the snapshot, finds it above the stream's end and removes it with the CAS it
   * read: a good snapshot written in between (another process's, at or below the end) must stay,
   * and the discard must answer that it removed nothing. A remove without the CAS would delete the
   * good snapshot; a discard that trusted its first read would report a removal.
   */
  @Test
  void a_snapshot_written_between_a_discards_read_and_its_remove_stays() {
    SnapshotStore snapshots =
        new SnapshotStore(kv, keys, new DocumentCodec(new EventSerializer(registry)), 1 << 20);
    snapshots.save(snapshot("acc-1", 9)); // above the stream's end, 5
    java.util.concurrent.atomic.AtomicInteger raced =
        new java.util.concurrent.atomic.AtomicInteger();
    snapshots.beforeRemove(
        () -> {
          if (raced.getAndIncrement() == 0) {
            // Another writer replaces it meanwhile with one the stream reached (a replace with
            // CAS, as SnapshotStore.save makes, of whatever is there).
            kv.replace(
                keys.snapshot("acc-1"),
                raw(keys.snapshot("acc-1"))
                    .orElseThrow()
                    .replace("\"v\":9", "\"v\":4")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8),
                kv.get(keys.snapshot("acc-1")).orElseThrow().cas());
          }
        });

    boolean discarded = snapshots.discard("acc-1", 5);

    assertThat(discarded).as("a removal reported").isFalse();
    assertThat(raced.get()).as("removes tried").isEqualTo(1);
    assertThat(repository.loadSnapshot("acc-1")).get().extracting(Snapshot::version).isEqualTo(4L);
  }

  /** Without a writer in between, the discard removes the snapshot above the stream's end. */
  @Test
  void a_snapshot_above_the_streams_end_is_discarded() {
    repository.saveSnapshot(snapshot("acc-1", 9));

    assertThat(repository.discardSnapshot("acc-1", 5)).isTrue();
    assertThat(repository.loadSnapshot("acc-1")).isEmpty();
    assertThat(repository.discardSnapshot("acc-1", 5)).as("nothing left").isFalse();
    repository.saveSnapshot(snapshot("acc-1", 5));
    assertThat(repository.discardSnapshot("acc-1", 5)).as("at the end: kept").isFalse();
    assertThat(repository.loadSnapshot("acc-1")).isPresent();
  }

  private static Snapshot snapshot(String stream, long version) {
    return new Snapshot(
        stream, version, "Account", "schema-1", "{\"balance\":" + version + "}", Instant.now());
  }
}
