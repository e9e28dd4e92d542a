package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.memory.InMemoryEventStreamRepository;
import org.junit.jupiter.api.Test;

/**
 * docs/schema-evolution.md: a snapshot's fingerprint covers "the shapes of the application's
 * classes its fields hold, however deep"; "a snapshot of an older shape is ignored, the stream
 * replayed". Here the held class is named by the aggregate's generic superclass.
 */
class GenericSnapshotShapesTest {
  record Named(String name) {}

  /** Version 1 of the application's owner value. */
  record OwnerV1(String name) {}

  /** Version 2 of the same value: the name split in two. */
  record OwnerV2(String firstName, String lastName) {}

  abstract static class StateAggregate<S> extends EventSourceBased {
    protected S state;

    StateAggregate(String id) {
      super(id);
    }
  }

  @TypeName("Acc")
  static final class AccV1 extends StateAggregate<OwnerV1> {
    AccV1(String id) {
      super(id);
    }

    void name(String n) {
      update(new Named(n));
    }

    private void handleNamed(Named e) {
      state = new OwnerV1(e.name());
    }
  }

  @TypeName("Acc")
  static final class AccV2 extends StateAggregate<OwnerV2> {
    AccV2(String id) {
      super(id);
    }

    private void handleNamed(Named e) {
      String[] p = e.name().split(" ", 2);
      state = new OwnerV2(p[0], p[1]);
    }
  }

  @Test
  void the_fingerprint_sees_the_shape_of_a_class_held_through_a_generic_superclass() {
    assertThat(SnapshotCodec.schemaText(AccV2.class))
        .as("schema text of AccV2 (held OwnerV2 through StateAggregate<OwnerV2>)")
        .isNotEqualTo(SnapshotCodec.schemaText(AccV1.class))
        .contains("OwnerV2");
  }

  @Test
  void a_snapshot_of_the_older_shape_is_ignored_and_the_stream_replayed() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    EventSourcingRepository v1 =
        EventSourcingRepository.builder(
                store, new TypeRegistry().registerAggregate(AccV1.class, Named.class))
            .snapshotPolicy(SnapshotPolicy.every(1))
            .build();
    AccV1 acc = new AccV1("a-1");
    acc.name("Ada Lovelace");
    v1.save(acc, "c-1");
    assertThat(store.loadSnapshot("a-1")).isPresent();

    // the next deploy: same aggregate type, its state class changed shape
    EventSourcingRepository v2 =
        EventSourcingRepository.builder(
                store, new TypeRegistry().registerAggregate(AccV2.class, Named.class))
            .snapshotPolicy(SnapshotPolicy.every(1))
            .build();
    AccV2 loaded = v2.get("a-1", AccV2::new);
    assertThat(loaded.state).isEqualTo(new OwnerV2("Ada", "Lovelace"));
  }

  static class Holder<T> {
    T value;
  }

  static final class OwnerHolderV1 extends Holder<OwnerV1> {}

  static final class OwnerHolderV2 extends Holder<OwnerV2> {}

  static final class DeepV1 extends EventSourceBased {
    OwnerHolderV1 owner;

    DeepV1(String id) {
      super(id);
    }
  }

  @Test
  void the_fingerprint_sees_a_class_held_through_a_value_objects_generic_superclass() {
    assertThat(SnapshotCodec.schemaText(DeepV1.class)).contains("OwnerV1");
  }

  /** A generic value held by an aggregate that binds nothing: taken raw, as before. */
  record Range<T>(T from, T to) {}

  static final class Booking extends EventSourceBased {
    Range<String> stay;

    Booking(String id) {
      super(id);
    }
  }

  @Test
  void an_aggregate_that_binds_no_superclass_variable_keeps_its_fingerprint_text() {
    // The text before generic superclasses were resolved: a changed fingerprint would make every
    // such aggregate replay its stream once after the upgrade, for nothing.
    assertThat(SnapshotCodec.schemaText(Booking.class))
        .isEqualTo(
            Booking.class.getName()
                + ".stay:"
                + GenericSnapshotShapesTest.class.getName()
                + "$Range<java.lang.String>;holds="
                + Range.class.getName()
                + "{"
                + Range.class.getName()
                + ".from:T,"
                + Range.class.getName()
                + ".to:T}");
  }
}
