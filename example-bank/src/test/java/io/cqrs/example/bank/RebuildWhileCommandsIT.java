package io.cqrs.example.bank;

import static io.cqrs.example.bank.BankOnServers.POLL;
import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.EventProcessingFailed;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.AccountCommand.DebitAccount;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.domain.TransferCommand.CreateMoneyTransfer;
import io.cqrs.example.bank.readmodel.BankReadModels;
import io.cqrs.rabbitmq.RabbitEventBus;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A rebuild of the bank's read models into fresh Couchbase documents while commands keep arriving
 * over RabbitMQ: processors of a new generation replay the integration log into fresh views beside
 * the live processors, and end equal to the live read models and to a fold of the store.
 */
class RebuildWhileCommandsIT {
  private static final Duration SETTLE = Duration.ofSeconds(60);
  private static final int COMMANDS_EACH_SIDE = 25;

  @Test
  void a_rebuild_while_commands_keep_arriving_ends_equal_to_the_live_read_models()
      throws Exception {
    ExecutorService sender = Executors.newSingleThreadExecutor();
    try (BankOnServers servers = BankOnServers.start("rebuild")) {
      RabbitEventBus events = servers.newEventBus();
      BankInfrastructure infrastructure =
          BankInfrastructure.of(
              servers.store(), events, servers.newCommandBus(), "Couchbase and RabbitMQ");
      // The bank's own read models stay idle: the test feeds two sets of its own.
      try (Bank bank =
          Bank.builder(infrastructure)
              .passwords(new PasswordHasher(1_000))
              .withoutReadModelUpdates()
              .build()
              .start()) {
        CountingViewStores liveViews = servers.views("");
        BankReadModels live = new BankReadModels(servers.store(), liveViews);
        List<String> accounts = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          accounts.add(
              bank.service()
                  .openAccount(
                      "Owner",
                      "No" + i,
                      "owner" + i + "@bank.example",
                      "$ThisIsAPassword",
                      new BigDecimal("1000.00")));
        }
        Traffic traffic = new Traffic(bank, accounts);
        try (Processors liveProcessors = new Processors(live, "live")) {
          Future<?> sending = sender.submit(traffic);
          Await.await("commands before the rebuild")
              .atMost(SETTLE)
              .until(() -> traffic.handled() >= COMMANDS_EACH_SIDE);

          CountingViewStores rebuiltViews = servers.views("-rebuilt");
          BankReadModels rebuilt = new BankReadModels(servers.store(), rebuiltViews);
          rebuilt.clear();
          try (Processors rebuiltProcessors = new Processors(rebuilt, "rebuilt")) {
            int atRebuild = traffic.handled();
            Await.await("commands after the rebuild")
                .atMost(SETTLE)
                .until(() -> traffic.handled() >= atRebuild + COMMANDS_EACH_SIDE);
            traffic.stop();
            sending.get(SETTLE.toSeconds(), TimeUnit.SECONDS);
            traffic.awaitEveryCommandHandled();
            List<String> transfers = traffic.transfers();
            Await.await("every transfer to complete or fail")
                .atMost(SETTLE)
                .pollInterval(POLL)
                .until(
                    () ->
                        transfers.stream()
                            .allMatch(
                                id ->
                                    bank.service()
                                        .findTransfer(id)
                                        .map(t -> t.state().isFinal())
                                        .orElse(false)));
            Await.await("both read models to apply every committed event")
                .atMost(SETTLE)
                .pollInterval(POLL)
                .until(
                    () ->
                        servers.caughtUp(live, accounts, transfers)
                            && servers.caughtUp(rebuilt, accounts, transfers));

            assertThat(transfers).isNotEmpty();
            assertThat(rebuilt.differencesFrom(live)).isEmpty();
            assertThat(servers.differences(live, liveViews, accounts, transfers)).isEmpty();
            assertThat(servers.differences(rebuilt, rebuiltViews, accounts, transfers)).isEmpty();
            assertThat(liveProcessors.failures()).isEmpty();
            assertThat(rebuiltProcessors.failures()).isEmpty();
            assertThat(servers.store().readLog(1, 100_000))
                .noneMatch(entry -> entry.event().event() instanceof EventProcessingFailed);
          }
        } finally {
          traffic.stop();
        }
      }
    } finally {
      sender.shutdownNow();
    }
  }

  /**
   * Sends credits, debits and now and then a transfer through the command bus until stopped, with
   * at most a few commands unhandled at a time so that the run keeps pace with the workers.
   */
  private static final class Traffic implements Runnable {
    private static final int IN_FLIGHT = 8;

    private final Bank bank;
    private final List<String> accounts;
    private final Random random = new Random(64);
    private final Deque<Command> unhandled = new ArrayDeque<>();
    private final List<String> transfers = new CopyOnWriteArrayList<>();
    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicInteger handled = new AtomicInteger();
    private volatile boolean stopped;

    Traffic(Bank bank, List<String> accounts) {
      this.bank = bank;
      this.accounts = accounts;
    }

    @Override
    public void run() {
      while (!stopped) {
        unhandled.add(bank.service().send(nextCommand()));
        sent.incrementAndGet();
        Await.await("the commands sent to be handled")
            .atMost(SETTLE)
            .pollInterval(POLL)
            .until(() -> forgetHandled() < IN_FLIGHT);
      }
    }

    private Object nextCommand() {
      String account = accounts.get(random.nextInt(accounts.size()));
      BigDecimal amount = BigDecimal.valueOf(1 + random.nextInt(500), 2);
      int choice = random.nextInt(10);
      if (choice == 0) {
        // To any other account: a transfer to the same account is refused.
        int from = accounts.indexOf(account);
        String to =
            accounts.get((from + 1 + random.nextInt(accounts.size() - 1)) % accounts.size());
        String transfer = UUID.randomUUID().toString();
        transfers.add(transfer);
        return new CreateMoneyTransfer(transfer, account, to, amount);
      }
      return choice < 4 ? new DebitAccount(account, amount) : new CreditAccount(account, amount);
    }

    /**
     * Drops the commands that have an outcome in the store (an event or an error event), oldest
     * first, up to the first that has none; returns how many are left.
     */
    private int forgetHandled() {
      while (!unhandled.isEmpty()
          && !bank.service().eventsOfCorrelation(unhandled.peek().correlationId()).isEmpty()) {
        unhandled.poll();
      }
      handled.set(sent.get() - unhandled.size());
      return unhandled.size();
    }

    /** How many commands have had an outcome (events or an error event). */
    int handled() {
      return handled.get();
    }

    /** The transfers asked for so far. */
    List<String> transfers() {
      return List.copyOf(transfers);
    }

    void stop() {
      stopped = true;
    }

    /** After {@link #run} returned: waits until every command sent has an outcome. */
    void awaitEveryCommandHandled() {
      Await.await("every command sent to be handled")
          .atMost(SETTLE)
          .pollInterval(POLL)
          .until(() -> forgetHandled() == 0);
    }
  }

  /**
   * The read models' tracking processors of one generation, as the bank runs its live ones (two
   * segments each), started at once.
   */
  private static final class Processors implements AutoCloseable {
    private final List<TrackingEventProcessor> processors;

    Processors(BankReadModels readModels, String generation) {
      this.processors = readModels.processors(generation, 2);
      processors.forEach(TrackingEventProcessor::start);
    }

    /** Why processors stopped, if any did. */
    List<Throwable> failures() {
      return processors.stream()
          .map(TrackingEventProcessor::failure)
          .filter(Objects::nonNull)
          .toList();
    }

    @Override
    public void close() {
      processors.forEach(TrackingEventProcessor::close);
    }
  }
}
