package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.testing.Await;
import java.math.BigDecimal;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A handler's NullPointerException was logged as a domain rejection: one INFO line with the message
 * only, so the stack trace of what is most likely a bug was nowhere. It is still recorded and
 * counted as a rejection, but logged at WARN with its stack trace.
 */
class HandlerBugLoggingTest {
  record Deposit(String walletId, BigDecimal amount) {}

  private LogCapture log;

  @BeforeEach
  void watch() {
    log = LogCapture.start(CommandDispatchManager.class);
  }

  @AfterEach
  void unwatch() {
    log.close();
  }

  private List<ILoggingEvent> rejections() {
    return log.events(event -> event.getFormattedMessage().contains("rejected"));
  }

  @Test
  void a_bug_in_a_handler_is_logged_with_its_stack_trace_and_a_domain_rule_in_one_line() {
    InMemoryCommandBus bus = new InMemoryCommandBus();
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    CommandDispatchManager manager =
        CommandDispatchManager.builder(bus, Wallet.types()).errorLog(store).build();
    manager.registerCommandHandler(
        Deposit.class,
        (deposit, command) -> {
          if (deposit.amount().signum() <= 0) {
            throw new IllegalArgumentException("no deposit of nothing");
          }
          if (deposit.walletId().equals("w-wrapped")) {
            // An asynchronous step's NPE arrives wrapped: the same bug.
            throw new CompletionException(new IllegalStateException(new NullPointerException()));
          }
          if (deposit.walletId().equals("w-rule-with-cause")) {
            throw new IllegalStateException("wallet closed", new IllegalArgumentException("x"));
          }
          String missing = deposit.walletId().equals("w-null") ? null : deposit.walletId();
          missing.length(); // the handler's bug
        });
    manager.listen("wallets", 1);
    try {
      bus.publish(
          List.of(
              Command.create(new Deposit("w-1", BigDecimal.ZERO)),
              Command.create(new Deposit("w-null", BigDecimal.ONE)),
              Command.create(new Deposit("w-wrapped", BigDecimal.ONE)),
              Command.create(new Deposit("w-rule-with-cause", BigDecimal.ONE))));
      Await.until("four rejections logged", () -> rejections().size() == 4);

      ILoggingEvent rule = rejections().get(0);
      assertThat(rule.getLevel()).isEqualTo(Level.INFO);
      assertThat(rule.getFormattedMessage()).contains("no deposit of nothing");
      assertThat(rule.getThrowableProxy()).isNull();
      ILoggingEvent bug = rejections().get(1);
      assertThat(bug.getLevel()).isEqualTo(Level.WARN);
      assertThat(bug.getFormattedMessage()).contains("looks like a bug in its handler");
      assertThat(bug.getThrowableProxy()).isNotNull();
      assertThat(bug.getThrowableProxy().getClassName())
          .isEqualTo(NullPointerException.class.getName());
      assertThat(bug.getThrowableProxy().getStackTraceElementProxyArray()).isNotEmpty();
      ILoggingEvent wrapped = rejections().get(2);
      assertThat(wrapped.getLevel()).isEqualTo(Level.WARN);
      assertThat(wrapped.getThrowableProxy().getClassName())
          .isEqualTo(CompletionException.class.getName());
      ILoggingEvent ruleWithCause = rejections().get(3);
      assertThat(ruleWithCause.getLevel()).isEqualTo(Level.INFO);
      assertThat(ruleWithCause.getFormattedMessage()).contains("wallet closed");
      // Recorded as any rejection: a later delivery is not handled again.
      assertThat(store.readLog(1, 10))
          .extracting(entry -> entry.event().eventType())
          .hasSize(4)
          .containsOnly("CommandFailed");
    } finally {
      manager.close();
      bus.close();
    }
  }
}
