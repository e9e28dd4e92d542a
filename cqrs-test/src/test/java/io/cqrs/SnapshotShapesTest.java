package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.Snapshot;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Snapshots of aggregates that hold values of the application's classes: read when they are of the
 * current shape (a snapshot of another shape has another fingerprint: {@code SnapshotCodecTest}).
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

  /** A value whose class writes a property it has no field for (an annotated getter). */
  record Amount(java.math.BigDecimal value) {
    @com.fasterxml.jackson.annotation.JsonProperty("display")
    String display() {
      return value + " EUR";
    }
  }

  record Priced(java.math.BigDecimal value) {}

  static final class Shop extends EventSourceBased {
    private Amount price;

    Shop(String id) {
      super(id);
    }

    static Shop priced(String id, String value) {
      Shop shop = new Shop(id);
      shop.update(new Priced(new java.math.BigDecimal(value)));
      return shop;
    }

    Amount price() {
      return price;
    }

    private void handlePriced(Priced e) {
      price = new Amount(e.value());
    }
  }

  /**
   * Reading snapshots strictly (unknown properties refused) made every snapshot of such an
   * aggregate unreadable, replayed on each load, with a warning each time.
   */
  @Test
  void a_snapshot_of_a_value_that_writes_a_property_it_has_no_field_for_is_read() {
    EventSourcingRepository shops =
        EventSourcingRepository.builder(
                store, new TypeRegistry().registerAggregate(Shop.class, Priced.class))
            .snapshotPolicy(SnapshotPolicy.every(1))
            .build();
    shops.save(Shop.priced("s-1", "9.90"), "c-1");
    Snapshot taken = store.loadSnapshot("s-1").orElseThrow();
    assertThat(taken.state()).contains("\"display\":\"9.90 EUR\"");
    store.saveSnapshot(
        new Snapshot(
            "s-1",
            taken.version(),
            taken.aggregateType(),
            taken.schema(),
            taken.state().replace("9.90", "1.00"),
            Instant.now()));

    assertThat(shops.get("s-1", Shop::new).price())
        .isEqualTo(new Amount(new java.math.BigDecimal("1.00")));
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
