package io.cqrs.scaleout;

import static io.cqrs.scaleout.RunFixture.money;
import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.CommandFailed;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.domain.AccountEvent.AccountCredited;
import io.cqrs.scaleout.SentCommand.Kind;
import io.cqrs.spi.LoggedEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutcomesTest {
  private static final Instant T = Instant.parse("2026-12-03T12:00:00Z");

  @Test
  void a_command_is_decided_when_its_first_event_or_failure_was_raised_and_a_lost_one_never() {
    List<SentCommand> sent = List.of(credit("p1-000001"), credit("p1-000002"), credit("p1-000003"));
    // p1-000001 took effect twice (a violation the invariants report): its first event decides.
    VersionedEvent later =
        RunFixture.event("hot-01", "p1-000001", 2, T.plusMillis(900), credited());
    VersionedEvent first =
        RunFixture.event("hot-01", "p1-000001", 1, T.plusMillis(400), credited());
    VersionedEvent failed =
        RunFixture.event(
            "p1-000002",
            "p1-000002",
            0,
            T.plusMillis(700),
            new CommandFailed("p1-000002", "DebitAccount", "x.InsufficientFunds", "no money"));
    StoreContents store =
        new StoreContents(
            List.of(
                new LoggedEvent(1, first, true),
                new LoggedEvent(2, failed, true),
                new LoggedEvent(3, later, true)),
            Map.of("hot-01", List.of(first, later)));

    long[] decided = new Outcomes(sent, store).decidedAtMillis();

    assertThat(decided)
        .containsExactly(T.plusMillis(400).toEpochMilli(), T.plusMillis(700).toEpochMilli(), 0L);
  }

  private static SentCommand credit(String id) {
    return new SentCommand(id, "p1", Kind.CREDIT, "hot-01", null, money("1.00"));
  }

  private static AccountCredited credited() {
    return new AccountCredited(money("1.00"), null);
  }
}
