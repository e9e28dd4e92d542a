package io.cqrs;

import static io.cqrs.testing.SplitEventsContract.contractTypes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.testing.AggregateFixture;
import io.cqrs.testing.SplitEventsContract.Account;
import io.cqrs.testing.SplitEventsContract.Deposited;
import io.cqrs.testing.SplitEventsContract.Opened;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What splitting upcasters make of stored JSON before any store is involved: the split and dropped
 * envelopes the serializer reads and writes again, the aggregate fixture's history, the worked
 * example of docs/schema-evolution.md and the mistakes refused at registration or when reading.
 * {@link io.cqrs.testing.SplitEventsContract}, on the same events, covers what stores make of them.
 */
class SplittingUpcasterTest {
  /** An envelope as the earlier version stored it: revision 1, no revision field. */
  static String stored(String stream, long version, String type, String payload) {
    return """
        {"id":"%s-%d","correlationId":"c-1","causationId":null,"sourceId":"%s","actor":null,\
        "onBehalfOf":null,"version":%d,"eventType":"%s","created":"2024-01-02T03:04:05Z",\
        "event":%s,"metadata":{}}"""
        .formatted(stream, version, stream, version, type, payload);
  }

  private final TypeRegistry registry = contractTypes();
  private final EventSerializer serializer = new EventSerializer(registry);

  private VersionedEvent read(String json) {
    return serializer.deserializeEvent(json.getBytes(StandardCharsets.UTF_8));
  }

  /** An opening the earlier version stored, read with {@code types}. */
  private static VersionedEvent readOldOpening(TypeRegistry types) {
    return new EventSerializer(types)
        .deserializeEvent(
            stored("a", 1, "Opened", "{\"owner\":\"x\"}").getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void a_split_event_reads_as_one_stored_event_whose_parts_share_its_version_in_order() {
    VersionedEvent split = read(stored("acc-1", 7, "Opened", "{\"owner\":\"ada\",\"deposit\":10}"));

    assertThat(split.isSplit()).isTrue();
    assertThat(split.version()).isEqualTo(7);
    assertThat(((SplitEvent) split.event()).storedType()).isEqualTo("Opened");
    assertThat(split.parts())
        .extracting(VersionedEvent::id, VersionedEvent::version, VersionedEvent::event)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("acc-1-7#1", 7L, new Opened("ada")),
            org.assertj.core.groups.Tuple.tuple("acc-1-7#2", 7L, new Deposited(10, "EUR")));
    VersionedEvent dropped = read(stored("acc-1", 8, "Deposited", "{\"amount\":0}"));
    assertThat(dropped.isSplit()).isTrue();
    assertThat(dropped.parts()).isEmpty();
    VersionedEvent oneToOne = read(stored("acc-1", 9, "Deposited", "{\"amount\":4}"));
    assertThat(oneToOne.isSplit()).isFalse();
    assertThat(oneToOne.event()).isEqualTo(new Deposited(4, "EUR"));
    assertThat(oneToOne.parts()).containsExactly(oneToOne);
  }

  @Test
  void a_split_event_written_again_reads_back_as_the_same_parts_without_upcasting() {
    VersionedEvent split = read(stored("acc-1", 7, "Opened", "{\"owner\":\"ada\",\"deposit\":10}"));

    byte[] written = serializer.serialize(split);

    assertThat(new String(written, StandardCharsets.UTF_8)).contains("\"cqrs.SplitEvent\"");
    assertThat(serializer.deserializeEvent(written)).isEqualTo(split);
    assertThat(serializer.fromTree(serializer.toTree(split))).isEqualTo(split);
    VersionedEvent dropped = read(stored("acc-1", 8, "Deposited", "{\"amount\":0}"));
    assertThat(serializer.deserializeEvent(serializer.serialize(dropped))).isEqualTo(dropped);
  }

  @Test
  void the_fixture_takes_history_that_splits_and_drops() {
    AggregateFixture<Account> fixture = AggregateFixture.of(Account::new, registry);

    fixture
        .givenJson("acc-1", "Opened", 1, "{\"owner\":\"ada\",\"deposit\":10}")
        .givenJson("acc-1", "Deposited", 1, "{\"amount\":0}")
        .when("acc-1", account -> account.deposit(account.balance()))
        .then(new Deposited(10, "EUR"));
  }

  /** docs/schema-evolution.md's worked example, on example-bank's account events. */
  static final class BankExample {
    @TypeName(revision = 2)
    record EmailAddressChanged(String previousEmail, String newEmail) {}

    record PasswordChanged(String newPasswordHash) {}

    static final class Login extends EventSourceBased {
      String email;
      String passwordHash;

      Login(String id) {
        super(id);
      }

      void changePassword(String hash) {
        update(new PasswordChanged(hash));
      }

      private void handleEmailAddressChanged(EmailAddressChanged event) {
        email = event.newEmail();
      }

      private void handlePasswordChanged(PasswordChanged event) {
        passwordHash = event.newPasswordHash();
      }
    }

    static TypeRegistry types() {
      return new TypeRegistry()
          .registerAggregate(Login.class, EmailAddressChanged.class, PasswordChanged.class)
          .splittingUpcaster(
              EmailAddressChanged.class,
              1,
              List.of(EmailAddressChanged.class, PasswordChanged.class),
              changed -> {
                com.fasterxml.jackson.databind.JsonNode hash = changed.remove("newPasswordHash");
                SplittingUpcaster.Part address =
                    SplittingUpcaster.part(EmailAddressChanged.class, 2, changed);
                if (hash == null) {
                  return List.of(address); // an address change alone: one event, as before
                }
                ObjectNode password = changed.objectNode().set("newPasswordHash", hash);
                return List.of(address, SplittingUpcaster.part(PasswordChanged.class, 1, password));
              });
    }
  }

  @Test
  void the_worked_example_an_address_change_that_reset_the_password_reads_as_two_events() {
    EventSerializer bank = new EventSerializer(BankExample.types());
    String storedByTheFirstVersion =
        """
        {"id":"e-3","correlationId":"c-3","causationId":null,"sourceId":"john","actor":null,        "onBehalfOf":null,"version":3,"eventType":"EmailAddressChanged",        "created":"2024-01-02T03:04:05Z","event":{"previousEmail":"john@old.example",        "newEmail":"john@cqrs.example","newPasswordHash":"pbkdf2$1000$c2FsdA$aGFzaA"},        "metadata":{}}""";

    VersionedEvent read =
        bank.deserializeEvent(storedByTheFirstVersion.getBytes(StandardCharsets.UTF_8));

    assertThat(read.version()).isEqualTo(3);
    assertThat(read.parts())
        .extracting(VersionedEvent::id, VersionedEvent::version, VersionedEvent::event)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "e-3#1",
                3L,
                new BankExample.EmailAddressChanged("john@old.example", "john@cqrs.example")),
            org.assertj.core.groups.Tuple.tuple(
                "e-3#2", 3L, new BankExample.PasswordChanged("pbkdf2$1000$c2FsdA$aGFzaA")));
    VersionedEvent alone =
        bank.deserializeEvent(
            storedByTheFirstVersion
                .replace(",\"newPasswordHash\":\"pbkdf2$1000$c2FsdA$aGFzaA\"", "")
                .getBytes(StandardCharsets.UTF_8));
    assertThat(alone.isSplit()).isFalse();
    assertThat(alone.eventType()).isEqualTo("EmailAddressChanged");

    AggregateFixture<BankExample.Login> fixture =
        AggregateFixture.of(BankExample.Login::new, BankExample.types());
    fixture
        .givenJson(
            "john",
            "EmailAddressChanged",
            1,
            "{\"previousEmail\":\"a@x\",\"newEmail\":\"b@x\",\"newPasswordHash\":\"h1\"}")
        .when(
            "john",
            login -> {
              assertThat(login.version()).isEqualTo(1);
              assertThat(login.email).isEqualTo("b@x");
              assertThat(login.passwordHash).isEqualTo("h1");
              login.changePassword("h2");
            })
        .then(new BankExample.PasswordChanged("h2"));
  }

  @Test
  void an_event_that_splits_into_one_of_another_type_still_tells_the_type_it_was_stored_as() {
    TypeRegistry becomesADeposit =
        new TypeRegistry()
            .registerEvents(Opened.class, Deposited.class)
            .alias("AccountOpened", Opened.class)
            .splittingUpcaster(
                Opened.class,
                1,
                List.of(Deposited.class),
                opened ->
                    List.of(
                        SplittingUpcaster.part(
                            Deposited.class,
                            2,
                            opened.objectNode().put("amount", 1).put("currency", "EUR"))));
    EventSerializer reader = new EventSerializer(becomesADeposit);
    byte[] opened = stored("a", 1, "Opened", "{\"owner\":\"x\"}").getBytes(StandardCharsets.UTF_8);
    byte[] underAlias =
        stored("a", 1, "AccountOpened", "{\"owner\":\"x\"}").getBytes(StandardCharsets.UTF_8);

    assertThat(reader.deserializeEvent(opened).eventType()).isEqualTo("Deposited");
    assertThat(reader.storedEventType(opened)).isEqualTo("Opened");
    assertThat(reader.storedEventType(underAlias)).isEqualTo("Opened");
    VersionedEvent split = read(stored("acc-1", 7, "Opened", "{\"owner\":\"ada\",\"deposit\":10}"));
    assertThat(serializer.storedEventType(serializer.serialize(split)))
        .isEqualTo("cqrs.SplitEvent");
  }

  @Test
  void registration_mistakes_of_splitting_upcasters_fail_at_start_up_naming_type_and_revisions() {
    assertThatThrownBy(() -> contractTypes().upcaster(Opened.class, 1, payload -> payload))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Two upcasters of Opened from revision 1 to 2");
    TypeRegistry unregisteredPart =
        new TypeRegistry()
            .registerEvents(Opened.class)
            .splittingUpcaster(Opened.class, 1, List.of(Deposited.class), payload -> List.of());
    assertThatThrownBy(() -> Cqrs.builder().types(unregisteredPart).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "The splitting upcaster of Opened from revision 1 to 2 makes parts of "
                + Deposited.class.getName()
                + ", which is not registered");
    assertThatThrownBy(
            () ->
                new TypeRegistry()
                    .registerEvents(Deposited.class)
                    .splittingUpcaster(Deposited.class, 2, List.of(), payload -> List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Deposited is at revision 2, so upcasters go from revision 1 to 1");
  }

  /** A part type whose JSON binds as another class, as in EnvelopeIntegrityTest. */
  @com.fasterxml.jackson.databind.annotation.JsonDeserialize(as = Impostor.class)
  interface Shifty {}

  record Impostor(long amount) implements Shifty {}

  @Test
  void a_part_that_binds_as_another_class_than_its_type_is_refused() {
    TypeRegistry shifty =
        new TypeRegistry()
            .registerEvents(Opened.class, Shifty.class, Impostor.class)
            .splittingUpcaster(
                Opened.class,
                1,
                List.of(Opened.class, Shifty.class),
                opened ->
                    List.of(
                        SplittingUpcaster.part(Opened.class, 2, opened.deepCopy()),
                        SplittingUpcaster.part(
                            Shifty.class, 1, opened.objectNode().put("amount", 1))));

    assertThatThrownBy(() -> readOldOpening(shifty))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("A Shifty event reads as a " + Impostor.class.getName())
        .hasMessageContaining("named 'Impostor'");
  }

  @Test
  void a_part_the_upcaster_did_not_declare_or_that_would_loop_is_refused_when_read() {
    TypeRegistry undeclared =
        new TypeRegistry()
            .registerEvents(Opened.class, Deposited.class)
            .splittingUpcaster(
                Opened.class,
                1,
                List.of(Opened.class),
                opened -> List.of(SplittingUpcaster.part(Deposited.class, 2, opened)));
    assertThatThrownBy(() -> readOldOpening(undeclared))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("The upcaster of Opened from revision 1 made a part of")
        .hasMessageContaining("not among the part types it was registered with");
    TypeRegistry looping =
        new TypeRegistry()
            .registerEvents(Opened.class)
            .splittingUpcaster(
                Opened.class,
                1,
                List.of(Opened.class),
                opened -> List.of(SplittingUpcaster.part(Opened.class, 1, opened)));
    assertThatThrownBy(() -> readOldOpening(looping))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("a part of its own type must be at a revision above 1");
  }
}
