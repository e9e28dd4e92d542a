package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.DuplicateCommandException;
import io.cqrs.VersionedEvent;
import io.cqrs.testing.Await;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A command's effect stays single when its first writer dies between any two of a save's writes:
 * the store commit (prepared, not claimed), the claim (head not moved) and the head. The next
 * delivery of the same command must find the effect, or find none and commit it once.
 */
class CouchbaseCommandCrashIT extends RepositoryIT {
  private final CouchbaseEventStreamRepository repository = repository();

  @Test
  void a_writer_that_died_after_its_commit_document_is_completed_by_a_reader_and_counts() {
    repository.save("acc-1", 0, batch("acc-1", 0, 1));
    String command = KeyLayout.commandHash("command-1");
    long seq = kv.increment(keys.sequence());
    kv.insert(keys.log(seq), codec.commit("acc-1", batch("acc-1", 1, 1), command));

    // A log reader finds the prepared commit and completes it, claim and command included.
    assertThat(repository.readLog(1, 10)).hasSize(2);

    assertThatThrownBy(() -> repository.save("acc-1", 2, batch("acc-1", 2, 1), "command-1"))
        .isInstanceOf(DuplicateCommandException.class);
    assertThat(repository.version("acc-1")).isEqualTo(2);
  }

  @Test
  void a_redelivery_racing_a_dead_writers_prepared_commit_commits_the_command_once() {
    repository.save("acc-1", 0, batch("acc-1", 0, 1));
    long seq = kv.increment(keys.sequence());
    kv.insert(
        keys.log(seq),
        codec.commit("acc-1", batch("acc-1", 1, 1), KeyLayout.commandHash("command-1")));

    // The redelivery finds version 1 free (the claim is missing) and takes version 2 itself.
    repository.save("acc-1", 1, batch("acc-1", 1, 1), "command-1");

    // The prepared commit lost version 2 for good: readers skip it.
    assertThat(repository.readLog(1, 10)).hasSize(2);
    assertThat(repository.load("acc-1")).hasSize(2);
    assertThatThrownBy(() -> repository.save("acc-1", 2, batch("acc-1", 2, 1), "command-1"))
        .isInstanceOf(DuplicateCommandException.class);
  }

  @Test
  void a_writer_that_died_after_its_claim_is_found_through_the_claims_past_the_head() {
    repository.save("acc-1", 0, batch("acc-1", 0, 1));
    long seq = kv.increment(keys.sequence());
    String command = KeyLayout.commandHash("command-1");
    kv.insert(keys.log(seq), codec.commit("acc-1", batch("acc-1", 1, 1), command));
    kv.insert(keys.claim("acc-1", 2), codec.claim(seq, 2, command));

    assertThatThrownBy(() -> repository.save("acc-1", 2, batch("acc-1", 2, 1), "command-1"))
        .isInstanceOf(DuplicateCommandException.class);
    // Once another save repairs the head, the head's own command set answers.
    repository.save("acc-1", 2, batch("acc-1", 2, 1), "command-2");
    assertThat(new StreamReader(kv, keys, codec).head("acc-1").version()).isEqualTo(3);
    assertThatThrownBy(() -> repository.save("acc-1", 3, batch("acc-1", 3, 1), "command-1"))
        .isInstanceOf(DuplicateCommandException.class);
  }

  @Test
  void a_head_repaired_over_more_commands_than_one_mutation_holds_records_all_of_them() {
    repository.save("acc-1", 0, batch("acc-1", 0, 1));
    // Forty writers claimed versions 2..41 and died before moving the head.
    List<String> commands = new ArrayList<>();
    for (int version = 2; version <= 41; version++) {
      String commandId = "command-" + version;
      commands.add(commandId);
      String command = KeyLayout.commandHash(commandId);
      long seq = kv.increment(keys.sequence());
      kv.insert(keys.log(seq), codec.commit("acc-1", batch("acc-1", version - 1, 1), command));
      kv.insert(keys.claim("acc-1", version), codec.claim(seq, version, command));
    }

    repository.save("acc-1", 41, batch("acc-1", 41, 1), "command-42");

    // The save moves the head without waiting: three CAS-chained mutations here.
    Await.until(
        "the head repaired to version 42",
        () -> new StreamReader(kv, keys, codec).head("acc-1").version() == 42);
    for (String commandId : commands) {
      assertThatThrownBy(() -> repository.save("acc-1", 42, batch("acc-1", 42, 1), commandId))
          .as(commandId)
          .isInstanceOf(DuplicateCommandException.class);
    }
    assertThat(repository.load("acc-1")).extracting(VersionedEvent::version).hasSize(42);
  }

  /**
   * A load from just past the head (a cached aggregate's) reads the head and the next claim at
   * once: it must follow a dead writer's claim chain past the head, and must not take a claim the
   * head has already moved past for a new one.
   */
  @Test
  void a_load_from_just_past_the_head_reads_a_dead_writers_claims_and_never_a_stale_one() {
    repository.save("acc-3", 0, batch("acc-3", 0, 1));
    List<VersionedEvent> dead = batch("acc-3", 1, 2); // versions 2 and 3, never in the head
    long seq = kv.increment(keys.sequence());
    kv.insert(keys.log(seq), codec.commit("acc-3", dead));
    kv.insert(keys.claim("acc-3", 2), codec.claim(seq, 3));

    assertThat(repository.loadStream("acc-3", 2).events()).containsExactlyElementsOf(dead);
    assertThat(repository.loadStream("acc-3", 3).events()).containsExactly(dead.get(1));
    assertThat(repository.loadStream("acc-3", 4).events()).isEmpty();
    // A cached aggregate at version 1 probes the claim on 2 alone: it exists, so it loads.
    assertThat(repository.loadStreamAfter("acc-3", 1).events()).containsExactlyElementsOf(dead);
    assertThat(repository.loadStreamAfter("acc-3", 3).events()).isEmpty();

    List<VersionedEvent> next = batch("acc-3", 3, 1);
    repository.save("acc-3", 3, next); // moves the head to 4; the claim at 2 stays behind it
    assertThat(new StreamReader(kv, keys, codec).head("acc-3").version()).isEqualTo(4);
    assertThat(repository.loadStream("acc-3", 2).events())
        .extracting(VersionedEvent::version)
        .containsExactly(2L, 3L, 4L);
    assertThat(repository.loadStream("acc-3", 4).events()).containsExactlyElementsOf(next);
    assertThat(repository.loadStream("acc-3", 5).events()).isEmpty();
    assertThat(repository.loadStreamAfter("acc-3", 1).events())
        .extracting(VersionedEvent::version)
        .containsExactly(2L, 3L, 4L);
    assertThat(repository.loadStreamAfter("acc-3", 3).events()).containsExactlyElementsOf(next);
    assertThat(repository.loadStreamAfter("acc-3", 4).events()).isEmpty();
  }
}
