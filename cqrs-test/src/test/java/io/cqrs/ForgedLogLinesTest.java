package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.testing.Await;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Ids, stream ids and what a handler threw come from messages a client may have forged: the
 * framework's own log lines show them with control characters made {@code ?}, so a line break in
 * one cannot start a forged log line.
 */
class ForgedLogLinesTest {
  private static final String FORGED = "c-1\n[main] WARN  io.cqrs.Bank - forged\r";
  private static final String SHOWN = "c-1?[main] WARN  io.cqrs.Bank - forged?";

  record Deposit(String walletId, BigDecimal amount) {}

  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final List<Logger> watched = new ArrayList<>();

  /** Records every line of {@code type}'s logger, at every level, and nothing else sees them. */
  private void watch(Class<?> type) {
    Logger logger = (Logger) LoggerFactory.getLogger(type);
    logger.setLevel(Level.DEBUG);
    logger.setAdditive(false);
    logger.addAppender(appender);
    watched.add(logger);
  }

  @AfterEach
  void unwatch() {
    for (Logger logger : watched) {
      logger.detachAppender(appender);
      logger.setAdditive(true);
      logger.setLevel(null);
    }
    appender.stop();
  }

  private List<String> lines() {
    synchronized (appender) { // appends hold the appender's lock
      return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
  }

  @Test
  void forged_ids_cannot_forge_the_command_dispatch_managers_log_lines() {
    watch(CommandDispatchManager.class);
    appender.start();
    InMemoryCommandBus bus = new InMemoryCommandBus();
    CommandDispatchManager manager =
        CommandDispatchManager.builder(bus, Wallet.types())
            .errorLog(new InMemoryEventStreamRepository())
            .deduplicate(true)
            .build();
    manager.registerCommandHandler(
        Deposit.class,
        (deposit, command) -> {
          if (deposit.amount().signum() <= 0) {
            throw new IllegalArgumentException("no deposit of nothing, " + command.messageId());
          }
        });
    manager.listen("wallets", 1);
    try {
      Command handled =
          Command.builder(new Deposit("w-1", BigDecimal.ONE)).messageId(FORGED + "ok").build();
      Command rejected =
          Command.builder(new Deposit("w-1", BigDecimal.ZERO)).messageId(FORGED).build();
      bus.publish(List.of(handled, rejected, rejected)); // the second: "handled before"

      Await.until(
          Await.DEFAULT_TIMEOUT,
          () -> "the three commands logged, got " + lines(),
          () -> lines().size() >= 3);
      assertThat(lines())
          .anySatisfy(line -> assertThat(line).startsWith("Handled").contains(SHOWN + "ok"))
          .anySatisfy(line -> assertThat(line).contains("rejected").contains(SHOWN + ")"))
          .anySatisfy(line -> assertThat(line).contains("handled before").contains(SHOWN))
          .allSatisfy(line -> assertThat(line).doesNotContain("\n", "\r"));
    } finally {
      manager.close();
      bus.close();
    }
  }

  @Test
  void forged_stream_ids_cannot_forge_a_tracking_processors_log_lines() {
    watch(TrackingEventProcessor.class);
    appender.start();
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    EventSourcingRepository.builder(store, Wallet.types())
        .build()
        .save(Wallet.open(FORGED, "o"), "c");
    AtomicInteger attempts = new AtomicInteger();
    try (TrackingEventProcessor processor =
        EventProcessor.tracking("audit", store)
            .handler(
                event -> {
                  if (attempts.incrementAndGet() == 1) {
                    throw new TransientCqrsException("store away for " + event.sourceId());
                  }
                  throw new IllegalStateException("cannot handle " + event.sourceId());
                })
            .maxAttempts(1)
            .idleWait(Duration.ofMillis(10))
            .build()) {
      processor.start();

      Await.until("the event dead-lettered", () -> processor.deadLettered() == 1);
      assertThat(lines())
          .anySatisfy(line -> assertThat(line).contains("retries").contains(SHOWN))
          .anySatisfy(line -> assertThat(line).contains("dead-letters").contains(SHOWN))
          .allSatisfy(line -> assertThat(line).doesNotContain("\n", "\r"));
    }
  }
}
