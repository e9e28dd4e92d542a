package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.testing.Await;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * An envelope's type name always names its payload's class (issue 12, item 4): a misnamed envelope
 * cannot be built, so no store, bus or serializer ever holds one.
 */
class EnvelopeIntegrityTest {
  /** Two events of one shape: after a JSON round trip only the type name tells them apart. */
  record MoneyDeposited(String account, BigDecimal amount) {}

  record MoneyWithdrawn(String account, BigDecimal amount) {}

  @TypeName("money-refunded-v2")
  record MoneyRefunded(String account, BigDecimal amount) {}

  record Deposit(String account, BigDecimal amount) {}

  record Withdraw(String account, BigDecimal amount) {}

  /** Registered under its own name, but Jackson reads it as another class. */
  @JsonDeserialize(as = Impostor.class)
  interface Shifty {}

  record Impostor(String text) implements Shifty {}

  private static final BigDecimal TEN = new BigDecimal("10.00");

  private final TypeRegistry registry =
      new TypeRegistry()
          .registerEvents(MoneyDeposited.class, MoneyWithdrawn.class, MoneyRefunded.class)
          .registerEvents(Shifty.class, Impostor.class)
          .registerCommands(Deposit.class, Withdraw.class);
  private final EventSerializer serializer = new EventSerializer(registry);

  // ---------------------------------------------------------------- construction

  @Test
  void an_event_envelope_whose_type_names_another_event_cannot_be_built() {
    assertThatThrownBy(() -> event("e-1", "MoneyWithdrawn", new MoneyDeposited("a", TEN)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("e-1")
        .hasMessageContaining("'MoneyWithdrawn'")
        .hasMessageContaining("'MoneyDeposited'")
        .hasMessageContaining(MoneyDeposited.class.getName());
  }

  @Test
  void an_event_envelope_must_use_the_type_name_annotation_not_the_simple_name() {
    assertThatThrownBy(() -> event("e-2", "MoneyRefunded", new MoneyRefunded("a", TEN)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'MoneyRefunded'")
        .hasMessageContaining("'money-refunded-v2'");

    assertThat(event("e-3", "money-refunded-v2", new MoneyRefunded("a", TEN)).eventType())
        .isEqualTo(registry.nameOf(MoneyRefunded.class));
  }

  @Test
  void a_payload_that_is_no_message_type_at_all_is_named_as_such() {
    record Local(String text) {}

    assertThatThrownBy(() -> event("e-4", "Local", new Local("x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("e-4")
        .hasMessageContaining("'Local'")
        .hasMessageContaining("cannot be a message type");
  }

  @Test
  void a_command_whose_type_names_another_command_cannot_be_built() {
    assertThatThrownBy(
            () ->
                new Command(
                    "m-1", "c-1", null, "Withdraw", Instant.now(), new Deposit("a", TEN), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("m-1")
        .hasMessageContaining("'Withdraw'")
        .hasMessageContaining("'Deposit'")
        .hasMessageContaining(Deposit.class.getName());
  }

  @Test
  void the_factories_and_copies_keep_the_names_right() {
    Command command = Command.create(new Deposit("a", TEN)).causedBy("x").withMetadata("k", "v");
    VersionedEvent event = event("e-5", "MoneyDeposited", new MoneyDeposited("a", TEN));

    assertThat(command.commandType()).isEqualTo("Deposit");
    assertThat(event.withVersion(7).eventType()).isEqualTo("MoneyDeposited");
  }

  // ---------------------------------------------------------------- store and buses

  @Test
  void a_misnamed_event_never_reaches_the_store() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();

    assertThatThrownBy(
            () ->
                store.save(
                    "acc-1",
                    0,
                    List.of(event("e-6", "MoneyWithdrawn", new MoneyDeposited("a", TEN)))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'MoneyWithdrawn'")
        .hasMessageContaining("'MoneyDeposited'");
    assertThatThrownBy(
            () ->
                store.recordIntegrationEvent(
                    new VersionedEvent(
                        "e-7",
                        "c-1",
                        "m",
                        "m",
                        null,
                        null,
                        0,
                        "MoneyDeposited",
                        Instant.now(),
                        new CommandFailed("m", "Deposit", "E", "no"),
                        Map.of())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'MoneyDeposited'")
        .hasMessageContaining("'CommandFailed'");

    assertThat(store.version("acc-1")).isZero();
    assertThat(store.load("acc-1")).isEmpty();
    assertThat(store.eventsByCorrelationId("c-1")).isEmpty();
    assertThat(store.readLog(1, 10)).isEmpty();
  }

  @Test
  void a_misnamed_event_is_never_published() {
    List<VersionedEvent> received = new CopyOnWriteArrayList<>();
    try (InMemoryEventBus bus = new InMemoryEventBus()) {
      bus.subscribe("audit", 1, received::add);

      assertThatThrownBy(
              () ->
                  bus.publish(
                      List.of(event("e-8", "MoneyWithdrawn", new MoneyDeposited("a", TEN)))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("e-8");
      VersionedEvent honest = event("e-9", "MoneyDeposited", new MoneyDeposited("a", TEN));
      bus.publish(List.of(honest));

      Await.until("the honest event", () -> !received.isEmpty());
      Await.until("the bus to be idle", bus::isIdle);
      assertThat(received).containsExactly(honest);
      assertThat(bus.deadLetters()).isEmpty();
    }
  }

  @Test
  void a_misnamed_command_is_never_sent() {
    List<Command> received = new CopyOnWriteArrayList<>();
    try (InMemoryCommandBus bus = new InMemoryCommandBus()) {
      bus.subscribe("accounts", Set.of("Deposit", "Withdraw"), 1, received::add);

      assertThatThrownBy(
              () ->
                  bus.publish(
                      List.of(
                          new Command(
                              "m-2",
                              "c-2",
                              null,
                              "Withdraw",
                              Instant.now(),
                              new Deposit("a", TEN),
                              Map.of()))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("m-2");
      Command honest = Command.create(new Deposit("a", TEN));
      bus.publish(List.of(honest));

      Await.until("the honest command", () -> !received.isEmpty());
      Await.until("the bus to be idle", bus::isIdle);
      assertThat(received).containsExactly(honest);
      assertThat(bus.deadLetters()).isEmpty();
    }
  }

  // ---------------------------------------------------------------- deserialization

  @Test
  void a_document_whose_payload_reads_as_another_class_than_its_type_names_is_refused() {
    ObjectNode tree = serializer.toTree(event("e-10", "Impostor", new Impostor("x")));
    tree.put("eventType", "Shifty");
    byte[] bytes = tree.toString().getBytes(StandardCharsets.UTF_8);

    for (var read :
        List.<Runnable>of(
            () -> serializer.fromTree(tree), () -> serializer.deserializeEvent(bytes))) {
      assertThatThrownBy(read::run)
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("stream 'acc-1'")
          .hasMessageContaining("e-10")
          .hasMessageContaining("'Shifty'")
          .hasMessageContaining("'Impostor'");
    }
  }

  @Test
  void a_command_document_whose_body_reads_as_another_class_is_refused() {
    TypeRegistry commands = new TypeRegistry().registerCommands(Shifty.class, Impostor.class);
    EventSerializer commandSerializer = new EventSerializer(commands);
    ObjectNode tree = commandSerializer.toTree(Command.create(new Impostor("x")));
    tree.put("commandType", "Shifty");

    assertThatThrownBy(() -> commandSerializer.commandFromTree(tree))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(tree.get("messageId").textValue())
        .hasMessageContaining("'Shifty'")
        .hasMessageContaining("'Impostor'");
  }

  private static VersionedEvent event(String id, String type, Object payload) {
    return new VersionedEvent(
        id, "c-1", null, "acc-1", null, null, 1, type, Instant.now(), payload, Map.of());
  }
}
