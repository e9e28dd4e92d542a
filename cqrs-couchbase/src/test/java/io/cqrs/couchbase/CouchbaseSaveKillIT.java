package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.DuplicateCommandException;
import io.cqrs.EventRelay;
import io.cqrs.VersionedEvent;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.testing.Await;
import io.cqrs.testing.ChildJvm;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A writer in a child JVM killed with SIGKILL between two of its save's writes ({@link SaveChild}
 * parks there); then a redelivery of its command, the stream's readers and the relay run here. The
 * command must take effect exactly once, and the relay must publish every committed event once, in
 * version order.
 */
class CouchbaseSaveKillIT extends RepositoryIT {
  private static final Duration WAIT = Duration.ofSeconds(120);

  private final CouchbaseEventStreamRepository repository = repository();

  @ParameterizedTest
  @EnumSource(
      value = StreamWriter.Step.class,
      names = {"CHECKED", "STORED", "CLAIMED"})
  void a_writer_killed_between_two_writes_leaves_one_effect_and_a_complete_log(
      StreamWriter.Step step) throws Exception {
    repository.save("acc-1", 0, batch("acc-1", 0, 1, "c-0"));
    try (ChildJvm child =
        ChildJvm.start(
            SaveChild.class,
            Map.of(),
            childArgs(step.name(), "acc-1", "1", "2", "command-x", "c-dead"))) {
      child.awaitLine("PARKED", WAIT);
      child.kill();
    }

    // The bus redelivers the command: it finds the dead writer's effect, or commits it itself.
    boolean found = false;
    try {
      repository.save("acc-1", 1, batch("acc-1", 1, 2, "c-redelivered"), "command-x");
    } catch (DuplicateCommandException e) {
      found = true;
    }
    assertThat(found)
        .as("the dead writer's effect counts")
        .isEqualTo(step == StreamWriter.Step.CLAIMED);
    String effect = found ? "c-dead" : "c-redelivered";
    assertThat(repository.load("acc-1"))
        .extracting(VersionedEvent::correlationId)
        .containsExactly("c-0", effect, effect);
    assertThat(repository.eventsByCorrelationId(effect)).hasSize(2);
    assertThat(repository.eventsByCorrelationId(found ? "c-redelivered" : "c-dead")).isEmpty();

    InMemoryEventBus bus = new InMemoryEventBus();
    List<VersionedEvent> published = new CopyOnWriteArrayList<>();
    try (bus) {
      bus.subscribe("watch", 1, published::add);
      EventRelay relay = EventRelay.builder(repository, bus).grace(Duration.ZERO).build();
      // A pass stops before a sequence without a document; the next waits for it, then closes it.
      Await.until(
          WAIT,
          "the relay to publish three events",
          () -> {
            relay.publishPending();
            return published.size() >= 3;
          });
    }
    assertThat(published).extracting(VersionedEvent::version).containsExactly(1L, 2L, 3L);
    assertThat(repository.readLog(1, 10)).allMatch(LoggedEvent::published);
  }
}
