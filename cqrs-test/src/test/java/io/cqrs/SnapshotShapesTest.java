package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.Snapshot;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * A snapshot taken by an earlier build, whose aggregate held a value of another shape, must be
 * replayed rather than read into the new shape.
 */
class SnapshotShapesTest {
  record Owner(String firstName, String lastName) {}

  record Named(String firstName, String lastName) {}

  static final class Household extends EventSourceBased {
    private Owner owner;

    Household(String id) {
      super(id);
    }

    static Household named(String id, String first, String last) {
      Household household = new Household(id);
      household.update(new Named(first, last));
      return household;
    }

    Owner owner() {
      return owner;
    }

    private void handleNamed(Named e) {
      owner = new Owner(e.firstName(), e.lastName());
    }
  }

  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final EventSourcingRepository repository =
      EventSourcingRepository.builder(
              store, new TypeRegistry().registerAggregate(Household.class, Named.class))
          .snapshotPolicy(SnapshotPolicy.every(1))
          .build();

  /**
   * An earlier build's Owner was (name). Its snapshot, under the fingerprint this build computed
   * before nested shapes counted, read as an owner of nulls (the unknown "name" ignored), and the
   * next snapshot kept the nulls for good.
   */
  @Test
  void a_snapshot_whose_held_value_has_a_property_the_class_lost_is_replayed() {
    repository.save(Household.named("h-1", "John", "Doe"), "c-1");
    Snapshot taken = store.loadSnapshot("h-1").orElseThrow();
    store.saveSnapshot(
        new Snapshot(
            "h-1",
            taken.version(),
            taken.aggregateType(),
            taken.schema(),
            "{\"owner\":{\"name\":\"John Doe\"}}",
            Instant.now()));

    Household loaded = repository.get("h-1", Household::new);

    assertThat(loaded.owner()).isEqualTo(new Owner("John", "Doe"));
    assertThat(loaded.version()).isEqualTo(1);
  }

  @Test
  void a_snapshot_of_the_current_shape_is_still_read() {
    repository.save(Household.named("h-1", "John", "Doe"), "c-1");
    Snapshot taken = store.loadSnapshot("h-1").orElseThrow();
    assertThat(taken.state())
        .isEqualTo("{\"owner\":{\"firstName\":\"John\",\"lastName\":\"Doe\"}}");
    store.saveSnapshot(
        new Snapshot(
            "h-1",
            taken.version(),
            taken.aggregateType(),
            taken.schema(),
            "{\"owner\":{\"firstName\":\"From\",\"lastName\":\"Snapshot\"}}",
            Instant.now()));

    assertThat(repository.get("h-1", Household::new).owner())
        .isEqualTo(new Owner("From", "Snapshot"));
  }
}
