package io.cqrs.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.VersionedEvent;
import io.cqrs.spi.LoggedEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The in-memory store keeps a stream's publication marks as a watermark with the stream, and its
 * integration log is read without a lock; these tests pin down what that must not change: marks in
 * any order, marks beyond a stream's end, and a log read while it grows.
 */
class InMemoryPublicationMarksTest {
  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();

  private static List<VersionedEvent> events(String stream, long fromVersion, int count) {
    List<VersionedEvent> events = new ArrayList<>(count);
    for (long v = fromVersion; v < fromVersion + count; v++) {
      events.add(
          new VersionedEvent(
              stream + "-" + v,
              "correlation",
              null,
              stream,
              null,
              null,
              v,
              "Long",
              Instant.EPOCH,
              v,
              Map.of()));
    }
    return events;
  }

  private List<String> marks() {
    return store.readLog(1, 1_000).stream()
        .map(e -> e.event().sourceId() + "@" + e.event().version() + "=" + e.published())
        .toList();
  }

  @Test
  void marks_made_out_of_order_count_as_soon_as_they_are_made() {
    store.save("a", 0, events("a", 1, 5));

    store.markPublished("a", 4, 5);
    store.markPublished("a", 2, 2);
    assertThat(marks())
        .containsExactly("a@1=false", "a@2=true", "a@3=false", "a@4=true", "a@5=true");

    store.markPublished("a", 1, 1);
    assertThat(marks())
        .containsExactly("a@1=true", "a@2=true", "a@3=false", "a@4=true", "a@5=true");

    store.markPublished("a", 3, 3);
    store.markPublished("a", 2, 4);
    assertThat(marks()).containsOnly("a@1=true", "a@2=true", "a@3=true", "a@4=true", "a@5=true");
  }

  @Test
  void marks_beyond_a_stream_or_of_an_unknown_stream_do_not_mark_events_committed_later() {
    store.save("a", 0, events("a", 1, 2));

    store.markPublished("a", 1, 4);
    store.markPublished("b", 1, 3);
    store.save("a", 2, events("a", 3, 2));
    store.save("b", 0, events("b", 1, 1));

    assertThat(marks())
        .containsExactly("a@1=true", "a@2=true", "a@3=false", "a@4=false", "b@1=false");
  }

  @Test
  void the_log_read_while_commits_go_on_always_shows_a_complete_prefix_in_order() throws Exception {
    int commits = 10_000;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread writer =
        new Thread(
            () -> {
              try {
                for (int i = 1; i <= commits; i++) {
                  String stream = "s" + (i % 7);
                  store.save(
                      stream, store.version(stream), events(stream, store.version(stream) + 1, 1));
                  store.markPublished(stream, 1, store.version(stream));
                }
              } catch (Throwable e) {
                failure.set(e);
              }
            });
    writer.start();
    int seen = 0;
    while (writer.isAlive() || seen < commits) {
      // Entries are built as they are read: a slot read before it was written would fail here
      // (a LoggedEvent needs an event) or break the order checked below.
      List<LoggedEvent> log = store.readLog(1, commits);
      assertThat(log.size()).isGreaterThanOrEqualTo(seen);
      for (int i = 0; i < log.size(); i++) {
        assertThat(log.get(i).position()).isEqualTo(i + 1L);
      }
      seen = log.size();
      if (!writer.isAlive() && failure.get() != null) {
        break;
      }
    }
    writer.join();
    assertThat(failure.get()).isNull();
    List<LoggedEvent> log = store.readLog(1, commits);
    assertThat(log).hasSize(commits).allMatch(LoggedEvent::published);
    for (int s = 0; s < 7; s++) {
      String stream = "s" + s;
      assertThat(log.stream().filter(e -> e.event().sourceId().equals(stream)))
          .extracting(e -> e.event().version())
          .isSorted()
          .doesNotHaveDuplicates();
    }
  }

  @Test
  void a_mark_once_seen_is_never_unseen_while_out_of_order_marks_fold_into_the_watermark()
      throws Exception {
    // Each stream has version 2 marked out of order (waiting in the bit set); the writer then marks
    // version 1, which folds both into the watermark. A reader that saw the old watermark and then
    // looked at the emptied bit set would report version 2 unpublished.
    int streams = 200_000;
    AppendOnlyEvents[] all = new AppendOnlyEvents[streams];
    for (int i = 0; i < streams; i++) {
      all[i] = new AppendOnlyEvents();
      synchronized (all[i]) {
        all[i].append(events("s" + i, 1, 2), null);
        all[i].markPublished(2, 2);
      }
    }
    Thread writer =
        new Thread(
            () -> {
              for (AppendOnlyEvents stream : all) {
                synchronized (stream) {
                  stream.markPublished(1, 1);
                }
              }
            });
    writer.start();
    int unseen = 0;
    do {
      for (AppendOnlyEvents stream : all) {
        if (!stream.isPublished(2)) {
          unseen++;
        }
      }
    } while (writer.isAlive());
    writer.join();
    assertThat(unseen).as("reads of a marked version that answered unpublished").isZero();
    assertThat(all).allMatch(stream -> stream.isPublished(1) && stream.isPublished(2));
  }
}
