package io.cqrs.example.bank.domain;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.EventSourcingRepository;
import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventDispatchManager;
import io.cqrs.example.bank.domain.AccountCommand.DebitAccountForTransfer;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.CommandBus;
import io.cqrs.spi.CommandConsumer;
import io.cqrs.spi.Subscription;
import java.math.BigDecimal;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** What the transfer process sends, seen on a bus that only records. */
class TransferProcessCommandsTest {
  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final EventSourcingRepository repository =
      EventSourcingRepository.builder(store, BankTypes.registry()).build();
  private final RecordingCommandBus sent = new RecordingCommandBus();
  private final VersionedEventDispatchManager events =
      new VersionedEventDispatchManager(new InMemoryEventBus(), BankTypes.registry());

  TransferProcessCommandsTest() {
    new TransferProcess(repository, sent).handlers().forEach(events::registerEventHandler);
  }

  @Test
  void a_created_transfer_asks_its_source_to_pay_under_the_transfers_correlation_id()
      throws Exception {
    VersionedEvent created =
        repository.save(MoneyTransfer.create("t-1", "a", "b", BigDecimal.TEN), "t-1").get(0);

    events.dispatch(created);

    assertThat(sent.commands)
        .singleElement()
        .satisfies(
            command -> {
              assertThat(command.body())
                  .isEqualTo(new DebitAccountForTransfer("a", "t-1", new BigDecimal("10.00")));
              assertThat(command.correlationId()).isEqualTo("t-1");
              assertThat(command.causationId()).isEqualTo(created.id());
            });
  }

  @Test
  void a_redelivered_event_sends_the_same_command_again_so_it_can_be_deduplicated()
      throws Exception {
    VersionedEvent created =
        repository.save(MoneyTransfer.create("t-1", "a", "b", BigDecimal.TEN), "t-1").get(0);

    events.dispatch(created);
    events.dispatch(created);

    assertThat(sent.commands).hasSize(2);
    assertThat(sent.commands.get(1).messageId()).isEqualTo(sent.commands.get(0).messageId());
  }

  @Test
  void an_event_for_a_step_the_transfer_has_passed_sends_nothing() throws Exception {
    MoneyTransfer transfer = MoneyTransfer.create("t-1", "a", "b", BigDecimal.TEN);
    VersionedEvent created = repository.save(transfer, "t-1").get(0);
    transfer.recordDebit();
    repository.save(transfer, "t-1");

    events.dispatch(created);

    assertThat(sent.commands).isEmpty();
  }

  @Test
  void a_step_does_not_wait_for_the_bus_to_accept_its_command() {
    HoldingCommandBus holding = new HoldingCommandBus();
    VersionedEvent created =
        repository.save(MoneyTransfer.create("t-1", "a", "b", BigDecimal.TEN), "t-1").get(0);

    CompletableFuture<Void> step =
        new TransferProcess(repository, holding)
            .steps()
            .get(TransferEvent.MoneyTransferCreated.class)
            .apply(created);

    assertThat(holding.commands).singleElement();
    assertThat(step).isNotDone(); // the processor's checkpoint waits for it, the next event not
    holding.accepted.complete(null);
    assertThat(step).isCompleted();
  }

  /**
   * A command bus whose asynchronous publishes complete when the test says the broker confirmed.
   */
  private static final class HoldingCommandBus implements CommandBus {
    final List<Command> commands = new CopyOnWriteArrayList<>();
    final CompletableFuture<Void> accepted = new CompletableFuture<>();

    @Override
    public void publish(List<Command> published) {
      throw new AssertionError("the transfer process must not wait for a publish");
    }

    @Override
    public CompletableFuture<Void> publishAsync(List<Command> published) {
      commands.addAll(published);
      return accepted;
    }

    @Override
    public Subscription subscribe(
        String service, Set<String> commandTypes, int listeners, CommandConsumer consumer) {
      throw new UnsupportedOperationException("this bus only records");
    }

    @Override
    public void close() {}
  }

  /** A command bus that keeps what is published and delivers nothing. */
  private static final class RecordingCommandBus implements CommandBus {
    final List<Command> commands = new CopyOnWriteArrayList<>();

    @Override
    public void publish(List<Command> published) {
      commands.addAll(published);
    }

    @Override
    public Subscription subscribe(
        String service, Set<String> commandTypes, int listeners, CommandConsumer consumer) {
      throw new UnsupportedOperationException("this bus only records");
    }

    @Override
    public void close() {}
  }
}
