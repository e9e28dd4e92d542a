package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An adopter's handler saved with save(aggregate, correlationId) instead of save(aggregate,
 * command): nothing tied the commit to the command, so a redelivery took effect twice, silently.
 * The repository now says so, once, when that save runs inside a command's handling.
 */
class UntiedSaveWarningTest {
  record Deposit(String walletId, BigDecimal amount) {}

  private LogCapture log;

  @BeforeEach
  void watch() {
    log = LogCapture.start(EventSourcingRepository.class);
  }

  @AfterEach
  void unwatch() {
    log.close();
  }

  private List<ILoggingEvent> warnings() {
    return log.events(event -> event.getLevel() == Level.WARN);
  }

  @Test
  void a_save_by_correlation_id_inside_a_handler_warns_once_and_one_outside_does_not()
      throws Exception {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    EventSourcingRepository wallets =
        EventSourcingRepository.builder(store, Wallet.types()).build();
    wallets.save(Wallet.open("w-1", "ada"), "setup"); // outside any handling: no warning
    assertThat(warnings()).isEmpty();

    CommandDispatchManager manager =
        CommandDispatchManager.builder(new InMemoryCommandBus(), Wallet.types()).build();
    manager.registerCommandHandler(
        Deposit.class,
        (deposit, command) -> {
          Wallet wallet = wallets.get(deposit.walletId(), Wallet::new);
          wallet.deposit(deposit.amount());
          wallets.save(wallet, command.correlationId()); // the mistake
        });
    Command first = Command.create(new Deposit("w-1", BigDecimal.ONE));
    manager.dispatch(first);
    manager.dispatch(Command.create(new Deposit("w-1", BigDecimal.TEN)));

    assertThat(warnings()).hasSize(1);
    assertThat(warnings().get(0).getFormattedMessage())
        .contains("Wallet 'w-1' saved with save(aggregate, correlationId) while command")
        .contains(first.messageId())
        .contains("Pass the command: save(aggregate, command)");
  }
}
