package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.Wallet.Deposited;
import io.cqrs.Wallet.InsufficientFunds;
import io.cqrs.Wallet.Opened;
import io.cqrs.Wallet.Withdrawn;
import io.cqrs.testing.AggregateFixture;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class AggregateFixtureTest {
  record Withdraw(String walletId, BigDecimal amount) {}

  private static final BigDecimal TEN = new BigDecimal("10.00");
  private static final BigDecimal THREE = new BigDecimal("3.00");

  private AggregateFixture<Wallet> fixture() {
    return AggregateFixture.of(Wallet::new, Wallet.types());
  }

  private AggregateFixture<Wallet> fixtureWithHandlers() {
    return fixture()
        .withCommandHandlers(
            (commands, repository) ->
                commands.registerCommandHandler(
                    Withdraw.class,
                    (body, command) -> {
                      Wallet wallet = repository.get(body.walletId(), Wallet::new);
                      wallet.withdraw(body.amount());
                      repository.save(wallet, command);
                    }));
  }

  @Test
  void given_when_then_passes_when_the_events_match() {
    AggregateFixture.Outcome outcome =
        fixture()
            .given("w-1", new Opened("ada"), new Deposited(TEN))
            .when("w-1", wallet -> wallet.withdraw(THREE))
            .then(new Withdrawn(THREE));

    assertThat(outcome.events()).containsExactly(new Withdrawn(THREE));
    assertThat(outcome.failure()).isNull();
  }

  @Test
  void when_sees_the_state_built_from_the_given_history() {
    fixture()
        .given("w-1", new Opened("ada"))
        .given("w-1", new Deposited(TEN), new Deposited(THREE))
        .when("w-1", wallet -> assertThat(wallet.balance()).isEqualByComparingTo("13"))
        .then();
  }

  @Test
  void when_on_an_aggregate_without_history_starts_from_an_empty_one() {
    fixture().when("new", wallet -> wallet.raise(new Opened("bob"))).then(new Opened("bob"));
  }

  @Test
  void then_throws_an_assertion_error_when_the_events_differ() {
    AggregateFixture.Outcome outcome =
        fixture()
            .given("w-1", new Opened("ada"), new Deposited(TEN))
            .when("w-1", wallet -> wallet.withdraw(THREE));

    assertThatThrownBy(() -> outcome.then(new Withdrawn(TEN)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("Expected events [Withdrawn[amount=10.00]]")
        .hasMessageContaining("but got [Withdrawn[amount=3.00]]");
    assertThatThrownBy(outcome::then).isInstanceOf(AssertionError.class);
    assertThatThrownBy(() -> outcome.then(new Withdrawn(THREE), new Withdrawn(THREE)))
        .isInstanceOf(AssertionError.class);
  }

  @Test
  void then_throws_an_assertion_error_when_the_step_failed() {
    AggregateFixture.Outcome outcome =
        fixture().given("w-1", new Opened("ada")).when("w-1", wallet -> wallet.withdraw(THREE));

    assertThatThrownBy(() -> outcome.then(new Withdrawn(THREE)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("the step failed")
        .hasCauseInstanceOf(InsufficientFunds.class);
  }

  @Test
  void then_fails_passes_for_the_exception_thrown_or_a_supertype() {
    AggregateFixture.Outcome outcome =
        fixture()
            .given("w-1", new Opened("ada"))
            .when("w-1", wallet -> wallet.withdraw(THREE))
            .thenFails(InsufficientFunds.class)
            .thenFails(RuntimeException.class);

    assertThat(outcome.events()).isEmpty();
    assertThat(outcome.failure()).isInstanceOf(InsufficientFunds.class);
  }

  @Test
  void then_fails_throws_an_assertion_error_when_the_step_succeeded_or_failed_otherwise() {
    AggregateFixture.Outcome succeeded =
        fixture()
            .given("w-1", new Opened("ada"), new Deposited(TEN))
            .when("w-1", wallet -> wallet.withdraw(THREE));
    AggregateFixture.Outcome failedOtherwise =
        fixture()
            .given("w-1", new Opened("ada"))
            .when("w-1", wallet -> wallet.deposit(BigDecimal.ZERO));

    assertThatThrownBy(() -> succeeded.thenFails(InsufficientFunds.class))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("Expected InsufficientFunds but the step produced");
    assertThatThrownBy(() -> failedOtherwise.thenFails(InsufficientFunds.class))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("IllegalArgumentException");
  }

  @Test
  void a_command_is_run_through_the_registered_handler() {
    fixtureWithHandlers()
        .given("w-1", new Opened("ada"), new Deposited(TEN))
        .when(new Withdraw("w-1", THREE))
        .then(new Withdrawn(THREE));
  }

  @Test
  void a_command_dispatched_again_with_its_message_id_takes_effect_once() {
    AggregateFixture<Wallet> fixture =
        fixtureWithHandlers().given("w-1", new Opened("ada"), new Deposited(TEN));
    Command withdraw = Command.create(new Withdraw("w-1", THREE));

    Object sameCommand = withdraw; // a Command where an Object is expected is not wrapped again

    fixture.when(withdraw).then(new Withdrawn(THREE));
    fixture.when(withdraw).then();
    fixture.when(sameCommand).then();
    // The same body under another message id is another command.
    fixture.when(new Withdraw("w-1", THREE)).then(new Withdrawn(THREE));
    assertThat(fixture.repository().get("w-1", Wallet::new).balance()).isEqualByComparingTo("4.00");
  }

  @Test
  void a_rejected_command_fails_with_the_domain_exception() {
    fixtureWithHandlers()
        .given("w-1", new Opened("ada"))
        .when(new Withdraw("w-1", THREE))
        .thenFails(InsufficientFunds.class);
  }

  @Test
  void a_command_without_a_handler_fails_with_missing_handler_exception() {
    fixture().when(new Withdraw("w-1", THREE)).thenFails(MissingHandlerException.class);
  }

  @Test
  void a_given_event_of_an_unregistered_type_is_reported() {
    record Stranger() {}

    assertThatThrownBy(() -> fixture().given("w-1", new Stranger()))
        .isInstanceOf(UnknownTypeException.class);
  }
}
