package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.couchbase.client.java.Cluster;
import io.cqrs.DuplicateCommandException;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.couchbase.testing.KvOperationCounter;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A save made for a command on a stream whose head has moved commands to buckets reads the
 * command's bucket in the same round trip as the head, when an earlier save of the same writer saw
 * the head's archive mark, and after the head otherwise (docs/couchbase.md, "Bounded heads"). The
 * adversary is an archiver that moves the command into its bucket after that bucket read and before
 * the head lookup: the duplicate must still be refused.
 */
class CouchbaseLongStreamSaveIT extends RepositoryIT {
  private static final int WINDOW = 4;
  private static final KvOperationCounter COUNTER = new KvOperationCounter();
  private static Cluster counted;

  /** The tally of the save being counted. */
  private static final AtomicReference<KvOperationCounter.Tally> COUNTER_TALLY =
      new AtomicReference<>();

  /** What the writer's save hook does at {@link StreamWriter.Step#SEQUENCE_ASKED}, if anything. */
  private final AtomicReference<Runnable> atHeadLookup = new AtomicReference<>();

  /** The writer, on a connection of its own whose operations are counted. */
  private final CouchbaseEventStreamRepository writer =
      CouchbaseEventStreamRepository.builder(
              counted.bucket(server.bucketName()).defaultCollection(), TestEvents.serializer())
          .keyPrefix(prefix)
          .gapGracePeriod(SHORT_GRACE)
          .headWindow(WINDOW)
          .saveHook(
              step -> {
                Runnable action = atHeadLookup.get();
                if (step == StreamWriter.Step.SEQUENCE_ASKED && action != null) {
                  action.run();
                }
              })
          .build();

  /** Another process's writer of the same streams. */
  private final CouchbaseEventStreamRepository other = builder().headWindow(WINDOW).build();

  @BeforeAll
  static void connect() {
    counted = CouchbaseTestServer.shared().connect(env -> env.requestTracer(COUNTER));
  }

  @AfterAll
  static void disconnect() {
    counted.disconnect();
  }

  @AfterEach
  void close() {
    writer.close();
    other.close();
  }

  @Test
  void a_save_on_a_stream_with_pages_reads_the_command_bucket_with_the_head() {
    long end = archivedStream("long");
    writer.save("long", end, batch("long", end, 1), "seen"); // its lookup sees the archive mark
    awaitHeadArchived("long", end + 1, WINDOW);
    writer.save("short", 0, batch("short", 0, 1), "first");
    awaitHeadArchived("short", 1, WINDOW);
    Map<String, Long> sentBeforeTheHeadLookup = new TreeMap<>();
    atHeadLookup.set(() -> sentBeforeTheHeadLookup.putAll(COUNTER_TALLY.get().byOperation()));

    KvOperationCounter.Tally onLong =
        counted(() -> writer.save("long", end + 1, batch("long", end + 1, 1), "next"));
    Map<String, Long> onLongBeforeTheHead = new TreeMap<>(sentBeforeTheHeadLookup);
    sentBeforeTheHeadLookup.clear();
    KvOperationCounter.Tally onShort =
        counted(() -> writer.save("short", 1, batch("short", 1, 1), "next"));

    assertThat(onLongBeforeTheHead)
        .as("sent with the head lookup on the long stream")
        .isEqualTo(Map.of("increment", 1L, "lookup_in", 1L));
    assertThat(sentBeforeTheHeadLookup)
        .as("sent with the head lookup on the short stream")
        .isEqualTo(Map.of("increment", 1L));
    Map<String, Long> shortPlusBucket = new TreeMap<>(onShort.byOperation());
    shortPlusBucket.merge("lookup_in", 1L, Long::sum);
    assertThat(onLong.byOperation()).isEqualTo(shortPlusBucket);
    assertThat(writer.version("long")).isEqualTo(end + 2);
  }

  @Test
  void a_duplicate_whose_commit_is_in_a_page_is_refused_by_the_bucket_read_with_the_head() {
    long end = archivedStream("long");
    long archived = head("long").path("a").path(0).asLong();
    writer.save("long", end, batch("long", end, 1), "seen");
    awaitHeadArchived("long", end + 1, WINDOW);
    String moved = "command-" + (archived - 1); // the command of the commit ending at `archived`
    Map<String, Long> sentBeforeTheHeadLookup = new TreeMap<>();
    atHeadLookup.set(() -> sentBeforeTheHeadLookup.putAll(COUNTER_TALLY.get().byOperation()));

    KvOperationCounter.Tally tally =
        counted(
            () ->
                assertThatThrownBy(
                        () -> writer.save("long", end + 1, batch("long", end + 1, 1), moved))
                    .isInstanceOf(DuplicateCommandException.class));

    assertThat(sentBeforeTheHeadLookup)
        .as("sent with the head lookup")
        .isEqualTo(Map.of("increment", 1L, "lookup_in", 1L));
    assertThat(tally.byOperation().get("lookup_in"))
        .as("no bucket read after the head")
        .isEqualTo(2);
    assertThat(writer.version("long")).isEqualTo(end + 1);
  }

  /**
   * The bucket read sent with the head lookup is answered before another writer's archiver moves
   * the command from the head into its bucket, and the head lookup is sent after: the bucket read
   * missed the command, and the head no longer lists it. The archive mark the lookup reads has
   * changed since the writer's last save, so the writer reads the bucket again.
   */
  @Test
  void an_archive_between_the_bucket_read_and_the_head_lookup_does_not_let_a_duplicate_commit() {
    long end = archivedStream("long");
    long archived = head("long").path("a").path(0).asLong();
    writer.save("long", end, batch("long", end, 1), "seen"); // records the archive mark
    awaitHeadArchived("long", end + 1, WINDOW);
    assertThat(end + 1 - archived).as("not due again yet").isLessThan(2 * WINDOW);
    String duplicate = "command-" + (archived + 1); // in the head's commands, not yet in a page
    // The head is due again at this version: its archive then moves the duplicate's commit.
    long target = archived + 2 * WINDOW;

    Map<String, Long> sentBeforeTheHeadLookup = new TreeMap<>();
    atHeadLookup.set(
        () -> {
          atHeadLookup.set(null);
          sentBeforeTheHeadLookup.putAll(COUNTER_TALLY.get().byOperation());
          // The increment and the bucket read have been sent with this lookup: let them answer.
          COUNTER_TALLY.get().awaitAnswers(Duration.ofSeconds(30));
          // Another writer saves until its archiver has moved the duplicate's commit to a page.
          for (long version = end + 1; version < target; version++) {
            other.save("long", version, batch("long", version, 1), "other-" + version);
          }
          awaitHeadArchived("long", target, WINDOW);
          assertThat(head("long").path("a").path(0).asLong()).isGreaterThan(archived + 1);
        });
    KvOperationCounter.Tally tally =
        counted(
            () ->
                assertThatThrownBy(
                        () -> writer.save("long", target, batch("long", target, 1), duplicate))
                    .isInstanceOf(DuplicateCommandException.class));

    assertThat(sentBeforeTheHeadLookup)
        .as("sent with the head lookup")
        .isEqualTo(Map.of("increment", 1L, "lookup_in", 1L));
    assertThat(tally.byOperation().get("lookup_in"))
        .as("the bucket read ahead, the head lookup, and the bucket read after it")
        .isEqualTo(3);
    assertThat(writer.load("long")).hasSize((int) target);
  }

  /** The operations {@code save} makes on the calling thread, with its answers all in. */
  private static KvOperationCounter.Tally counted(Runnable save) {
    KvOperationCounter.Tally tally = new KvOperationCounter.Tally();
    COUNTER_TALLY.set(tally);
    COUNTER.start(tally);
    try {
      save.run();
    } finally {
      COUNTER.stop();
    }
    tally.awaitAnswers(Duration.ofSeconds(30));
    return tally;
  }

  /**
   * Writes single-event commits of commands {@code command-<version before>} to {@code stream}
   * until its head has moved some to a page and stands settled, not due for another archive for a
   * few saves; returns the stream's version.
   */
  private long archivedStream(String stream) {
    long version = 0;
    while (true) {
      writer.save(stream, version, batch(stream, version, 1), "command-" + version);
      version++;
      awaitHeadArchived(stream, version, WINDOW);
      long archived = head(stream).path("a").path(0).asLong();
      if (archived > 0 && version - archived + 2 < 2 * WINDOW) {
        return version;
      }
    }
  }
}
