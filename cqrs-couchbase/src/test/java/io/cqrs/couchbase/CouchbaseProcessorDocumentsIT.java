package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.couchbase.client.java.kv.GetOptions;
import io.cqrs.ClaimLostException;
import io.cqrs.SerializationException;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.SegmentState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the processor-store contract cannot see: the documents themselves, what a corrupted one
 * does, and two processes (two repositories, each on its own connection) racing for one segment.
 */
class CouchbaseProcessorDocumentsIT extends RepositoryIT {
  private static final Duration TTL = Duration.ofSeconds(10);
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private final List<CouchbaseEventStreamRepository> opened = new ArrayList<>();

  @AfterEach
  void disconnect() {
    opened.forEach(CouchbaseEventStreamRepository::close);
  }

  /** A repository on a connection of its own, as another process would have. */
  private CouchbaseEventStreamRepository process() {
    CouchbaseEventStreamRepository repository =
        CouchbaseEventStreamRepository.builder(server.connectionString(), TestEvents.serializer())
            .credentials(server.username(), server.password())
            .bucket(server.bucketName())
            .keyPrefix(prefix)
            .build();
    opened.add(repository);
    return repository;
  }

  @Test
  void a_segment_is_one_document_with_token_checkpoint_and_claim_and_no_expiry() {
    CouchbaseEventStreamRepository store = repository();
    store.segmentCount("view", 2);
    SegmentClaim claim = store.claim("view", 1, "a", T0, TTL).orElseThrow();
    store.saveCheckpoint(claim, 42, T0);

    assertThat(raw(prefix + "::proc::view")).contains("{\"f\":1,\"n\":2}");
    assertThat(raw(prefix + "::pseg::1::view"))
        .contains(
            "{\"f\":1,\"t\":1,\"c\":42,\"o\":\"a\",\"u\":" + T0.plus(TTL).toEpochMilli() + "}");
    assertThat(raw(prefix + "::pseg::0::view")).as("never claimed: no document").isEmpty();
    assertThat(
            collection
                .get(prefix + "::pseg::1::view", GetOptions.getOptions().withExpiry(true))
                .expiryTime())
        .as("expiry is the callers' clock, not the server's")
        .isEmpty();

    store.release(claim);
    assertThat(raw(prefix + "::pseg::1::view")).contains("{\"f\":1,\"t\":1,\"c\":42}");
    store.heartbeat("view", "a", T0, TTL);
    assertThat(raw(prefix + "::pmem::view"))
        .contains("{\"f\":1,\"m\":{\"a\":" + T0.plus(TTL).toEpochMilli() + "}}");
  }

  @Test
  void a_corrupted_segment_document_fails_with_an_error_naming_its_key_and_changes_nothing() {
    CouchbaseEventStreamRepository store = repository();
    store.segmentCount("view", 2);
    SegmentClaim claim = store.claim("view", 0, "a", T0, TTL).orElseThrow();
    String key = prefix + "::pseg::0::view";
    writeRaw(key, "{\"f\":1,\"t\":\"one\",\"c\":3}");

    assertThatThrownBy(() -> store.claim("view", 0, "b", T0, TTL))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(key)
        .hasMessageContaining("'t'");
    assertThatThrownBy(() -> store.saveCheckpoint(claim, 5, T0))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(key);
    assertThatThrownBy(() -> store.segments("view"))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(key);
    assertThat(raw(key)).contains("{\"f\":1,\"t\":\"one\",\"c\":3}");
    assertThat(store.claim("view", 1, "b", T0, TTL)).as("other segments stay usable").isPresent();

    writeRaw(key, "not json");
    assertThatThrownBy(() -> store.claim("view", 0, "b", T0, TTL))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(key);
  }

  @Test
  void a_segment_whose_token_has_no_successor_refuses_a_new_claim_and_keeps_its_document() {
    CouchbaseEventStreamRepository store = repository();
    store.segmentCount("view", 1);
    String key = prefix + "::pseg::0::view";
    String atTheEnd = "{\"f\":1,\"t\":" + Long.MAX_VALUE + ",\"c\":3}";
    writeRaw(key, atTheEnd);

    assertThatThrownBy(() -> store.claim("view", 0, "b", T0, TTL))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(key)
        .hasMessageContaining("no successor");
    assertThat(raw(key)).contains(atTheEnd);
    assertThat(store.segments("view").get(0).token()).isEqualTo(Long.MAX_VALUE);

    // One below: the claim takes the last token, and the next new claim is refused.
    writeRaw(key, "{\"f\":1,\"t\":" + (Long.MAX_VALUE - 1) + ",\"c\":3}");
    SegmentClaim last = store.claim("view", 0, "b", T0, TTL).orElseThrow();
    assertThat(last.token()).isEqualTo(Long.MAX_VALUE);
    store.saveCheckpoint(last, 4, T0);
    assertThat(store.claim("view", 0, "b", T0, TTL))
        .as("a renewal keeps its token")
        .hasValueSatisfying(renewed -> assertThat(renewed.token()).isEqualTo(Long.MAX_VALUE));
    assertThatThrownBy(() -> store.claim("view", 0, "c", T0.plus(TTL).plusSeconds(1), TTL))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("no successor");
  }

  @Test
  void a_corrupted_segment_count_fails_naming_its_key() {
    writeRaw(prefix + "::proc::view", "{\"f\":1,\"n\":0}");

    assertThatThrownBy(() -> repository().segmentCount("view", 4))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(prefix + "::proc::view");
  }

  @Test
  void a_processor_name_too_long_for_a_key_is_hashed_and_works() {
    CouchbaseEventStreamRepository store = repository();
    String name = "view-".repeat(60);

    assertThat(store.segmentCount(name, 3)).isEqualTo(3);
    SegmentClaim claim = store.claim(name, 2, "a", T0, TTL).orElseThrow();
    store.saveCheckpoint(claim, 7, T0);

    assertThat(store.segments(name))
        .extracting(SegmentState::checkpoint)
        .containsExactly(0L, 0L, 7L);
    assertThat(raw(prefix + "::psegh::2::" + KeyLayout.sha256(name))).isPresent();
  }

  @Test
  void two_processes_racing_agree_on_the_count_and_get_one_claim_between_them() throws Exception {
    CouchbaseEventStreamRepository a = process();
    CouchbaseEventStreamRepository b = process();

    List<Integer> counts =
        race(() -> a.segmentCount("shared", 4), () -> b.segmentCount("shared", 8));
    assertThat(counts.get(0)).isEqualTo(counts.get(1)).isIn(4, 8);

    for (int round = 0; round < 20; round++) {
      Instant now = T0.plus(TTL.multipliedBy(2L * round));
      ConcurrentLinkedQueue<SegmentClaim> won = new ConcurrentLinkedQueue<>();
      List<Callable<Object>> racers = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        CouchbaseEventStreamRepository store = i % 2 == 0 ? a : b;
        String owner = "owner-" + round + "-" + i;
        racers.add(
            () -> {
              store.claim("shared", 0, owner, now, TTL).ifPresent(won::add);
              return null;
            });
      }
      race(racers);

      assertThat(won).as("round " + round).hasSize(1);
      SegmentClaim winner = won.peek();
      assertThat(a.segments("shared").get(0).owner()).isEqualTo(winner.owner());
      assertThat(winner.token()).isEqualTo(round + 1L);
    }
  }

  @Test
  void a_checkpoint_from_one_process_racing_a_takeover_by_another_never_lands_after_it()
      throws Exception {
    CouchbaseEventStreamRepository a = process();
    CouchbaseEventStreamRepository b = process();
    a.segmentCount("shared", 1);
    for (int round = 0; round < 20; round++) {
      Instant now = T0.plus(TTL.multipliedBy(2L * round));
      SegmentClaim old = a.claim("shared", 0, "a", now, TTL).orElseThrow();
      long position = 100L * (round + 1);
      List<Object> outcome =
          race(
              () -> {
                try {
                  a.saveCheckpoint(old, position, now.plusSeconds(9));
                  return true;
                } catch (ClaimLostException e) {
                  return false;
                }
              },
              () -> b.claim("shared", 0, "b", now.plus(TTL), TTL).orElseThrow());
      boolean landed = (Boolean) outcome.get(0);
      SegmentClaim successor = (SegmentClaim) outcome.get(1);

      assertThat(successor.checkpoint()).isEqualTo(landed ? position : position - 100);
      assertThat(b.segments("shared").get(0).checkpoint()).isEqualTo(successor.checkpoint());
      b.saveCheckpoint(successor, position, now.plus(TTL));
      b.release(successor);
    }
  }

  @Test
  void heartbeats_from_two_processes_at_once_are_both_kept() throws Exception {
    CouchbaseEventStreamRepository a = process();
    CouchbaseEventStreamRepository b = process();
    a.segmentCount("shared", 1);

    for (int round = 0; round < 10; round++) {
      Instant now = T0.plusSeconds(round);
      race(() -> a.heartbeat("shared", "a", now, TTL), () -> b.heartbeat("shared", "b", now, TTL));
    }

    assertThat(a.heartbeat("shared", "c", T0.plusSeconds(10), TTL)).containsExactly("a", "b", "c");
    b.leave("shared", "b");
    assertThat(a.heartbeat("shared", "a", T0.plusSeconds(11), TTL)).containsExactly("a", "c");
  }

  @SafeVarargs
  private static <T> List<T> race(Callable<? extends T>... tasks) throws Exception {
    return race(List.of(tasks));
  }

  private static <T> List<T> race(List<? extends Callable<? extends T>> tasks) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      List<Future<? extends T>> futures = new ArrayList<>();
      for (Callable<? extends T> task : tasks) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return task.call();
                }));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<? extends T> future : futures) {
        results.add(future.get(30, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
