package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventProcessor;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.BusHealth;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The readiness of an instance covers its event processors, not only its buses. */
class BankHealthTest {
  record Happened(String what) {}

  @Test
  void a_processor_that_stopped_on_a_failure_makes_the_instance_unready_and_is_named() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    try (TrackingEventProcessor failing =
            EventProcessor.tracking("bank-accounts", store)
                .handler(
                    event -> {
                      throw new IllegalStateException("view store refused the write");
                    })
                .maxAttempts(1)
                .stopOnFailure()
                .idleWait(Duration.ofMillis(10))
                .build();
        TrackingEventProcessor paused =
            EventProcessor.tracking("bank-transfers", store).handler(event -> {}).build()) {
      failing.start();
      paused.start();
      paused.pause();
      BankHealth before =
          new BankHealth(
              BusHealth.healthy(1),
              BusHealth.healthy(1),
              List.of(BankHealth.Processor.of(failing), BankHealth.Processor.of(paused)));
      assertThat(before.ready()).isTrue();

      store.recordIntegrationEvent(io.cqrs.VersionedEvent.of("s-1", 0, new Happened("x"), "c"));
      Await.await("the processor to stop on its failure")
          .atMost(Duration.ofSeconds(30))
          .until(() -> failing.failure() != null);

      BankHealth after =
          new BankHealth(
              BusHealth.healthy(1),
              BusHealth.healthy(1),
              List.of(BankHealth.Processor.of(failing), BankHealth.Processor.of(paused)));
      assertThat(after.ready()).isFalse();
      assertThat(after.needsRestart()).isFalse();
      assertThat(after.describe())
          .contains("processor bank-accounts failed")
          .contains("view store refused the write")
          .doesNotContain("bank-transfers");
      assertThat(after.processors())
          .extracting(BankHealth.Processor::name, BankHealth.Processor::paused)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("bank-accounts", false),
              org.assertj.core.groups.Tuple.tuple("bank-transfers", true));
    }
  }

  @Test
  void a_running_bank_reports_each_of_its_processors() throws Exception {
    try (BankInfrastructure infrastructure = BankInfrastructure.inMemory();
        Bank bank = Bank.create(infrastructure, new PasswordHasher(1_000)).start()) {
      BankHealth health = bank.health();

      assertThat(health.ready()).isTrue();
      assertThat(health.processors())
          .extracting(BankHealth.Processor::name)
          .contains(Bank.TRANSFER_PROCESS)
          .hasSize(bank.cqrs().processors().size());
    }
  }
}
