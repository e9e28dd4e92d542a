package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvelopeFactoriesTest {
  record Deposited(int amount) {}

  record Credit(String accountId, int amount) {}

  @TypeName("audit.Noted")
  record Noted(String text) {}

  @Test
  void an_event_envelope_takes_its_type_from_its_payload_and_fresh_ids() {
    VersionedEvent first = VersionedEvent.of("acc-1", 3, new Deposited(5), "corr-1");
    VersionedEvent second = VersionedEvent.of("acc-1", 3, new Deposited(5), "corr-1");

    assertThat(first.eventType()).isEqualTo("Deposited");
    assertThat(first.sourceId()).isEqualTo("acc-1");
    assertThat(first.version()).isEqualTo(3);
    assertThat(first.correlationId()).isEqualTo("corr-1");
    assertThat(first.causationId()).isNull();
    assertThat(first.id()).isNotEqualTo(second.id());
    assertThat(VersionedEvent.of("n", 1, new Noted("x"), "c").eventType()).isEqualTo("audit.Noted");
  }

  @Test
  void an_event_caused_by_a_command_takes_its_correlation_cause_and_actor() {
    Command command =
        Command.builder(new Credit("acc-1", 5))
            .metadata(Map.of("actor", "ada", "onBehalfOf", "grace"))
            .build();
    Instant created = Instant.parse("2026-12-03T00:00:00Z");

    VersionedEvent event =
        VersionedEvent.builder("acc-1", 1, new Deposited(5))
            .causedBy(command)
            .id("event-1")
            .created(created)
            .metadata(Map.of("k", "v"))
            .build();

    assertThat(event.id()).isEqualTo("event-1");
    assertThat(event.correlationId()).isEqualTo(command.correlationId());
    assertThat(event.causationId()).isEqualTo(command.messageId());
    assertThat(event.actor()).isEqualTo("ada");
    assertThat(event.onBehalfOf()).isEqualTo("grace");
    assertThat(event.created()).isEqualTo(created);
    assertThat(event.metadata()).containsEntry("k", "v");
  }

  @Test
  void a_command_reacting_to_an_event_has_the_same_message_id_every_time() {
    VersionedEvent cause =
        VersionedEvent.builder("t-1", 2, new Deposited(5))
            .correlationId("corr-9")
            .actor("ada")
            .build();

    Command first = Command.reactingTo(cause, new Credit("acc-2", 5));
    Command again = Command.reactingTo(cause, new Credit("acc-2", 5));

    assertThat(first.messageId()).isEqualTo(again.messageId()).isEqualTo(cause.id() + "/Credit");
    assertThat(first.correlationId()).isEqualTo("corr-9");
    assertThat(first.causationId()).isEqualTo(cause.id());
    assertThat(first.metadata()).containsEntry("actor", "ada");
    assertThat(first.commandType()).isEqualTo("Credit");
    assertThat(Command.reactingTo(cause, new Credit("acc-3", 1), "t-1/refund").messageId())
        .isEqualTo("t-1/refund");
  }

  @Test
  void a_command_builder_keeps_the_ids_it_is_given_and_makes_fresh_ones_otherwise() {
    Command given =
        Command.builder(new Credit("a", 1)).messageId("m-1").correlationId("c-1").build();
    Command fresh = Command.builder(new Credit("a", 1)).build();
    Command another = Command.builder(new Credit("a", 1)).build();
    Command named = Command.builder(new Credit("a", 1)).messageId("m-2").build();

    assertThat(given.messageId()).isEqualTo("m-1");
    assertThat(given.correlationId()).isEqualTo("c-1");
    // A command given no correlation starts its own, named after its message.
    assertThat(fresh.messageId()).isNotBlank().isNotEqualTo(another.messageId());
    assertThat(fresh.correlationId()).isEqualTo(fresh.messageId());
    assertThat(named.correlationId()).isEqualTo("m-2");
  }

  @Test
  void a_created_command_starts_a_correlation_named_after_it_unless_it_joins_one() {
    Command first = Command.create(new Credit("a", 1));
    Command second = Command.create(new Credit("a", 1));
    Command joining = Command.create(new Credit("a", 1), first.correlationId());

    assertThat(first.correlationId()).isEqualTo(first.messageId());
    assertThat(second.messageId()).isNotEqualTo(first.messageId());
    assertThat(joining.correlationId()).isEqualTo(first.messageId());
    assertThat(joining.messageId()).isNotEqualTo(first.messageId());
  }

  @Test
  void factories_name_missing_arguments() {
    assertThatThrownBy(() -> VersionedEvent.of(null, 1, new Deposited(1), "c"))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("sourceId");
    assertThatThrownBy(() -> VersionedEvent.of("s", -1, new Deposited(1), "c"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("version");
    assertThatThrownBy(() -> Command.builder(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("body");
    assertThatThrownBy(() -> Command.reactingTo(null, new Credit("a", 1)))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("cause");
  }
}
