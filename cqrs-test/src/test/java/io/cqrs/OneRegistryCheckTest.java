package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.testing.Await;
import org.junit.jupiter.api.Test;

/** What Cqrs's one-registry check refuses, and what it lets through. */
class OneRegistryCheckTest {
  record Added(int amount) {}

  record WasReset() {}

  static final class Counter extends EventSourceBased {
    private int total;

    Counter(String id) {
      super(id);
    }

    void add(int amount) {
      update(new Added(amount));
    }

    private void handleAdded(Added e) {
      total += e.amount();
    }

    private void handleWasReset(WasReset e) {
      total = 0;
    }
  }

  /**
   * False refusal: the store's serializer holds every event the aggregate writes (registered with
   * registerEvents, as ProcessedLog and many adopters do), but not the aggregate type. A store
   * never resolves the aggregate type through its serializer: snapshots are written by the
   * repository's own SnapshotCodec under TypeRegistry.logicalName, and the store keeps the type as
   * a string. The wiring works, snapshots included (build() refused it once).
   */
  @Test
  void a_store_serializer_holding_every_event_but_not_the_aggregate_type_is_valid() {
    TypeRegistry storeTypes = new TypeRegistry().registerEvents(Added.class, WasReset.class);
    InMemoryEventStreamRepository store =
        InMemoryEventStreamRepository.serializing(new EventSerializer(storeTypes));
    Cqrs.Builder builder =
        Cqrs.builder()
            .aggregate(Counter.class, Added.class, WasReset.class)
            .store(store)
            .snapshotPolicy(SnapshotPolicy.every(1));

    try (Cqrs cqrs = builder.build()) {
      cqrs.start();
      Counter counter = new Counter("c-1");
      counter.add(2);
      cqrs.repository().save(counter, "corr-1");
      assertThat(store.version("c-1")).isEqualTo(1);
      Await.until("its snapshot written", () -> store.loadSnapshot("c-1").isPresent());
      assertThat(cqrs.repository().find("c-1", Counter::new))
          .get()
          .extracting(c -> c.total)
          .isEqualTo(2);
    }
  }

  /**
   * Aggregates registered on the registry itself (example-bank's BankTypes.registry() pattern, then
   * types(registry) with no aggregate(...) call) were not in what it checked, so the store's
   * serializer on an empty registry passed build() and start(), and the first save failed with
   * UnknownTypeException: the very failure build() is to name.
   */
  @Test
  void aggregates_registered_on_the_registry_given_to_types_are_checked_too() {
    TypeRegistry types =
        new TypeRegistry().registerAggregate(Counter.class, Added.class, WasReset.class);
    InMemoryEventStreamRepository store =
        InMemoryEventStreamRepository.serializing(new EventSerializer(new TypeRegistry()));

    assertThatThrownBy(() -> Cqrs.builder().types(types).store(store).build().close())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("The store's EventSerializer is made on another TypeRegistry")
        .hasMessageContaining("Added");
  }

  /**
   * An event the aggregate handles, registered with registerEvents rather than listed in
   * aggregate(...) (validateAggregates accepts that), is among what the store is checked to carry.
   */
  @Test
  void an_event_the_aggregate_handles_but_registered_apart_is_checked_too() {
    TypeRegistry types = new TypeRegistry().registerEvents(WasReset.class);
    TypeRegistry storeTypes = new TypeRegistry().registerAggregate(Counter.class, Added.class);
    // storeTypes lacks WasReset, which Counter handles (registerAggregate checks only those listed)
    InMemoryEventStreamRepository store =
        InMemoryEventStreamRepository.serializing(new EventSerializer(storeTypes));

    assertThatThrownBy(
            () ->
                Cqrs.builder()
                    .types(types)
                    .aggregate(Counter.class, Added.class)
                    .store(store)
                    .build()
                    .close())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("WasReset");
  }
}
