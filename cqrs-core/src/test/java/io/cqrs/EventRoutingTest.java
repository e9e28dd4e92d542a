package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.cqrs.internal.EventRouter;
import io.cqrs.memory.InMemoryEventStreamRepository;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Convention routing: {@link EventSourceBased#update} and {@link EventRouter}. */
class EventRoutingTest {

  // ---------------------------------------------------------------- the aggregates under test

  record Opened(String owner) {}

  record Renamed(String owner) {}

  record Noted(String note) {}

  record Closed(String reason) {}

  record Unhandled() {}

  record Exploded(String why) {}

  record FailedChecked() {}

  /** One handler of each visibility. */
  static final class Visibilities extends EventSourceBased {
    final List<String> calls = new ArrayList<>();

    Visibilities(String id) {
      super(id);
    }

    void raise(Object event) {
      update(event);
    }

    private void handleOpened(Opened e) {
      calls.add("private " + e.owner());
    }

    void handleRenamed(Renamed e) {
      calls.add("package " + e.owner());
    }

    protected void handleNoted(Noted e) {
      calls.add("protected " + e.note());
    }

    public void handleClosed(Closed e) {
      calls.add("public " + e.reason());
    }

    @SuppressWarnings("unused")
    private void handleExploded(Exploded e) {
      throw new IllegalStateException("cannot apply: " + e.why());
    }

    void handleFailedChecked(FailedChecked e) throws java.io.IOException {
      throw new java.io.IOException("disk on fire");
    }
  }

  record E0() {}

  record E1() {}

  record E2() {}

  record E3() {}

  record E4() {}

  record E5() {}

  record E6() {}

  record E7() {}

  record E8() {}

  record E9() {}

  /** Ten event types: more than the eight the first generated routing took. */
  static final class ManyEvents extends EventSourceBased {
    final List<Integer> calls = new ArrayList<>();

    ManyEvents(String id) {
      super(id);
    }

    void raise(Object event) {
      update(event);
    }

    void handleE0(E0 e) {
      calls.add(0);
    }

    void handleE1(E1 e) {
      calls.add(1);
    }

    void handleE2(E2 e) {
      calls.add(2);
    }

    void handleE3(E3 e) {
      calls.add(3);
    }

    void handleE4(E4 e) {
      calls.add(4);
    }

    void handleE5(E5 e) {
      calls.add(5);
    }

    void handleE6(E6 e) {
      calls.add(6);
    }

    void handleE7(E7 e) {
      calls.add(7);
    }

    void handleE8(E8 e) {
      calls.add(8);
    }

    void handleE9(E9 e) {
      calls.add(9);
    }
  }

  /** A base aggregate whose handlers subclasses inherit or replace. */
  abstract static class Base extends EventSourceBased {
    final List<String> calls = new ArrayList<>();

    Base(String id) {
      super(id);
    }

    void raise(Object event) {
      update(event);
    }

    @SuppressWarnings("unused")
    private void handleOpened(Opened e) {
      calls.add("base private opened");
    }

    protected void handleRenamed(Renamed e) {
      calls.add("base renamed");
    }

    @SuppressWarnings("unused")
    private void handleNoted(Noted e) {
      calls.add("base noted");
    }
  }

  static final class Derived extends Base {
    Derived(String id) {
      super(id);
    }

    @Override
    protected void handleRenamed(Renamed e) {
      calls.add("derived renamed");
    }

    /** Hides (does not override: the base one is private) the base's handler. */
    @SuppressWarnings("unused")
    private void handleNoted(Noted e) {
      calls.add("derived noted");
    }
  }

  interface Credit {}

  record BonusCredit(int amount) implements Credit {}

  static class Transfer {}

  static final class WireTransfer extends Transfer {}

  /** Handles supertypes only: routing by exact class must not pick these for subtypes. */
  static final class SupertypeHandlers extends EventSourceBased {
    int calls;

    SupertypeHandlers(String id) {
      super(id);
    }

    void raise(Object event) {
      update(event);
    }

    void handleCredit(Credit e) {
      calls++;
    }

    void handleTransfer(Transfer e) {
      calls++;
    }
  }

  record AccountCredited(long amount) {}

  /** Named Account so the eager-validation message reads exactly as documented. */
  static final class Account extends EventSourceBased {
    Account(String id) {
      super(id);
    }

    void handleOpened(Opened e) {}
  }

  /** Has methods that look like the handler but do not match the convention. */
  static final class NearMisses extends EventSourceBased {
    NearMisses(String id) {
      super(id);
    }

    void handleAccountCredited(Object e) {}

    void handleAccountCredited(AccountCredited e, long extra) {}

    static void handleOpened(Opened e) {}
  }

  // ---------------------------------------------------------------- visibility

  @Test
  void handlers_of_every_visibility_receive_their_events() {
    Visibilities aggregate = new Visibilities("v-1");

    aggregate.raise(new Opened("ada"));
    aggregate.raise(new Renamed("grace"));
    aggregate.raise(new Noted("hi"));
    aggregate.raise(new Closed("done"));

    assertThat(aggregate.calls)
        .containsExactly("private ada", "package grace", "protected hi", "public done");
    assertThat(aggregate.pendingEvents())
        .containsExactly(
            new Opened("ada"), new Renamed("grace"), new Noted("hi"), new Closed("done"));
    assertThat(aggregate.version()).isZero();
  }

  // ---------------------------------------------------------------- inheritance

  @Test
  void a_subclass_inherits_its_superclass_handlers_even_private_ones() {
    Derived aggregate = new Derived("d-1");

    aggregate.raise(new Opened("ada"));

    assertThat(aggregate.calls).containsExactly("base private opened");
  }

  @Test
  void a_subclass_handler_replaces_the_superclass_handler_for_the_same_event() {
    Derived aggregate = new Derived("d-1");

    aggregate.raise(new Renamed("x"));
    aggregate.raise(new Noted("y"));

    assertThat(aggregate.calls).containsExactly("derived renamed", "derived noted");
  }

  @Test
  void the_router_lists_each_event_type_once_across_the_hierarchy() {
    assertThat(EventRouter.of(Derived.class).handledTypes())
        .containsExactlyInAnyOrder(Opened.class, Renamed.class, Noted.class);
  }

  // ---------------------------------------------------------------- failures

  @Test
  void a_handler_that_throws_raises_event_handling_exception_and_records_nothing() {
    Visibilities aggregate = new Visibilities("agg-42");
    aggregate.raise(new Opened("ada"));

    EventHandlingException failure =
        catchThrowableOfType(
            EventHandlingException.class, () -> aggregate.raise(new Exploded("boom")));

    assertThat(failure.aggregateId()).isEqualTo("agg-42");
    assertThat(failure.eventType()).isEqualTo("Exploded");
    assertThat(failure)
        .hasMessageContaining("agg-42")
        .hasMessageContaining("Exploded")
        .hasCauseInstanceOf(IllegalStateException.class)
        .hasRootCauseMessage("cannot apply: boom");
    assertThat(failure.isTransient()).isFalse();
    assertThat(aggregate.pendingEvents()).containsExactly(new Opened("ada"));
  }

  @Test
  void a_checked_exception_from_a_handler_is_wrapped_too() {
    Visibilities aggregate = new Visibilities("agg-7");

    assertThatThrownBy(() -> aggregate.raise(new FailedChecked()))
        .isInstanceOf(EventHandlingException.class)
        .hasCauseInstanceOf(java.io.IOException.class)
        .hasMessageContaining("disk on fire");
    assertThat(aggregate.pendingEvents()).isEmpty();
  }

  @Test
  void an_aggregate_with_many_event_types_routes_each_to_its_own_handler() {
    ManyEvents aggregate = new ManyEvents("m-1");
    List<Object> events =
        List.of(
            new E9(), new E3(), new E0(), new E7(), new E1(), new E8(), new E2(), new E6(),
            new E4(), new E5());

    events.forEach(aggregate::raise);

    assertThat(aggregate.calls).containsExactly(9, 3, 0, 7, 1, 8, 2, 6, 4, 5);
    assertThatThrownBy(() -> aggregate.raise(new Opened("x")))
        .isInstanceOf(MissingHandlerException.class)
        .hasMessage("ManyEvents has no method handleOpened(Opened)");
  }

  @Test
  void an_event_without_a_handler_raises_missing_handler_exception_and_records_nothing() {
    Visibilities aggregate = new Visibilities("v-1");
    aggregate.raise(new Opened("ada"));

    MissingHandlerException missing =
        catchThrowableOfType(MissingHandlerException.class, () -> aggregate.raise(new Unhandled()));

    assertThat(missing).hasMessage("Visibilities has no method handleUnhandled(Unhandled)");
    assertThat(missing.targetType()).isEqualTo(Visibilities.class);
    assertThat(missing.messageType()).isEqualTo(Unhandled.class);
    assertThat(aggregate.pendingEvents()).containsExactly(new Opened("ada"));
  }

  @Test
  void updating_with_null_is_rejected() {
    Visibilities aggregate = new Visibilities("v-1");

    assertThatThrownBy(() -> aggregate.raise(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("event");
    assertThat(aggregate.pendingEvents()).isEmpty();
  }

  @Test
  void an_aggregate_id_must_not_be_blank() {
    assertThatThrownBy(() -> new Visibilities(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("id");
    assertThatThrownBy(() -> new Visibilities(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("id");
  }

  // ---------------------------------------------------------------- exact-class routing

  @Test
  void an_event_is_not_routed_to_a_handler_of_its_interface() {
    SupertypeHandlers aggregate = new SupertypeHandlers("s-1");

    assertThatThrownBy(() -> aggregate.raise(new BonusCredit(5)))
        .isInstanceOf(MissingHandlerException.class)
        .hasMessage("SupertypeHandlers has no method handleBonusCredit(BonusCredit)");
    assertThat(aggregate.calls).isZero();
  }

  @Test
  void an_event_is_not_routed_to_a_handler_of_its_superclass() {
    SupertypeHandlers aggregate = new SupertypeHandlers("s-1");

    assertThatThrownBy(() -> aggregate.raise(new WireTransfer()))
        .isInstanceOf(MissingHandlerException.class)
        .hasMessage("SupertypeHandlers has no method handleWireTransfer(WireTransfer)");
    aggregate.raise(new Transfer());
    assertThat(aggregate.calls).isOne();
  }

  // ---------------------------------------------------------------- eager validation

  @Test
  void registering_an_aggregate_without_a_handler_fails_eagerly_naming_the_method() {
    TypeRegistry registry = new TypeRegistry();

    assertThatThrownBy(
            () -> registry.registerAggregate(Account.class, Opened.class, AccountCredited.class))
        .isInstanceOf(MissingHandlerException.class)
        .hasMessage("Account has no method handleAccountCredited(AccountCredited)");
    assertThat(registry.isRegistered(Account.class)).isFalse();
    assertThat(registry.isRegistered(AccountCredited.class)).isFalse();
  }

  @Test
  void registering_an_aggregate_with_all_handlers_registers_it_and_its_events() {
    TypeRegistry registry = new TypeRegistry().registerAggregate(Account.class, Opened.class);

    assertThat(registry.nameOf(Account.class)).isEqualTo("Account");
    assertThat(registry.typeOf("Opened")).isEqualTo(Opened.class);
  }

  @Test
  void a_wrongly_typed_handler_is_reported_as_a_near_miss() {
    TypeRegistry registry = new TypeRegistry();

    assertThatThrownBy(() -> registry.registerAggregate(NearMisses.class, AccountCredited.class))
        .isInstanceOf(MissingHandlerException.class)
        .hasMessageStartingWith("NearMisses has no method handleAccountCredited(AccountCredited)")
        .hasMessageContaining("handleAccountCredited(Object)")
        .hasMessageContaining("handleAccountCredited(AccountCredited, long)")
        .hasMessageEndingWith("which do not match");
  }

  /** A handler whose name lost a letter: it takes the event, so the message points at it. */
  static final class Misnamed extends EventSourceBased {
    Misnamed(String id) {
      super(id);
    }

    private void handleAccountCredit(AccountCredited e) {}
  }

  @Test
  void a_method_taking_the_event_under_another_name_is_reported_as_a_near_miss() {
    assertThatThrownBy(
            () -> new TypeRegistry().registerAggregate(Misnamed.class, AccountCredited.class))
        .isInstanceOf(MissingHandlerException.class)
        .hasMessage(
            "Misnamed has no method handleAccountCredited(AccountCredited); found"
                + " handleAccountCredit(AccountCredited), which does not match");
  }

  @Test
  void a_static_handler_is_not_a_handler_and_is_reported_as_static() {
    assertThatThrownBy(() -> new TypeRegistry().registerAggregate(NearMisses.class, Opened.class))
        .isInstanceOf(MissingHandlerException.class)
        .hasMessageContaining("handleOpened(Opened) (static)");
  }

  // ---------------------------------------------------------------- save and replay

  @Test
  void pending_events_are_cleared_after_save_and_the_version_advances() {
    TypeRegistry registry =
        new TypeRegistry()
            .registerAggregate(
                Visibilities.class, Opened.class, Renamed.class, Noted.class, Closed.class);
    EventSourcingRepository repository =
        EventSourcingRepository.builder(new InMemoryEventStreamRepository(), registry).build();
    Visibilities aggregate = new Visibilities("v-1");
    aggregate.raise(new Opened("ada"));
    aggregate.raise(new Noted("hi"));

    repository.save(aggregate, "c-1");

    assertThat(aggregate.pendingEvents()).isEmpty();
    assertThat(aggregate.version()).isEqualTo(2);
    aggregate.raise(new Closed("done"));
    assertThat(aggregate.pendingEvents()).containsExactly(new Closed("done"));
  }

  @Test
  void replaying_history_applies_events_without_recording_them() {
    TypeRegistry registry =
        new TypeRegistry()
            .registerAggregate(
                Visibilities.class, Opened.class, Renamed.class, Noted.class, Closed.class);
    EventSourcingRepository repository =
        EventSourcingRepository.builder(new InMemoryEventStreamRepository(), registry).build();
    Visibilities original = new Visibilities("v-1");
    original.raise(new Opened("ada"));
    original.raise(new Renamed("grace"));
    original.raise(new Closed("done"));
    repository.save(original, "c-1");

    Visibilities loaded = repository.get("v-1", Visibilities::new);

    assertThat(loaded.calls).containsExactly("private ada", "package grace", "public done");
    assertThat(loaded.pendingEvents()).isEmpty();
    assertThat(loaded.version()).isEqualTo(3);
  }

  @Test
  void replay_rejects_a_gap_in_versions() {
    Visibilities aggregate = new Visibilities("v-1");
    aggregate.replay(new Opened("ada"), 1);

    assertThatThrownBy(() -> aggregate.replay(new Renamed("x"), 3))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("v-1")
        .hasMessageContaining("expected version 2 but got 3");
    assertThat(aggregate.calls).containsExactly("private ada");
    assertThat(aggregate.version()).isOne();
  }

  // ------------------------------------------------- the generated replay loop (replayAll)

  /** Records the version it sees while each event is applied. */
  static final class Watcher extends EventSourceBased {
    final List<String> seen = new ArrayList<>();

    Watcher(String id) {
      super(id);
    }

    private void handleOpened(Opened e) {
      seen.add(e.owner() + "@" + version());
    }

    void handleRenamed(Renamed e) {
      seen.add(e.owner() + "@" + version());
    }

    void handleExploded(Exploded e) {
      throw new IllegalStateException(e.why());
    }
  }

  private static List<VersionedEvent> stream(long first, Object... events) {
    List<VersionedEvent> stream = new ArrayList<>();
    for (int i = 0; i < events.length; i++) {
      stream.add(VersionedEvent.of("w-1", first + i, events[i], "c-1"));
    }
    return stream;
  }

  @Test
  void a_replayed_handler_sees_the_version_of_the_event_before_its_own_as_replay_shows_it() {
    Watcher aggregate = new Watcher("w-1");

    aggregate.replayAll(stream(1, new Opened("a"), new Renamed("b"), new Renamed("c")));

    assertThat(aggregate.seen).containsExactly("a@0", "b@1", "c@2");
    assertThat(aggregate.version()).isEqualTo(3);
    assertThat(aggregate.pendingEvents()).isEmpty();
  }

  @Test
  void replay_goes_on_after_a_split_and_a_dropped_event_at_their_stored_versions() {
    Watcher aggregate = new Watcher("w-1");
    aggregate.restoreVersion(10); // as after a snapshot

    aggregate.replayAll(
        stream(
            11,
            new Opened("a"),
            new SplitEvent("Both", List.of(new Renamed("b1"), new Renamed("b2"))),
            new SplitEvent("Gone", List.of()),
            new Renamed("c")));

    assertThat(aggregate.seen).containsExactly("a@10", "b1@11", "b2@11", "c@13");
    assertThat(aggregate.version()).isEqualTo(14);
  }

  @Test
  void a_handler_failing_mid_stream_names_its_event_and_leaves_the_version_of_the_last_applied() {
    Watcher aggregate = new Watcher("w-1");
    List<VersionedEvent> events =
        stream(1, new Opened("a"), new Renamed("b"), new Exploded("boom"), new Renamed("c"));

    assertThatThrownBy(() -> aggregate.replayAll(events))
        .isInstanceOf(EventHandlingException.class)
        .hasMessageContaining("Exploded")
        .hasRootCauseMessage("boom");
    assertThat(aggregate.seen).containsExactly("a@0", "b@1");
    assertThat(aggregate.version()).isEqualTo(2);
  }

  @Test
  void a_gap_mid_stream_fails_naming_the_expected_version_after_applying_what_came_before() {
    Watcher aggregate = new Watcher("w-1");
    List<VersionedEvent> events = stream(1, new Opened("a"), new Renamed("b"));
    events.add(VersionedEvent.of("w-1", 4, new Renamed("d"), "c-1"));

    assertThatThrownBy(() -> aggregate.replayAll(events))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("expected version 3 but got 4");
    assertThat(aggregate.seen).containsExactly("a@0", "b@1");
    assertThat(aggregate.version()).isEqualTo(2);
  }

  @Test
  void an_event_without_a_handler_mid_stream_raises_missing_handler_exception() {
    Watcher aggregate = new Watcher("w-1");
    List<VersionedEvent> events = stream(1, new Opened("a"), new Closed("x"), new Renamed("c"));

    assertThatThrownBy(() -> aggregate.replayAll(events))
        .isInstanceOf(MissingHandlerException.class)
        .hasMessageContaining("handleClosed(Closed)");
    assertThat(aggregate.seen).containsExactly("a@0");
    assertThat(aggregate.version()).isEqualTo(1);
  }

  @Test
  void a_failure_after_replay_resumed_past_a_split_names_its_event() {
    Watcher aggregate = new Watcher("w-1");
    List<VersionedEvent> events =
        stream(
            1,
            new Opened("a"),
            new SplitEvent("Both", List.of(new Renamed("b1"), new Renamed("b2"))),
            new Renamed("c"),
            new Exploded("late"));

    assertThatThrownBy(() -> aggregate.replayAll(events))
        .isInstanceOf(EventHandlingException.class)
        .hasMessageContaining("Exploded")
        .hasRootCauseMessage("late");
    assertThat(aggregate.seen).containsExactly("a@0", "b1@1", "b2@1", "c@2");
    assertThat(aggregate.version()).isEqualTo(3);
  }

  record Counted(int n) {}

  record Measured(long n) {}

  record Named(String name) {}

  /** Handlers that return something, which routing accepts and ignores. */
  static final class Returning extends EventSourceBased {
    long total;
    String name;

    Returning(String id) {
      super(id);
    }

    int handleCounted(Counted e) {
      total += e.n();
      return e.n();
    }

    private long handleMeasured(Measured e) {
      total += e.n();
      return total;
    }

    String handleNamed(Named e) {
      name = e.name();
      return name;
    }
  }

  @Test
  void handlers_that_return_a_value_replay_and_route_as_void_ones() {
    Returning aggregate = new Returning("r-1");

    aggregate.replayAll(
        stream(1, new Counted(2), new Measured(3), new Named("ada"), new Counted(4)));

    assertThat(aggregate.total).isEqualTo(9);
    assertThat(aggregate.name).isEqualTo("ada");
    assertThat(aggregate.version()).isEqualTo(4);
  }

  @Test
  void with_fifty_event_types_replay_stops_at_a_gap_and_at_an_event_without_a_handler() {
    List<VersionedEvent> handled = new ArrayList<>();
    for (int type = 0; type < WideAggregate.TYPES; type++) {
      handled.add(VersionedEvent.of("w-1", type + 1, WideAggregate.event(type, type), "c"));
    }
    List<VersionedEvent> withUnhandled = new ArrayList<>(handled.subList(0, 30));
    withUnhandled.add(VersionedEvent.of("w-1", 31, new Opened("x"), "c"));
    WideAggregate first = new WideAggregate("w-1");

    assertThatThrownBy(() -> first.replayAll(withUnhandled))
        .isInstanceOf(MissingHandlerException.class)
        .hasMessageContaining("handleOpened(Opened)");
    assertThat(first.version()).isEqualTo(30);

    List<VersionedEvent> withGap = new ArrayList<>(handled.subList(0, 40));
    withGap.add(VersionedEvent.of("w-1", 42, WideAggregate.event(41, 41), "c"));
    WideAggregate second = new WideAggregate("w-1");

    assertThatThrownBy(() -> second.replayAll(withGap))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("expected version 41 but got 42");
    assertThat(second.version()).isEqualTo(40);
    for (int type = 0; type < 40; type++) {
      assertThat(second.received[type]).as("W%d's handler", type).isEqualTo(type);
    }
  }
}
