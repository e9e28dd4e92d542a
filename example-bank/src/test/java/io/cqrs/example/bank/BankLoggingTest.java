package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.cqrs.Command;
import io.cqrs.CommandDispatchManager;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.readmodel.EventJournal;
import io.cqrs.interceptor.MdcInterceptor;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The bank's log lines name the message being handled, from the MDC, on the listener threads. */
class BankLoggingTest {
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  private final Logger journal = (Logger) LoggerFactory.getLogger(EventJournal.LOGGER);
  private final Logger commands = (Logger) LoggerFactory.getLogger(CommandDispatchManager.class);
  private BankInfrastructure infrastructure;
  private Bank bank;

  @BeforeEach
  void listen() {
    lines.start();
    for (Logger logger : List.of(journal, commands)) {
      logger.addAppender(lines);
      logger.setLevel(Level.DEBUG);
    }
    infrastructure = BankInfrastructure.inMemory();
    bank = Bank.create(infrastructure, new PasswordHasher(1_000)).start();
  }

  @AfterEach
  void close() {
    bank.close();
    infrastructure.close();
    for (Logger logger : List.of(journal, commands)) {
      logger.detachAppender(lines);
      logger.setLevel(null);
    }
  }

  @Test
  void lines_written_while_a_command_or_event_is_handled_carry_its_ids() throws Exception {
    String id =
        bank.service()
            .openAccount("Ada", "Lovelace", "ada@cqrs.example", "$password", BigDecimal.TEN);
    Command credit = bank.service().send(new CreditAccount(id, new BigDecimal("5")));
    VersionedEvent credited = bank.service().awaitOutcome(credit, Duration.ofSeconds(30)).get(0);

    Await.await("the journal's line of the credit")
        .atMost(Duration.ofSeconds(30))
        .until(() -> snapshot().stream().anyMatch(line -> isAbout(line, credited.id())));
    ILoggingEvent eventLine =
        snapshot().stream().filter(line -> isAbout(line, credited.id())).findFirst().orElseThrow();
    assertThat(eventLine.getThreadName()).isNotEqualTo(Thread.currentThread().getName());
    assertThat(eventLine.getMDCPropertyMap())
        .containsEntry(MdcInterceptor.CORRELATION_ID, credit.correlationId())
        .containsEntry(MdcInterceptor.CAUSATION_ID, credit.messageId())
        .containsEntry(MdcInterceptor.AGGREGATE_ID, id)
        .containsEntry(MdcInterceptor.MESSAGE_TYPE, "AccountCredited");

    // The handler logs "Handled" after its save returns, which may be after the event reached the
    // journal: wait for that line too.
    ILoggingEvent commandLine =
        Await.await("the dispatcher's line of the credit")
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    snapshot().stream()
                        .filter(line -> line.getFormattedMessage().startsWith("Handled "))
                        .filter(line -> line.getFormattedMessage().contains(credit.messageId()))
                        .findFirst(),
                java.util.Optional::isPresent)
            .orElseThrow();
    assertThat(commandLine.getMDCPropertyMap())
        .containsEntry(MdcInterceptor.MESSAGE_ID, credit.messageId())
        .containsEntry(MdcInterceptor.CORRELATION_ID, credit.correlationId())
        .containsEntry(MdcInterceptor.AGGREGATE_ID, id);
  }

  /** The lines so far; ListAppender appends under its own lock (AppenderBase is synchronized). */
  private List<ILoggingEvent> snapshot() {
    synchronized (lines) {
      return List.copyOf(lines.list);
    }
  }

  private static boolean isAbout(ILoggingEvent line, String eventId) {
    return eventId.equals(line.getMDCPropertyMap().get(MdcInterceptor.MESSAGE_ID));
  }
}
