package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventSerializer;
import io.cqrs.SerializationException;
import io.cqrs.VersionedEvent;
import io.cqrs.memory.InMemoryEventStreamRepository;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The serializing in-memory store is where a test meets what Couchbase refuses: a save whose events
 * take exactly the limit was taken in memory (which counted only the events) and refused here,
 * whose commit document also holds its fields, the stream id, the aggregate type and the commas.
 */
class CouchbaseInMemorySizeParityIT extends RepositoryIT {
  private static final String STREAM = "acc-1";

  private static String outcome(Runnable save) {
    try {
      save.run();
      return "stored";
    } catch (SerializationException e) {
      return "refused";
    }
  }

  @Test
  void a_save_whose_events_take_exactly_the_in_memory_limit_has_the_same_outcome_on_couchbase() {
    EventSerializer serializer = TestEvents.serializer();
    int envelope =
        serializer.serialize(TestEvents.event(STREAM, 1, new TestEvents.Noted(""), "corr-1"))
            .length;
    VersionedEvent event =
        TestEvents.event(
            STREAM,
            1,
            new TestEvents.Noted(
                "x".repeat(InMemoryEventStreamRepository.MAX_SAVE_BYTES - envelope)),
            "corr-1");
    assertThat(serializer.serialize(event)).hasSize(InMemoryEventStreamRepository.MAX_SAVE_BYTES);

    InMemoryEventStreamRepository memory = InMemoryEventStreamRepository.serializing(serializer);
    CouchbaseEventStreamRepository couchbase = repository();

    String inMemory = outcome(() -> memory.save(STREAM, 0, List.of(event)));
    String onCouchbase = outcome(() -> couchbase.save(STREAM, 0, List.of(event)));

    assertThat(inMemory)
        .as("the serializing in-memory store is where a test meets what Couchbase refuses")
        .isEqualTo(onCouchbase);
  }
}
