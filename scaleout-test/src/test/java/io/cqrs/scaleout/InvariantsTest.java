package io.cqrs.scaleout;

import static io.cqrs.scaleout.RunFixture.money;
import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.example.bank.domain.AccountEvent.AccountCredited;
import io.cqrs.scaleout.SentCommand.Kind;
import org.junit.jupiter.api.Test;

class InvariantsTest {

  @Test
  void a_consistent_run_keeps_every_store_invariant() {
    Invariants invariants = RunFixture.consistent().invariants();

    assertThat(invariants.checkAll())
        .allSatisfy(check -> assertThat(check.holds()).as(check.toString()).isTrue())
        .allSatisfy(check -> assertThat(check.checked()).as(check.name()).isPositive());
  }

  @Test
  void a_credit_applied_twice_fails_the_exactly_once_check_naming_both_events() {
    Invariants invariants =
        RunFixture.consistent()
            .append("hot-01", "p1-000001", new AccountCredited(money("10.00"), null))
            .invariants();

    assertFailsWith(
        invariants.acceptedCommandsTookEffectOnce(),
        "command p1-000001: expected 1 event on stream hot-01, actual 2 event(s)"
            + " [hot-01@2 AccountCredited, hot-01@4 AccountCredited]");
    assertFailsWith(
        invariants.balancesEqualTheFoldOfAcceptedCommands(),
        "stream hot-01: expected 490.00, actual 500.00");
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

  static void assertFailsWith(Check check, String evidence) {
    assertThat(check.holds()).as("%s should fail", check.name()).isFalse();
    assertThat(check.violations()).isEqualTo(1);
    assertThat(check.evidence()).containsExactly(evidence);
  }
}
