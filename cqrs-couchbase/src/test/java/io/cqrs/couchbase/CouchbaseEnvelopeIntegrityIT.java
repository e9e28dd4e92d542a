package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.cqrs.EventSerializer;
import io.cqrs.SerializationException;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import java.util.List;
import java.util.Objects;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * A stored event whose type name and payload disagree fails the load with an error naming the
 * stream (issue 12, item 4). Such a document is never written by a store (no such envelope can be
 * built), so these tests edit one by hand.
 */
class CouchbaseEnvelopeIntegrityIT extends RepositoryIT {
  private static final String STREAM = "acc-1";
  private static final String CORRELATION = "corr-integrity";

  /** Registered under its own name, but Jackson reads it as another class. */
  @JsonDeserialize(as = Impostor.class)
  interface Shifty {}

  record Impostor(String text) implements Shifty {}

  record Renamed(String name) {}

  record Withdrawn(String account, long amount) {
    Withdrawn {
      Objects.requireNonNull(account, "account");
    }
  }

  private final EventSerializer serializer =
      new EventSerializer(
          new TypeRegistry()
              .registerEvents(Shifty.class, Impostor.class, Renamed.class, Withdrawn.class));
  private final CouchbaseEventStreamRepository repository =
      CouchbaseEventStreamRepository.builder(collection, serializer)
          .keyPrefix(prefix)
          .gapGracePeriod(SHORT_GRACE)
          .build();

  @Test
  void a_stored_event_whose_payload_reads_as_another_class_than_its_type_names_fails_the_load() {
    storeAndRename(new Impostor("x"), "Impostor", "Shifty");

    for (ThrowingCallable read : reads()) {
      assertRefused(read)
          .hasMessageContaining("has eventType 'Shifty'")
          .hasMessageContaining("type name is 'Impostor'");
    }
  }

  @Test
  void a_stored_event_whose_payload_does_not_fit_its_type_fails_the_load() {
    storeAndRename(new Renamed("x"), "Renamed", "Withdrawn");

    for (ThrowingCallable read : reads()) {
      assertRefused(read).hasMessageContaining("Withdrawn").hasMessageContaining("account");
    }
  }

  /** Saves one event, then edits its commit document to name another type. */
  private void storeAndRename(Object payload, String type, String otherType) {
    VersionedEvent event = TestEvents.event(STREAM, 1, payload, CORRELATION);
    repository.save(STREAM, 0, List.of(event));
    String document = raw(keys.log(1)).orElseThrow();
    String edited =
        document.replace("\"eventType\":\"" + type + "\"", "\"eventType\":\"" + otherType + "\"");
    assertThat(edited).as("the edited document").isNotEqualTo(document);
    writeRaw(keys.log(1), edited);
  }

  /** A repository of another process over the same documents. */
  private CouchbaseEventStreamRepository reader() {
    return CouchbaseEventStreamRepository.builder(collection, serializer)
        .keyPrefix(prefix)
        .gapGracePeriod(SHORT_GRACE)
        .build();
  }

  private List<ThrowingCallable> reads() {
    return List.of(
        () -> repository.load(STREAM),
        // The writer answers its own fresh commits from memory: another process reads the log.
        () -> reader().readLog(1, 10),
        () -> repository.eventsByCorrelationId(CORRELATION));
  }

  private org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> assertRefused(
      ThrowingCallable read) {
    return assertThatThrownBy(read)
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("stream '" + STREAM + "'")
        .hasMessageContaining("'" + keys.log(1) + "'");
  }
}
