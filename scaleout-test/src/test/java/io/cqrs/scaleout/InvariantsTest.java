package io.cqrs.scaleout;

import static io.cqrs.scaleout.RunFixture.creditedForTransfer;
import static io.cqrs.scaleout.RunFixture.money;
import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.example.bank.domain.AccountEvent.AccountCredited;
import io.cqrs.scaleout.Outcomes.Outcome;
import io.cqrs.scaleout.SentCommand.Kind;
import org.junit.jupiter.api.Test;

class InvariantsTest {
  private static final String NO_EFFECT_TWICE =
      "no command took effect twice, nor took effect and was rejected (every message id)";

  @Test
  void a_consistent_run_keeps_every_store_invariant() {
    Invariants invariants = RunFixture.consistent().invariants();

    assertThat(invariants.checkAll())
        .allSatisfy(check -> assertThat(check.holds()).as(check.toString()).isTrue())
        .allSatisfy(check -> assertThat(check.checked()).as(check.name()).isPositive());
  }

  @Test
  void a_credit_applied_twice_fails_both_exactly_once_checks_naming_both_events() {
    Invariants invariants =
        RunFixture.consistent()
            .append("hot-01", "p1-000001", new AccountCredited(money("10.00"), null))
            .invariants();

    assertFailsWith(
        invariants.acceptedCommandsTookEffectOnce(),
        "command p1-000001: expected 1 event on stream hot-01, actual 2 event(s)"
            + " [hot-01@2 AccountCredited, hot-01@4 AccountCredited]");
    assertFailsWith(
        reported(invariants, NO_EFFECT_TWICE),
        "command p1-000001: expected one event on each stream it touched and no CommandFailed,"
            + " actual 2 events on hot-01 [hot-01@2 AccountCredited, hot-01@4 AccountCredited]");
    assertFailsWith(
        invariants.balancesEqualTheFoldOfAcceptedCommands(),
        "stream hot-01: expected 490.00, actual 500.00");
  }

  @Test
  void a_transfer_step_that_took_effect_twice_fails_the_no_effect_twice_check_by_its_derived_id() {
    // The transfer process's credit, delivered twice and committed twice: only its derived message
    // id ties the two events together, and no sent command names it.
    Invariants invariants =
        RunFixture.consistent()
            .append("hot-02", RunFixture.step("CreditAccountForTransfer"), creditedForTransfer())
            .invariants();

    assertFailsWith(
        reported(invariants, NO_EFFECT_TWICE),
        "command tr-p1-000003/CreditAccountForTransfer: expected one event on each stream it"
            + " touched and no CommandFailed, actual 2 events on hot-02"
            + " [hot-02@3 AccountCredited, hot-02@4 AccountCredited]");
    assertThat(invariants.acceptedCommandsTookEffectOnce().holds()).isTrue();
    assertThat(invariants.everyCommandHasOneOutcome().holds()).isTrue();
  }

  @Test
  void a_debit_that_took_effect_and_was_rejected_fails_the_no_effect_twice_check_with_both() {
    Invariants invariants = RunFixture.consistent().fail("p1-000002").invariants();

    assertFailsWith(
        reported(invariants, NO_EFFECT_TWICE),
        "command p1-000002: expected one event on each stream it touched and no CommandFailed,"
            + " actual [hot-02@2 AccountDebited] and CommandFailed InsufficientFunds: no money");
    assertFailsWith(
        invariants.everyCommandHasOneOutcome(),
        "command p1-000002 (DEBIT hot-02): expected accepted or rejected, actual BOTH");
  }

  @Test
  void a_transfer_created_and_also_rejected_as_existing_fails_only_the_outcome_checks() {
    // A racing second delivery found the transfer the first one had just created: the transfer
    // still ran, so balances, money and the transfer's end are judged with its effect.
    Invariants invariants =
        RunFixture.consistent()
            .fail(
                "p1-000003",
                "CreateMoneyTransfer",
                "io.cqrs.example.bank.domain.AlreadyExistsException",
                "Transfer 'tr-p1-000003' already exists")
            .invariants();

    assertThat(invariants.checkAll())
        .filteredOn(check -> !check.holds())
        .extracting(Check::name)
        .containsExactly(invariants.everyCommandHasOneOutcome().name(), NO_EFFECT_TWICE);
    assertFailsWith(
        reported(invariants, NO_EFFECT_TWICE),
        "command p1-000003: expected one event on each stream it touched and no CommandFailed,"
            + " actual [tr-p1-000003@1 MoneyTransferCreated] and CommandFailed"
            + " AlreadyExistsException: Transfer 'tr-p1-000003' already exists");
  }

  @Test
  void a_transfer_step_that_took_effect_and_failed_fails_the_no_effect_twice_check_with_both() {
    String debit = RunFixture.step("DebitAccountForTransfer");
    Invariants invariants =
        RunFixture.consistent()
            .fail(
                debit,
                "DebitAccountForTransfer",
                "io.cqrs.example.bank.domain.UnknownAccountException",
                "no account hot-01")
            .invariants();

    assertFailsWith(
        reported(invariants, NO_EFFECT_TWICE),
        "command tr-p1-000003/DebitAccountForTransfer: expected one event on each stream it"
            + " touched and no CommandFailed, actual [hot-01@3 AccountDebited] and CommandFailed"
            + " UnknownAccountException: no account hot-01");
    assertThat(invariants.everyCommandHasOneOutcome().holds()).isTrue();
  }

  @Test
  void a_command_whose_two_deliveries_were_both_rejected_keeps_every_store_invariant() {
    // Two deliveries of the refused debit raced and each recorded its CommandFailed: no effect.
    Invariants invariants = RunFixture.consistent().fail("p1-000004").invariants();

    assertThat(invariants.checkAll())
        .allSatisfy(check -> assertThat(check.holds()).as(check.toString()).isTrue());
    assertThat(invariants.outcomes().of("p1-000004")).isEqualTo(Outcome.REJECTED);
  }

  @Test
  void a_gap_in_a_stream_fails_the_gapless_check_with_the_versions_found() {
    Invariants invariants = RunFixture.consistent().dropFromStream("hot-02", 2).invariants();

    assertFailsWith(invariants.streamsAreGapless(), "stream hot-02: expected 1..2, actual [1, 3]");
  }

  @Test
  void money_created_outside_any_command_fails_the_conservation_check_with_both_totals() {
    // A transfer step credited twice: the destination got 1.00 more than anybody paid.
    Invariants invariants =
        RunFixture.consistent()
            .append("hot-02", "process-5", new AccountCredited(money("1.00"), RunFixture.TRANSFER))
            .invariants();

    assertFailsWith(
        invariants.moneyIsConserved(), "all accounts: expected 1005.00, actual 1006.00");
  }

  @Test
  void a_command_both_applied_and_rejected_fails_the_one_outcome_check() {
    Invariants invariants = RunFixture.consistent().fail("p1-000001").invariants();

    assertFailsWith(
        invariants.everyCommandHasOneOutcome(),
        "command p1-000001 (CREDIT hot-01): expected accepted or rejected, actual BOTH");
  }

  @Test
  void a_command_that_left_no_trace_fails_the_one_outcome_check_as_lost() {
    Invariants invariants =
        RunFixture.consistent()
            .command("p1-000005", Kind.CREDIT, "hot-02", null, "3.00")
            .invariants();

    assertFailsWith(
        invariants.everyCommandHasOneOutcome(),
        "command p1-000005 (CREDIT hot-02): expected accepted or rejected, actual LOST");
  }

  @Test
  void an_event_left_unpublished_fails_the_relay_check_with_its_log_position() {
    Invariants invariants = RunFixture.consistent().unpublished("hot-01", 2).invariants();

    assertFailsWith(
        invariants.relayPublishedEverything(),
        "stream hot-01 version 2: expected published, actual unpublished at log position 3");
  }

  /** The check of that name among those the report lists; fails if the report lacks it. */
  static Check reported(Invariants invariants, String name) {
    return invariants.checkAll().stream()
        .filter(check -> check.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("the report has no check '" + name + "'"));
  }

  static void assertFailsWith(Check check, String evidence) {
    assertThat(check.holds()).as("%s should fail", check.name()).isFalse();
    assertThat(check.violations()).isEqualTo(1);
    assertThat(check.evidence()).containsExactly(evidence);
  }
}
