package io.cqrs.scaleout;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class WorkerShareTest {

  @Test
  void a_worker_log_is_counted_as_handled_rejected_skipped_refused_and_conflicting_commands() {
    List<String> log =
        List.of(
            "02:50:12.001 [cqrs-rabbit-bank-1] DEBUG CommandDispatchManager - Handled"
                + " CreditAccount (p1-000001)",
            "02:50:12.002 [cqrs-rabbit-bank-2] DEBUG CommandDispatchManager - Conflict on"
                + " DebitAccount (attempt 1), retrying",
            "02:50:12.003 [cqrs-rabbit-bank-2] DEBUG CommandDispatchManager - Handled"
                + " DebitAccount (p1-000002)",
            "02:50:12.560 [cqrs-rabbit-bank-2] INFO CommandDispatchManager - Command OpenAccount"
                + " (p1-000095) rejected: io.cqrs.example.bank.domain.AlreadyExistsException:"
                + " Account 'hot-06' already exists",
            "02:50:13.000 [cqrs-rabbit-bank-1] DEBUG CommandDispatchManager - Command"
                + " CreditAccount (p1-000001) was handled before; not handling it again",
            "02:50:13.050 [cqrs-rabbit-bank-2] DEBUG CommandDispatchManager - Command"
                + " p1-000003 took effect in an earlier delivery (tr-p1-000003)",
            "02:50:13.100 [main] WARN SomethingElse - Handled nothing");

    WorkerShare share = WorkerShare.fromLines("worker-1", log);

    assertThat(share).isEqualTo(new WorkerShare("worker-1", 2, 1, 1, 1, 1));
    assertThat(share.commands()).isEqualTo(3);
  }
}
