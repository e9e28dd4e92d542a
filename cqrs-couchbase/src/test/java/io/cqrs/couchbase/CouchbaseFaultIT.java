package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.couchbase.client.core.error.TimeoutException;
import com.couchbase.client.java.Bucket;
import com.couchbase.client.java.Cluster;
import com.couchbase.client.java.ClusterOptions;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.DuplicateCommandException;
import io.cqrs.TransientCqrsException;
import io.cqrs.VersionedEvent;
import io.cqrs.couchbase.mock.CouchbaseMockProcess;
import io.cqrs.spi.LoggedEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Server failures at the SDK boundary. These need fault injection, so they always run against a
 * CouchbaseMock of their own, whatever server the other tests use: its {@code OPFAIL} command makes
 * chosen operations fail with a temporary failure, which the SDK retries until it times out.
 */
class CouchbaseFaultIT {
  private static final int TEMPORARY_FAILURE = 0x86;
  private static final int INSERT = 0x02;
  private static final int SUBDOC_MUTATION = 0xd1;
  private static final ObjectMapper JSON = new ObjectMapper();

  private static CouchbaseMockProcess mock;
  private static Cluster cluster;
  private static Bucket bucket;

  private final String prefix = "fault-" + System.nanoTime();
  private final KeyLayout keys = new KeyLayout(prefix);
  private CouchbaseEventStreamRepository repository;

  @BeforeAll
  static void startMock() {
    mock = CouchbaseMockProcess.start("faults", "faults-password");
    System.out.println("[CouchbaseFaultIT] own CouchbaseMock at " + mock.connectionString());
    cluster =
        Cluster.connect(
            mock.connectionString(),
            ClusterOptions.clusterOptions(mock.username(), mock.password())
                // The failures these tests inject end in this timeout, so it is short; not so
                // short that a healthy operation on a loaded machine runs into it.
                .environment(env -> env.timeoutConfig(t -> t.kvTimeout(Duration.ofSeconds(2)))));
    bucket = cluster.bucket(mock.bucket());
    bucket.waitUntilReady(Duration.ofSeconds(60));
  }

  @AfterAll
  static void stopMock() {
    cluster.disconnect();
    mock.close();
  }

  @AfterEach
  void heal() {
    failNext(-1, 0, null);
  }

  private CouchbaseEventStreamRepository repository() {
    if (repository == null) {
      repository =
          CouchbaseEventStreamRepository.builder(
                  bucket.defaultCollection(), TestEvents.serializer())
              .keyPrefix(prefix)
              .gapGracePeriod(Duration.ofMillis(200))
              .build();
    }
    return repository;
  }

  @Test
  void a_timeout_becomes_a_transient_exception_with_the_sdk_exception_as_its_cause() {
    failNext(TEMPORARY_FAILURE, -1, null);

    assertThatThrownBy(() -> repository().version("acc-1"))
        .isInstanceOf(TransientCqrsException.class)
        .hasMessageContaining(keys.head("acc-1"))
        .hasCauseInstanceOf(TimeoutException.class);
    assertThatThrownBy(() -> repository().save("acc-1", 0, batch("acc-1", 0, 1)))
        .isInstanceOf(TransientCqrsException.class)
        .hasCauseInstanceOf(TimeoutException.class);

    failNext(-1, 0, null);
    assertThat(repository().version("acc-1")).isZero();
    assertThat(repository().readLog(1, 10)).isEmpty();
  }

  @Test
  void a_save_whose_commit_document_cannot_be_stored_commits_nothing_and_blocks_nobody() {
    failNext(TEMPORARY_FAILURE, -1, INSERT);

    assertThatThrownBy(() -> repository().save("acc-1", 0, batch("acc-1", 0, 2)))
        .isInstanceOf(TransientCqrsException.class)
        .hasCauseInstanceOf(TimeoutException.class);

    failNext(-1, 0, null);
    assertThat(repository().version("acc-1")).isZero();
    // The position it took stays empty: the reader closes it after the grace period.
    assertThat(repository().readLog(1, 10)).isEmpty();
    List<VersionedEvent> retried = batch("acc-1", 0, 2);
    repository().save("acc-1", 0, retried);
    assertThat(repository().readLog(1, 10))
        .extracting(LoggedEvent::event)
        .containsExactlyElementsOf(retried);
  }

  @Test
  void a_save_whose_index_update_fails_does_not_claim_and_a_reader_completes_it_indexed() {
    failNext(TEMPORARY_FAILURE, -1, SUBDOC_MUTATION);

    // The index entry and the commit document go in one round trip: the document landed, the
    // entry did not (twice), so the writer must not claim, and cannot say whether it will count.
    assertThatThrownBy(
            () -> repository().save("acc-1", 0, batch("acc-1", 0, 1, "corr-f"), "command-f"))
        .isInstanceOf(TransientCqrsException.class)
        .hasMessageContaining("may or may not be committed");

    failNext(-1, 0, null);
    Kv raw = new Kv(bucket.defaultCollection(), 4);
    assertThat(raw.get(keys.claim("acc-1", 1))).isEmpty();
    assertThat(repository().eventsByCorrelationId("corr-f")).isEmpty(); // not committed yet
    // A log reader completes it, appending the index entry before it claims.
    assertThat(repository().readLog(1, 10)).hasSize(1);
    assertThat(repository().eventsByCorrelationId("corr-f")).hasSize(1);
    assertThat(repository().version("acc-1")).isEqualTo(1);
    assertThatThrownBy(
            () -> repository().save("acc-1", 1, batch("acc-1", 1, 1, "corr-f"), "command-f"))
        .isInstanceOf(DuplicateCommandException.class);
  }

  @Test
  void a_background_publication_mark_that_fails_leaves_the_commit_unmarked_for_the_relay() {
    repository().save("acc-1", 0, batch("acc-1", 0, 2));
    failNext(TEMPORARY_FAILURE, -1, SUBDOC_MUTATION);

    // The repository's own mark of the commit it has just saved: the add times out.
    assertThatThrownBy(
            () -> repository().markPublishedAsync("acc-1", 1, 2).toCompletableFuture().get())
        .isInstanceOf(ExecutionException.class)
        .hasRootCauseInstanceOf(TimeoutException.class);

    failNext(-1, 0, null);
    // Its log readers must not take the commit for published: the relay publishes it again.
    assertThat(repository().readLog(1, 10))
        .extracting(LoggedEvent::published)
        .containsExactly(false, false);
  }

  /** Makes the next {@code count} operations (-1: all until healed) fail with {@code code}. */
  private static void failNext(int code, int count, Integer operation) {
    ObjectNode payload =
        JSON.createObjectNode().put("code", code < 0 ? 0 : code).put("count", count);
    if (operation != null) {
      payload.put("operation", operation);
    }
    mock.command("OPFAIL", payload);
  }
}
