package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.DuplicateCommandException;
import io.cqrs.VersionedEvent;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * An archiver races the saves of its stream: copying a page's commands to their buckets takes a
 * round trip per bucket, longer than a save, so on a stream that is being written a save moves the
 * head while the archiver copies. The archiver must still replace the head (built from the head as
 * it is then, keeping the commits and commands the save added), or a written stream's head grows
 * without bound, which is what archiving is for.
 */
class CouchbaseHeadArchiveRaceIT extends RepositoryIT {
  private static final int WINDOW = 4;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A writer that never archives (its window is wider than the stream), playing other saves. */
  private CouchbaseEventStreamRepository wide() {
    return builder().headWindow(1_000).build();
  }

  /**
   * A save of one event for {@code command} at the stream's end, its head moved when it returns.
   */
  private void saveAtEnd(String stream, String command) {
    try (CouchbaseEventStreamRepository other = wide()) {
      long version = other.version(stream);
      other.save(stream, version, batch(stream, version, 1), command);
    } // close() waits for the head update
  }

  @Test
  void an_archive_replaces_the_head_although_a_save_moves_it_during_every_command_copy() {
    String stream = "acc-1";
    List<String> commands = new CopyOnWriteArrayList<>();
    for (int n = 0; n < 12; n++) {
      commands.add("before-" + n);
      saveAtEnd(stream, "before-" + n);
    }
    CouchbaseEventStreamRepository archiving =
        builder()
            .headWindow(WINDOW)
            .archiveHook(
                (step, streamId) ->
                    Mono.fromRunnable(
                            () -> {
                              // A save of the stream lands while the commands are copied.
                              String command = "during-" + commands.size();
                              saveAtEnd(streamId, command);
                              commands.add(command);
                            })
                        .subscribeOn(Schedulers.boundedElastic())
                        .then())
            .build();

    archiving.save(stream, 12, batch(stream, 12, 1), "trigger");
    commands.add("trigger");

    Await.until(
        Duration.ofSeconds(20),
        "the head of " + stream + " archived",
        () -> head(stream).path("a").path(1).asLong() > 0);
    long version = archiving.version(stream);
    JsonNode head = head(stream);
    assertThat(head.path("v").asLong()).isEqualTo(version);
    assertThat(version - head.path("a").path(0).asLong())
        .as("versions the head still lists")
        .isLessThan(2 * WINDOW + 2);
    assertThat(commands).as("saves that landed during a copy").hasSizeGreaterThan(13);

    List<VersionedEvent> all = archiving.load(stream);
    assertThat(all).hasSize(commands.size());
    for (int i = 0; i < all.size(); i++) {
      assertThat(all.get(i).version()).isEqualTo(i + 1);
    }
    List<String> admitted = new ArrayList<>();
    for (String command : commands) {
      long end = archiving.version(stream);
      try {
        archiving.save(stream, end, batch(stream, end, 1), command);
        admitted.add(command);
      } catch (DuplicateCommandException expected) {
        // refused: its effect is in the stream
      }
    }
    assertThat(admitted).as("commands given a second effect").isEmpty();
    assertThatThrownBy(() -> archiving.save(stream, 0, batch(stream, 0, 1), "trigger"))
        .isInstanceOf(DuplicateCommandException.class);
  }

  /**
   * The relay marks a range that starts inside a commit whose entry has moved to a page (a relay
   * catching up after a long stop): the marker finds the commit through the pages, and marks the
   * claim of every commit the range touches, archived or not.
   */
  @Test
  void a_publication_mark_inside_an_archived_commit_lands_on_its_claim() throws Exception {
    String stream = "acc-2";
    try (CouchbaseEventStreamRepository writer = builder().headWindow(WINDOW).build()) {
      for (long version = 0; version < 60; version += 3) {
        writer.save(stream, version, batch(stream, version, 3), "command-" + version);
      }
    }
    Await.until(
        "the head of " + stream + " archived",
        () ->
            head(stream).path("v").asLong() == 60
                && 60 - head(stream).path("a").path(0).asLong() < 2 * WINDOW);
    assertThat(head(stream).path("a").path(0).asLong()).isGreaterThan(30);

    CouchbaseEventStreamRepository relay = builder().headWindow(WINDOW).build();
    relay.markPublished(stream, 2, 2);
    relay.markPublished(stream, 5, 59);
    assertThat(JSON.readTree(raw(keys.claim(stream, 1)).orElseThrow()).path("p").toString())
        .contains(PublicationMarks.range(2, 2));
    assertThat(JSON.readTree(raw(keys.claim(stream, 4)).orElseThrow()).path("p").toString())
        .contains(PublicationMarks.range(5, 59));
    for (long first = 7; first <= 58; first += 3) {
      assertThat(JSON.readTree(raw(keys.claim(stream, first)).orElseThrow()).path("p").size())
          .as("marks on the claim of version %d", first)
          .isPositive();
    }
  }
}
