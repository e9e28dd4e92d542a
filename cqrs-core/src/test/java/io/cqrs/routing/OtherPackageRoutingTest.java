package io.cqrs.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.EventHandlingException;
import io.cqrs.EventSourcingRepository;
import io.cqrs.MissingHandlerException;
import io.cqrs.TypeRegistry;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.routing.base.LedgerBase.Closed;
import io.cqrs.routing.base.LedgerBase.Failed;
import io.cqrs.routing.base.LedgerBase.Noted;
import io.cqrs.routing.base.LedgerBase.Opened;
import io.cqrs.routing.base.LedgerBase.Renamed;
import io.cqrs.routing.base.LedgerBase.Tagged;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * Routing for an aggregate outside cqrs's package whose superclass is in a third package: the class
 * generated for it lives in its package and reaches private, package-private, protected, overriding
 * and public handlers, its own and inherited.
 */
class OtherPackageRoutingTest {
  record Unhandled() {}

  @Test
  void every_handler_the_aggregate_declares_or_inherits_receives_its_events() {
    Ledger ledger = new Ledger("l-1");

    ledger.raise(new Opened("ada"));
    ledger.raise(new Noted("n"));
    ledger.raise(new Tagged("t"));
    ledger.raise(new Renamed("r"));
    ledger.raise(new Closed("c"));
    ledger.raise(new Ledger.Credited(5));
    ledger.raise(new Ledger.Debited(3));

    assertThat(ledger.calls)
        .containsExactly(
            "base private ada",
            "base package n",
            "base protected t",
            "overriding renamed r",
            "base public c",
            "private credited 5",
            "package debited 3");
    assertThat(ledger.pendingEvents()).hasSize(7);
  }

  @Test
  void exceptions_from_inherited_and_own_handlers_propagate_and_record_nothing() {
    Ledger ledger = new Ledger("l-2");

    assertThatThrownBy(() -> ledger.raise(new Failed("no")))
        .isInstanceOf(EventHandlingException.class)
        .hasMessageContaining("'l-2'")
        .hasCauseInstanceOf(IllegalStateException.class)
        .hasRootCauseMessage("base cannot apply: no");
    assertThatThrownBy(() -> ledger.raise(new Ledger.Refused("closed")))
        .isInstanceOf(EventHandlingException.class)
        .hasCauseInstanceOf(IOException.class)
        .hasRootCauseMessage("refused: closed");
    assertThat(ledger.pendingEvents()).isEmpty();
    assertThat(ledger.calls).isEmpty();
  }

  @Test
  void registration_validates_eagerly_and_replay_reaches_the_same_handlers() {
    assertThatThrownBy(
            () -> new TypeRegistry().registerAggregate(Ledger.class, Opened.class, Unhandled.class))
        .isInstanceOf(MissingHandlerException.class)
        .hasMessage("Ledger has no method handleUnhandled(Unhandled)");
    TypeRegistry types =
        new TypeRegistry()
            .registerAggregate(
                Ledger.class, Opened.class, Noted.class, Tagged.class, Ledger.Credited.class);
    EventSourcingRepository repository =
        EventSourcingRepository.builder(new InMemoryEventStreamRepository(), types).build();
    Ledger original = new Ledger("l-3");
    original.raise(new Opened("ada"));
    original.raise(new Noted("n"));
    original.raise(new Tagged("t"));
    original.raise(new Ledger.Credited(7));
    repository.save(original, "correlation-l");

    Ledger loaded = repository.get("l-3", Ledger::new);

    assertThat(loaded.calls).containsExactlyElementsOf(original.calls);
    assertThat(loaded.version()).isEqualTo(4);
  }

  @Test
  void an_unhandled_event_names_the_aggregate_and_the_expected_method() {
    Ledger ledger = new Ledger("l-4");

    assertThatThrownBy(() -> ledger.raise(new Unhandled()))
        .isInstanceOf(MissingHandlerException.class)
        .hasMessage("Ledger has no method handleUnhandled(Unhandled)");
  }

  @Test
  void an_inherited_handler_whose_event_type_the_package_cannot_see_fails_at_first_use() {
    assertThatThrownBy(() -> new HiddenEventLedger("h-1"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Cannot generate the event dispatcher of")
        .hasMessageContaining("HiddenEventLedger")
        .hasMessageContaining("HiddenEventBase$Internal")
        .hasMessageContaining("must be public");
  }
}
