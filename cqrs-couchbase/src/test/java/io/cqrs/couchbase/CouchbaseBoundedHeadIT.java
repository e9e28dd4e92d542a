package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.ConcurrencyException;
import io.cqrs.DuplicateCommandException;
import io.cqrs.SerializationException;
import io.cqrs.VersionedEvent;
import io.cqrs.testing.Await;
import io.cqrs.testing.OwnThread;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A stream's head stays bounded however long the stream grows: its oldest commits move to pages and
 * their commands to buckets ({@link HeadArchive}), and nothing a head promised is lost on the way —
 * every event loads from any version, every command is still refused a second effect, and an
 * archiver that dies half-way is finished by the next.
 */
class CouchbaseBoundedHeadIT extends RepositoryIT {
  private static final int WINDOW = 4;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final CouchbaseEventStreamRepository repository = builder().headWindow(WINDOW).build();

  /** Commits of 1, 2 or 3 events, each the effect of command "command-<n>"; the last version. */
  private long writeCommits(CouchbaseEventStreamRepository store, String stream, int commits) {
    long version = store.version(stream);
    for (int n = 0; n < commits; n++) {
      int size = 1 + n % 3;
      store.save(
          stream, version, batch(stream, version, size), "command-" + stream + "-" + version);
      version += size;
    }
    return version;
  }

  @Test
  void a_long_stream_keeps_a_bounded_head_and_loads_every_event_from_any_version()
      throws Exception {
    long last = writeCommits(repository, "acc-1", 60);
    awaitHeadArchived("acc-1", last, WINDOW);

    JsonNode head = head("acc-1");
    assertThat(head.path("f").asInt()).isEqualTo(DocumentCodec.PAGED_FORMAT);
    assertThat(head.path("c").size()).isLessThanOrEqualTo(2 * WINDOW);
    assertThat(head.path("m").size()).isLessThanOrEqualTo(head.path("c").size());
    long pages = head.path("a").path(1).asLong();
    assertThat(pages).isPositive();
    assertThat(raw(keys.headPage("acc-1", pages))).isEmpty();
    int listed = head.path("c").size();
    for (long page = 0; page < pages; page++) {
      listed += JSON.readTree(raw(keys.headPage("acc-1", page)).orElseThrow()).path("c").size();
    }
    assertThat(listed).as("commits in the pages and the head").isEqualTo(60);

    List<VersionedEvent> all = repository.load("acc-1");
    assertThat(all).extracting(VersionedEvent::version).hasSize((int) last);
    for (int i = 0; i < all.size(); i++) {
      assertThat(all.get(i).version()).isEqualTo(i + 1);
    }
    for (long from = 1; from <= last + 1; from++) {
      assertThat(repository.load("acc-1", from))
          .as("load from %d", from)
          .containsExactlyElementsOf(all.subList((int) from - 1, all.size()));
    }
    assertThat(repository.version("acc-1")).isEqualTo(last);
    // A fresh repository (no cache, no memory of the saves) reads the same.
    assertThat(builder().build().load("acc-1")).containsExactlyElementsOf(all);
  }

  /**
   * A head with more pages than a load reads whole: a load from late in the stream searches for its
   * first page and reads no page before it (page 0 is removed to prove it), and a load from
   * anywhere still returns exactly the events from there.
   */
  @Test
  void a_load_from_late_in_a_long_stream_reads_only_the_pages_from_there() {
    CouchbaseEventStreamRepository narrow = builder().headWindow(1).build();
    long version = 0;
    for (int n = 0; n < StreamReader.PAGES_READ_WHOLE * 2 + 8; n++) {
      narrow.save("acc-6", version, batch("acc-6", version, 1));
      version++;
      long now = version;
      // One archive per save: a page per save, so the pages outnumber what a load reads whole.
      Await.until(
          "the head of acc-6 at " + now + " and archived",
          () -> {
            JsonNode head = head("acc-6");
            return head.path("v").asLong() == now && now - head.path("a").path(0).asLong() < 2;
          });
    }
    long last = version;
    long pages = head("acc-6").path("a").path(1).asLong();
    assertThat(pages).isGreaterThan(StreamReader.PAGES_READ_WHOLE);
    List<VersionedEvent> all = narrow.load("acc-6");
    assertThat(all).hasSize((int) last);
    for (long from = 1; from <= last + 1; from++) {
      assertThat(narrow.load("acc-6", from))
          .as("load from %d", from)
          .containsExactlyElementsOf(all.subList((int) from - 1, all.size()));
    }

    collection.remove(keys.headPage("acc-6", 0));
    long late = last - 3;
    assertThat(narrow.load("acc-6", late))
        .containsExactlyElementsOf(all.subList((int) late - 1, all.size()));
    assertThatThrownBy(() -> narrow.load("acc-6", 1))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(keys.headPage("acc-6", 0))
        .hasMessageContaining("missing");
  }

  @Test
  void every_command_stays_refused_after_its_commit_moved_to_a_page() throws Exception {
    long last = writeCommits(repository, "acc-2", 40);
    awaitHeadArchived("acc-2", last, WINDOW);
    assertThat(head("acc-2").path("a").path(1).asLong()).isPositive();

    for (long version = 0; version < last; version++) {
      String commandId = "command-acc-2-" + version;
      if (raw(keys.claim("acc-2", version + 1)).isEmpty()) {
        continue; // no commit starts at version + 1, so no command was named after it
      }
      long expected = last;
      assertThatThrownBy(
              () -> repository.save("acc-2", expected, batch("acc-2", expected, 1), commandId))
          .as(commandId)
          .isInstanceOf(DuplicateCommandException.class);
    }
    repository.save("acc-2", last, batch("acc-2", last, 1), "a-new-command");
    assertThat(repository.version("acc-2")).isEqualTo(last + 1);
  }

  /**
   * Duplicates of earlier commands race the stream's own writer while its head keeps moving commits
   * to pages (a window of 4 versions: an archive every few saves), so every duplicate check meets
   * the head before, during or after an archive. None may commit.
   */
  @Test
  void duplicates_racing_the_archiver_never_commit_a_second_effect() throws Exception {
    List<String> committed = new java.util.concurrent.CopyOnWriteArrayList<>();
    CountDownLatch started = new CountDownLatch(1);
    AtomicInteger refused = new AtomicInteger();
    CompletableFuture<Void> writer =
        OwnThread.runAsync(
            () -> {
              long version = 0;
              for (int n = 0; n < 80; n++) {
                String commandId = "w-" + n;
                repository.save("acc-3", version, batch("acc-3", version, 1), commandId);
                committed.add(commandId);
                version++;
                started.countDown();
              }
            });
    CompletableFuture<Void> duplicates =
        OwnThread.runAsync(
            () -> {
              await(started);
              int n = 0;
              while (!writer.isDone()) {
                String commandId = committed.get(n++ % committed.size());
                long version = repository.version("acc-3");
                try {
                  repository.save("acc-3", version, batch("acc-3", version, 1), commandId);
                  throw new AssertionError(commandId + " committed twice at " + (version + 1));
                } catch (DuplicateCommandException e) {
                  refused.incrementAndGet();
                } catch (ConcurrencyException e) {
                  // the writer was first; the next attempt reads the new version
                }
              }
            });
    writer.get(60, TimeUnit.SECONDS);
    duplicates.get(60, TimeUnit.SECONDS);

    // Then every command once more, nothing racing: each must be refused, wherever it now is.
    for (String commandId : committed) {
      long version = repository.version("acc-3");
      assertThatThrownBy(
              () -> repository.save("acc-3", version, batch("acc-3", version, 1), commandId))
          .as(commandId)
          .isInstanceOf(DuplicateCommandException.class);
    }
    assertThat(refused.get()).as("duplicates refused while racing").isPositive();
    assertThat(repository.load("acc-3")).hasSize(80);
    awaitHeadArchived("acc-3", 80, WINDOW);
    assertThat(head("acc-3").path("a").path(1).asLong()).isPositive();
  }

  /**
   * An archiver died after inserting its page (a shorter one than the next archiver would write)
   * and after copying some of its commands: the next archiver takes the page as it is, finishes,
   * and nothing is lost or doubled.
   */
  @Test
  void an_archiver_that_died_after_its_page_is_finished_by_the_next() throws Exception {
    CouchbaseEventStreamRepository wide = builder().headWindow(1_000).build();
    long last = writeCommits(wide, "acc-4", 12); // 24 versions, never archived with 1,000
    Await.until("the head at " + last, () -> head("acc-4").path("v").asLong() == last);
    StreamHead head = new StreamReader(kv, keys, codec).head("acc-4");
    List<StreamHead.Entry> deadPage = head.commits().subList(0, 3);
    kv.insert(keys.headPage("acc-4", 0), codec.headPage("acc-4", 0, 0, deadPage));
    String copied = KeyLayout.commandHash("command-acc-4-0");
    kv.upsertCreatingAsync(
            keys.commandBucket("acc-4", copied), Map.of(DocumentCodec.COMMANDS + "." + copied, 1L))
        .block();

    long next = last;
    repository.save("acc-4", next, batch("acc-4", next, 1), "command-after");
    awaitHeadArchived("acc-4", last + 1, WINDOW);

    JsonNode archived = head("acc-4");
    assertThat(archived.path("a").path(1).asLong()).isGreaterThanOrEqualTo(2);
    assertThat(JSON.readTree(raw(keys.headPage("acc-4", 0)).orElseThrow()).path("c").size())
        .as("the dead archiver's page, kept as it was")
        .isEqualTo(3);
    List<VersionedEvent> all = repository.load("acc-4");
    assertThat(all).extracting(VersionedEvent::version).hasSize((int) last + 1);
    for (int i = 0; i < all.size(); i++) {
      assertThat(all.get(i).version()).isEqualTo(i + 1);
    }
    assertThatThrownBy(
            () ->
                repository.save("acc-4", last + 1, batch("acc-4", last + 1, 1), "command-acc-4-0"))
        .isInstanceOf(DuplicateCommandException.class);
    assertThatThrownBy(
            () ->
                repository.save("acc-4", last + 1, batch("acc-4", last + 1, 1), "command-acc-4-3"))
        .isInstanceOf(DuplicateCommandException.class);
  }

  @Test
  void a_corrupt_or_missing_page_fails_the_loads_that_need_it_and_no_other() throws Exception {
    long last = writeCommits(repository, "acc-5", 30);
    awaitHeadArchived("acc-5", last, WINDOW);
    long archivedThrough = head("acc-5").path("a").path(0).asLong();

    writeRaw(
        keys.headPage("acc-5", 0), "{\"f\":2,\"s\":\"acc-5\",\"i\":0,\"o\":0,\"c\":[[1,999999]]}");
    assertThatThrownBy(() -> repository.load("acc-5"))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(keys.headPage("acc-5", 1));
    collection.remove(keys.headPage("acc-5", 0));
    assertThatThrownBy(() -> repository.load("acc-5"))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(keys.headPage("acc-5", 0))
        .hasMessageContaining("missing");

    assertThat(repository.load("acc-5", archivedThrough + 1))
        .extracting(VersionedEvent::version)
        .first()
        .isEqualTo(archivedThrough + 1);
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(30, TimeUnit.SECONDS)) {
        throw new AssertionError("timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
