package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Events and commands written by an earlier version of the application read as they are now. */
class SchemaEvolutionTest {
  /** Revision 1 had no currency; revision 2 has one, which old deposits (all euros) lack. */
  @TypeName(revision = 2)
  record MoneyDeposited(BigDecimal amount, String currency) {}

  /** Revision 1: {"who"}; 2: {"name"}; 3: {"firstName", "lastName"}. */
  @TypeName(value = "OwnerNamed", revision = 3)
  record OwnerNamed(String firstName, String lastName) {}

  /** Once called "Closed". */
  record AccountClosed(String reason) {}

  /** A command that gained a field. */
  @TypeName(revision = 2)
  record Deposit(String accountId, BigDecimal amount, String currency) {}

  private final AtomicInteger upcasts = new AtomicInteger();

  private TypeRegistry registry() {
    return new TypeRegistry()
        .registerEvents(MoneyDeposited.class, OwnerNamed.class, AccountClosed.class)
        .registerCommands(Deposit.class)
        .upcaster(
            MoneyDeposited.class,
            1,
            payload -> {
              upcasts.incrementAndGet();
              return payload.put("currency", "EUR");
            })
        .upcaster(
            OwnerNamed.class,
            1,
            payload -> {
              payload.set("name", payload.remove("who"));
              return payload;
            })
        .upcaster(
            OwnerNamed.class,
            2,
            payload -> {
              String[] parts = payload.remove("name").asText().split(" ", 2);
              return payload.put("firstName", parts[0]).put("lastName", parts[1]);
            })
        .alias("Closed", AccountClosed.class)
        .upcaster(Deposit.class, 1, payload -> payload.put("currency", "EUR"));
  }

  private static byte[] utf8(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  /** An event envelope as an earlier version wrote it: no revision field. */
  private static String stored(long version, String type, String payload) {
    return """
        {"id":"e-%d","correlationId":"c-1","causationId":null,"sourceId":"acc-1","actor":null,\
        "onBehalfOf":null,"version":%d,"eventType":"%s","created":"2024-01-02T03:04:05Z",\
        "event":%s,"metadata":{}}"""
        .formatted(version, version, type, payload);
  }

  @Test
  void an_event_stored_before_it_gained_a_field_reads_with_the_upcasters_default() {
    EventSerializer serializer = new EventSerializer(registry());

    VersionedEvent event =
        serializer.deserializeEvent(utf8(stored(1, "MoneyDeposited", "{\"amount\":10.50}")));

    assertThat(event.event()).isEqualTo(new MoneyDeposited(new BigDecimal("10.50"), "EUR"));
    assertThat(event.eventType()).isEqualTo("MoneyDeposited");
    assertThat(upcasts.get()).isEqualTo(1);
  }

  @Test
  void a_stream_of_old_and_current_revisions_reads_in_order_and_the_current_ones_pay_nothing() {
    EventSerializer serializer = new EventSerializer(registry());
    VersionedEvent current =
        VersionedEvent.of("acc-1", 2, new MoneyDeposited(BigDecimal.ONE, "USD"), "c-1");
    String written = new String(serializer.serialize(current), StandardCharsets.UTF_8);
    assertThat(written)
        .contains("\"revision\":2,")
        .containsSubsequence("\"revision\"", "\"event\"");

    List<VersionedEvent> stream =
        List.of(
            serializer.deserializeEvent(
                utf8(stored(1, "MoneyDeposited", "{\"amount\":5,\"ignored\":true}"))),
            serializer.deserializeEvent(utf8(written)),
            serializer.fromTree(serializer.toTree(current)));

    assertThat(stream)
        .extracting(VersionedEvent::version, e -> e.eventAs(MoneyDeposited.class).currency())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1L, "EUR"),
            org.assertj.core.groups.Tuple.tuple(2L, "USD"),
            org.assertj.core.groups.Tuple.tuple(2L, "USD"));
    assertThat(upcasts.get()).isEqualTo(1);
  }

  @Test
  void a_chain_of_upcasters_runs_step_by_step_from_the_stored_revision() {
    EventSerializer serializer = new EventSerializer(registry());

    OwnerNamed fromOne =
        serializer
            .deserializeEvent(utf8(stored(1, "OwnerNamed", "{\"who\":\"Ada Lovelace\"}")))
            .eventAs(OwnerNamed.class);
    String atTwo =
        stored(2, "OwnerNamed", "{\"name\":\"Grace Hopper\"}")
            .replace("\"eventType\"", "\"revision\":2,\"eventType\"");
    OwnerNamed fromTwo = serializer.deserializeEvent(utf8(atTwo)).eventAs(OwnerNamed.class);

    assertThat(fromOne).isEqualTo(new OwnerNamed("Ada", "Lovelace"));
    assertThat(fromTwo).isEqualTo(new OwnerNamed("Grace", "Hopper"));
  }

  @Test
  void a_renamed_event_reads_under_its_new_name_through_an_alias() {
    EventSerializer serializer = new EventSerializer(registry());

    VersionedEvent event =
        serializer.deserializeEvent(utf8(stored(3, "Closed", "{\"reason\":\"moved\"}")));

    assertThat(event.eventType()).isEqualTo("AccountClosed");
    assertThat(event.event()).isEqualTo(new AccountClosed("moved"));
    assertThat(serializer.fromTree(serializer.toTree(event)).eventType())
        .isEqualTo("AccountClosed");
  }

  @Test
  void a_command_sent_by_an_older_client_is_upcast_too() {
    EventSerializer serializer = new EventSerializer(registry());
    String old =
        """
        {"messageId":"m-1","correlationId":"c-1","causationId":null,"commandType":"Deposit",\
        "created":"2024-01-02T03:04:05Z","body":{"accountId":"acc-1","amount":3},"metadata":{}}""";

    Command command = serializer.deserializeCommand(utf8(old));

    assertThat(command.body()).isEqualTo(new Deposit("acc-1", new BigDecimal("3"), "EUR"));
    Command current = Command.create(new Deposit("acc-1", BigDecimal.TEN, "USD"));
    assertThat(serializer.deserializeCommand(serializer.serialize(current)).body())
        .isEqualTo(current.body());
  }

  @Test
  void a_revision_newer_than_this_application_knows_is_refused_with_the_reason() {
    EventSerializer serializer = new EventSerializer(registry());
    String fromTheFuture =
        stored(1, "MoneyDeposited", "{\"amount\":1,\"currency\":\"EUR\"}")
            .replace("\"eventType\"", "\"revision\":3,\"eventType\"");

    assertThatThrownBy(() -> serializer.deserializeEvent(utf8(fromTheFuture)))
        .isInstanceOf(NewerRevisionException.class)
        .hasMessageContaining("MoneyDeposited at revision 3 was written by a newer version")
        .satisfies(
            e -> {
              NewerRevisionException newer = (NewerRevisionException) e;
              assertThat(newer.typeName()).isEqualTo("MoneyDeposited");
              assertThat(newer.revision()).isEqualTo(3);
              assertThat(newer.knownRevision()).isEqualTo(2);
            });
    String malformed = fromTheFuture.replace("\"revision\":3", "\"revision\":\"three\"");
    assertThatThrownBy(() -> serializer.deserializeEvent(utf8(malformed)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("'revision'");
  }

  @Test
  void registration_mistakes_fail_at_start_up_naming_the_type_and_revisions() {
    TypeRegistry registry = registry();
    assertThatThrownBy(() -> registry.upcaster(MoneyDeposited.class, 1, payload -> payload))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Two upcasters of MoneyDeposited from revision 1 to 2");
    assertThatThrownBy(() -> registry.upcaster(MoneyDeposited.class, 2, payload -> payload))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(
            "MoneyDeposited is at revision 2, so upcasters go from revision 1 to 1");
    assertThatThrownBy(() -> registry.upcaster(AccountClosed.class, 1, payload -> payload))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("give it @TypeName(revision = 2) first");
    assertThatThrownBy(() -> registry.upcaster(String.class, 1, payload -> payload))
        .isInstanceOf(UnknownTypeException.class);
    assertThatThrownBy(() -> registry.alias("MoneyDeposited", AccountClosed.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("it names a registered type");
    assertThatThrownBy(() -> registry.alias("Closed", MoneyDeposited.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'Closed' is an alias of AccountClosed already");

    TypeRegistry missing =
        new TypeRegistry()
            .registerEvents(OwnerNamed.class)
            .upcaster(OwnerNamed.class, 1, payload -> payload);
    assertThatThrownBy(() -> Cqrs.builder().types(missing).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "The upcasters of OwnerNamed have a gap: none from revision 2 to 3, between the one"
                + " from revision 1 and revision 3");
    // A chain that starts above revision 1 is whole: no event older than it was ever stored.
    new TypeRegistry()
        .registerEvents(OwnerNamed.class)
        .upcaster(OwnerNamed.class, 2, payload -> payload)
        .validateUpcasters();
  }

  @Test
  void an_event_older_than_the_first_upcaster_fails_naming_the_missing_step() {
    TypeRegistry registry =
        new TypeRegistry()
            .registerEvents(OwnerNamed.class)
            .upcaster(OwnerNamed.class, 2, payload -> payload.put("firstName", "x"));
    EventSerializer serializer = new EventSerializer(registry);

    assertThatThrownBy(
            () -> serializer.deserializeEvent(utf8(stored(1, "OwnerNamed", "{\"who\":\"x\"}"))))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("No upcaster of OwnerNamed from revision 1 to 2");
  }

  @Test
  void readable_from_is_the_lowest_revision_the_upcasters_reach_the_current_one_from() {
    assertThat(registry().readableFrom(OwnerNamed.class)).isEqualTo(1);
    assertThat(registry().readableFrom(MoneyDeposited.class)).isEqualTo(1);
    assertThat(registry().readableFrom(AccountClosed.class)).isEqualTo(1); // never revised
    TypeRegistry fromTwo =
        new TypeRegistry()
            .registerEvents(OwnerNamed.class, MoneyDeposited.class)
            .upcaster(OwnerNamed.class, 2, payload -> payload);
    assertThat(fromTwo.readableFrom(OwnerNamed.class)).isEqualTo(2);
    assertThat(fromTwo.readableFrom(MoneyDeposited.class)).isEqualTo(2); // no upcaster at all
    assertThatThrownBy(() -> fromTwo.readableFrom(Deposit.class))
        .isInstanceOf(UnknownTypeException.class);
  }

  /** A till that pays out only what was paid in, per currency. */
  static final class Till extends EventSourceBased {
    private final java.util.Map<String, BigDecimal> cash = new java.util.HashMap<>();

    Till(String id) {
      super(id);
    }

    void payOut(BigDecimal amount, String currency) {
      if (cash.getOrDefault(currency, BigDecimal.ZERO).compareTo(amount) < 0) {
        throw new IllegalStateException("not enough " + currency);
      }
      update(new MoneyDeposited(amount.negate(), currency));
    }

    private void handleMoneyDeposited(MoneyDeposited event) {
      cash.merge(event.currency(), event.amount(), BigDecimal::add);
    }
  }

  @Test
  void the_fixture_takes_history_as_an_earlier_version_stored_it() {
    TypeRegistry registry = registry().registerAggregate(Till.class, MoneyDeposited.class);
    io.cqrs.testing.AggregateFixture<Till> fixture =
        io.cqrs.testing.AggregateFixture.of(Till::new, registry);

    fixture
        .givenJson("till-1", "MoneyDeposited", 1, "{\"amount\": 10}")
        .when("till-1", till -> till.payOut(new BigDecimal("4"), "EUR"))
        .then(new MoneyDeposited(new BigDecimal("-4"), "EUR"));
    fixture
        .when("till-1", till -> till.payOut(BigDecimal.ONE, "USD"))
        .thenFails(IllegalStateException.class);
  }
}
