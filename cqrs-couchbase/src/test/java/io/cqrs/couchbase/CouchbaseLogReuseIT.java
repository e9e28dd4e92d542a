package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.SerializationException;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.LoggedEvent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A repository keeps what it resolved of the log (a commit's events and whether it won its
 * version), so that the many segment readers of one process read each commit once. What it gives
 * must always be what the documents say now: publication marks, the one thing that changes, are
 * read again until they cover a commit.
 */
class CouchbaseLogReuseIT extends RepositoryIT {
  private final CouchbaseEventStreamRepository repository = repository();

  @Test
  void a_commit_read_once_is_read_from_memory_next_time() {
    List<VersionedEvent> events = batch("acc-1", 0, 2);
    repository.save("acc-1", 0, events);
    assertThat(repository.readLog(1, 10)).extracting(LoggedEvent::event).isEqualTo(events);

    // Spoil the commit document behind the repository's back: a fresh repository trips over it,
    // the one that read it before does not read it again.
    writeRaw(keys.log(1), "{\"f\":1,\"k\":\"c\",\"broken\":true}");
    assertThat(repository.readLog(1, 10)).extracting(LoggedEvent::event).isEqualTo(events);
    assertThatThrownBy(() -> repository().readLog(1, 10))
        .isInstanceOf(SerializationException.class);
  }

  @Test
  void publication_marks_are_read_again_until_they_cover_the_commit() {
    repository.save("acc-2", 0, batch("acc-2", 0, 2));
    assertThat(repository.readLog(1, 10)).extracting(LoggedEvent::published).containsOnly(false);

    repository.markPublished("acc-2", 1, 1);
    assertThat(repository.readLog(1, 10))
        .extracting(LoggedEvent::published)
        .containsExactly(true, false);
    repository.markPublished("acc-2", 2, 2);
    assertThat(repository.readLog(1, 10))
        .extracting(LoggedEvent::published)
        .containsExactly(true, true);

    // Marked throughout: final, so the claim is not read again (nor the commit).
    writeRaw(keys.claim("acc-2", 1), "not json");
    writeRaw(keys.log(1), "not json");
    assertThat(repository.readLog(1, 10))
        .extracting(LoggedEvent::published)
        .containsExactly(true, true);
  }

  @Test
  void a_commit_its_writer_marked_in_the_background_is_known_published_without_its_claim()
      throws Exception {
    repository.save("acc-5", 0, batch("acc-5", 0, 2));
    repository.markPublishedAsync("acc-5", 1, 2).toCompletableFuture().get();

    // The mark is on the server: another process reads it in the claim.
    assertThat(repository().readLog(1, 10))
        .extracting(LoggedEvent::published)
        .containsExactly(true, true);
    // The writer's own readers (its relay) know it once the add landed: the claim is not read.
    writeRaw(keys.claim("acc-5", 1), "not json");
    assertThat(repository.readLog(1, 10))
        .extracting(LoggedEvent::published)
        .containsExactly(true, true);
  }

  @Test
  void a_background_mark_of_part_of_a_commit_leaves_the_rest_to_be_read_in_the_claim()
      throws Exception {
    repository.save("acc-6", 0, batch("acc-6", 0, 2));
    repository.markPublishedAsync("acc-6", 1, 1).toCompletableFuture().get();

    assertThat(repository.readLog(1, 10))
        .extracting(LoggedEvent::published)
        .containsExactly(true, false);
    // Not marked throughout, so the claim is still read: the relay's later mark shows.
    repository().markPublished("acc-6", 2, 2);
    assertThat(repository.readLog(1, 10))
        .extracting(LoggedEvent::published)
        .containsExactly(true, true);
  }

  @Test
  void a_commit_that_lost_its_version_and_a_gap_marker_stay_skipped_and_a_missing_one_is_not_kept()
      throws Exception {
    repository.save("acc-3", 0, batch("acc-3", 0, 1)); // sequence 1
    // Sequence 2: a commit of version 1 that lost the race (the claim names sequence 1).
    long lost = kv.increment(keys.sequence());
    kv.insert(keys.log(lost), codec.commit("acc-3", batch("acc-3", 0, 1)));
    // Sequence 3 is taken and has no document yet: a write in flight.
    long inFlight = kv.increment(keys.sequence());

    assertThat(repository.readLog(1, 10)).hasSize(1);
    // The late writer's commit lands (versions 2): the next read sees it, nothing kept hides it.
    List<VersionedEvent> late = batch("acc-3", 1, 1);
    kv.insert(keys.log(inFlight), codec.commit("acc-3", late));
    kv.insert(keys.claim("acc-3", 2), codec.claim(inFlight, 2));
    assertThat(repository.readLog(1, 10))
        .extracting(logged -> logged.event().version())
        .containsExactly(1L, 2L);
  }

  @Test
  void sequences_that_share_a_slot_of_the_ring_never_answer_for_each_other() {
    int commits = CommitResolver.KEPT + 40;
    List<VersionedEvent> all = new ArrayList<>();
    for (int i = 0; i < commits; i++) {
      List<VersionedEvent> one = batch("acc-4", i, 1);
      repository.save("acc-4", i, one);
      all.addAll(one);
    }
    // Read everything twice, then the first slots' sequences again: each read must see exactly
    // the events of its own positions, although sequence n and n + KEPT share a slot.
    List<LoggedEvent> first = readAll();
    List<LoggedEvent> second = readAll();
    assertThat(first).extracting(LoggedEvent::event).isEqualTo(all);
    assertThat(second).isEqualTo(first);
    assertThat(repository.readLog(first.get(5).position(), 3)).isEqualTo(first.subList(5, 8));
    assertThat(repository.readLog(first.get(CommitResolver.KEPT + 5).position(), 3))
        .isEqualTo(first.subList(CommitResolver.KEPT + 5, CommitResolver.KEPT + 8));
  }

  private List<LoggedEvent> readAll() {
    List<LoggedEvent> out = new ArrayList<>();
    long from = 1;
    while (true) {
      List<LoggedEvent> page = repository.readLog(from, 500);
      if (page.isEmpty()) {
        return out;
      }
      out.addAll(page);
      from = page.get(page.size() - 1).position() + 1;
    }
  }
}
