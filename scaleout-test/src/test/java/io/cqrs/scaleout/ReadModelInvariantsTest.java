package io.cqrs.scaleout;

import static io.cqrs.scaleout.InvariantsTest.assertFailsWith;
import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.example.bank.domain.TransferState;
import io.cqrs.scaleout.SentCommand.Kind;
import org.junit.jupiter.api.Test;

class ReadModelInvariantsTest {

  @Test
  void read_models_equal_to_the_fold_of_the_store_keep_both_invariants() {
    RunFixture run = RunFixture.consistent();

    assertThat(run.readModelInvariants().checkAll())
        .allSatisfy(check -> assertThat(check.holds()).as(check.toString()).isTrue())
        .extracting(Check::checked)
        .containsExactly(2L, 1L);
    assertThat(run.readModels().caughtUpWith(run.store())).isTrue();
  }

  @Test
  void an_account_balance_off_by_one_fails_with_the_expected_and_the_actual_view() {
    RunFixture run =
        RunFixture.consistent().accountView("hot-01", RunFixture.account("hot-01", "491.00", 3));

    assertFailsWith(
        run.readModelInvariants().accountsEqualTheStore(),
        "account hot-01: expected balance 490.00, closed false, version 3,"
            + " actual balance 491.00, closed false, version 3");
  }

  @Test
  void an_account_view_one_event_behind_fails_and_is_not_caught_up() {
    RunFixture run =
        RunFixture.consistent().accountView("hot-02", RunFixture.account("hot-02", "515.00", 2));

    assertFailsWith(
        run.readModelInvariants().accountsEqualTheStore(),
        "account hot-02: expected balance 515.00, closed false, version 3,"
            + " actual balance 515.00, closed false, version 2");
    assertThat(run.readModels().caughtUpWith(run.store())).isFalse();
  }

  @Test
  void a_missing_account_view_fails() {
    RunFixture run = RunFixture.consistent().accountView("hot-02", null);

    assertFailsWith(
        run.readModelInvariants().accountsEqualTheStore(),
        "account hot-02: expected balance 515.00, closed false, version 3, actual no view");
  }

  @Test
  void a_view_of_an_account_that_was_never_opened_fails() {
    RunFixture run =
        RunFixture.consistent()
            .command("p1-000005", Kind.CREDIT, "ghost", null, "3.00")
            .fail("p1-000005")
            .accountView("ghost", RunFixture.account("ghost", "3.00", 1));

    assertFailsWith(
        run.readModelInvariants().accountsEqualTheStore(),
        "account ghost: expected no view (no stream), actual balance 3.00, closed false,"
            + " version 1");
  }

  @Test
  void a_transfer_view_stuck_in_an_earlier_state_fails_with_both_states() {
    RunFixture run =
        RunFixture.consistent().transferView(RunFixture.transfer(TransferState.DEBITED, 2));

    assertFailsWith(
        run.readModelInvariants().transfersEqualTheStore(),
        "transfer tr-p1-000003: expected state COMPLETED, version 3, actual state DEBITED,"
            + " version 2");
  }
}
