package io.cqrs.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.VersionedEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link InMemoryEventStreamRepository#load} returns views that share the stream's storage instead
 * of copies; these tests pin down that a view never changes and never shows a partial write.
 */
class InMemoryStreamViewTest {
  private static final String STREAM = "stream-1";

  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();

  private static List<VersionedEvent> events(long fromVersion, int count) {
    List<VersionedEvent> events = new ArrayList<>(count);
    for (long v = fromVersion; v < fromVersion + count; v++) {
      events.add(
          new VersionedEvent(
              "event-" + v,
              "correlation",
              null,
              STREAM,
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

  private static List<Long> versions(List<VersionedEvent> events) {
    return events.stream().map(VersionedEvent::version).toList();
  }

  @Test
  void a_loaded_stream_stays_as_it_was_while_the_stream_grows_past_its_storage() {
    store.save(STREAM, 0, events(1, 3));
    List<VersionedEvent> loaded = store.load(STREAM);

    store.save(STREAM, 3, events(4, 100));

    assertThat(versions(loaded)).containsExactly(1L, 2L, 3L);
    assertThat(store.load(STREAM)).hasSize(103);
    assertThat(versions(store.load(STREAM, 101))).containsExactly(101L, 102L, 103L);
  }

  @Test
  void a_stream_loaded_from_a_later_version_starts_there() {
    store.save(STREAM, 0, events(1, 5));

    assertThat(versions(store.load(STREAM, 4))).containsExactly(4L, 5L);
    assertThat(store.load(STREAM, 6)).isEmpty();
  }

  @Test
  void a_loaded_stream_cannot_be_changed_or_read_past_its_end() {
    store.save(STREAM, 0, events(1, 2));
    List<VersionedEvent> loaded = store.load(STREAM);
    VersionedEvent other = events(3, 1).get(0);

    assertThatThrownBy(() -> loaded.add(other)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> loaded.set(0, other))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> loaded.remove(0)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> loaded.get(2)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThat(store.load(STREAM)).hasSize(2);
  }

  @Test
  void a_reader_loading_while_a_writer_appends_always_sees_a_whole_prefix() throws Exception {
    int batches = 2_000;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread writer =
        new Thread(
            () -> {
              try {
                for (int b = 0; b < batches; b++) {
                  store.save(STREAM, b * 3L, events(b * 3L + 1, 3));
                }
              } catch (Throwable e) {
                failure.set(e);
              }
            });
    writer.start();
    int last = 0;
    while (last < batches * 3) {
      List<VersionedEvent> loaded = store.load(STREAM);
      assertThat(loaded.size() % 3).as("a save appears whole or not at all").isZero();
      assertThat(loaded.size()).isGreaterThanOrEqualTo(last);
      for (int i = 0; i < loaded.size(); i++) {
        assertThat(loaded.get(i).version()).isEqualTo(i + 1L);
      }
      last = loaded.size();
      if (!writer.isAlive() && last < batches * 3) {
        assertThat(failure.get()).isNull();
      }
    }
    writer.join();
    assertThat(failure.get()).isNull();
  }
}
