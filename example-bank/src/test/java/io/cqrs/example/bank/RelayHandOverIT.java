package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventRelay;
import io.cqrs.example.bank.readmodel.BankReadModels;
import io.cqrs.rabbitmq.RabbitEventBus;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.testing.PublisherWatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Publication relays racing for the lease on the real servers: Couchbase keeps the lease, the
 * checkpoint and the publication marks, RabbitMQ carries what the relays publish, and the bank's
 * Couchbase read models apply it. Commits are made without publishing (as by writers that died
 * before publishing), so only the relays publish.
 */
class RelayHandOverIT {
  private static final Duration SETTLE = Duration.ofSeconds(60);
  private static final Duration START = Duration.ofSeconds(90);
  private static final String SUBSCRIPTION = "read-models";

  /**
   * Long enough that a holder renewing every 50 ms keeps its lease on a machine shared with other
   * builds: a holder that cannot renew within the ttl loses the lease, rightly, and the test would
   * see two publishers.
   */
  private static final Duration LEASE_TTL = Duration.ofSeconds(5);

  /**
   * When another relay must have taken over, counted from when the holder stopped: the lease's ttl,
   * up to 2 s that Couchbase adds by rounding expiry up (docs/couchbase-relay.md), and 15 s of
   * slack for a busy machine. A lease that never expires fails it; a slow hand-over does not.
   */
  private static final Duration HAND_OVER = LEASE_TTL.plusSeconds(2 + 15);

  @Test
  void of_two_relays_one_publishes_at_a_time_and_a_stalled_holder_hands_over_losing_nothing()
      throws Exception {
    Random random = new Random(62);
    try (BankOnServers bank = BankOnServers.start("race")) {
      CountingViewStores views = bank.views("");
      BankReadModels readModels = new BankReadModels(bank.store(), views);
      RabbitEventBus bus = bank.newEventBus();
      PublisherWatch watch = new PublisherWatch();
      // Two processes: each relay has its own repository and its own broker connection.
      EventRelay first = relay(bank, watch, "first");
      EventRelay second = relay(bank, watch, "second");
      try (BusFedReadModels fed =
          new BusFedReadModels(readModels, bus, bank.store(), SUBSCRIPTION, 2)) {
        first.start();
        second.start();
        List<String> accounts = write(bank, random, new ArrayList<>(), 4, 8);
        awaitCaughtUp(bank, readModels, accounts);
        assertThat(watch.publishers()).hasSize(1);
        String holder = watch.publishers().iterator().next();
        String other = holder.equals("first") ? "second" : "first";

        watch.stall(holder);
        write(bank, random, accounts, 4, 8);
        Await.await("relay '" + other + "' to take over from the stalled '" + holder + "'")
            .atMost(HAND_OVER)
            .until(() -> watch.publishers().contains(other));
        awaitCaughtUp(bank, readModels, accounts);

        assertThat(watch.stalledCalls()).as("the holder stalled while publishing").isPositive();
        assertThat(watch.mostAtOnce()).as("relays publishing at once").isEqualTo(1);
        assertPublishedOnceAndApplied(bank, readModels, views, fed, accounts);
      } finally {
        watch.releaseStalled();
        first.close();
        second.close();
      }
    }
  }

  @Test
  void a_relay_process_killed_while_holding_the_lease_hands_over_losing_nothing() throws Exception {
    Map<String, String> servers = BankServers.environment();
    Random random = new Random(63);
    try (BankOnServers bank = BankOnServers.start("kill")) {
      CountingViewStores views = bank.views("");
      BankReadModels readModels = new BankReadModels(bank.store(), views);
      RabbitEventBus bus = bank.newEventBus();
      PublisherWatch watch = new PublisherWatch();
      EventRelay here = relay(bank, watch, "here");
      try (BusFedReadModels fed =
              new BusFedReadModels(readModels, bus, bank.store(), SUBSCRIPTION, 2);
          BankProcess child =
              BankProcess.start(
                  RelayProcess.class,
                  servers,
                  bank.prefix(),
                  "child",
                  Long.toString(LEASE_TTL.toMillis()))) {
        child.awaitReady(START);
        List<String> accounts = write(bank, random, new ArrayList<>(), 3, 6);
        awaitCaughtUp(bank, readModels, accounts);

        // The child holds the lease and renews it: the relay here must stay idle.
        here.start();
        write(bank, random, accounts, 3, 6);
        awaitCaughtUp(bank, readModels, accounts);
        assertThat(watch.publishers()).as("relays here that published beside the child").isEmpty();

        write(bank, random, accounts, 2, 4);
        child.kill();
        assertThat(child.awaitExit(Duration.ofSeconds(30))).isEqualTo(CommitThenDie.KILLED);
        write(bank, random, accounts, 2, 4);
        Await.await("the relay here to take over from the killed child")
            .atMost(HAND_OVER)
            .until(() -> watch.publishers().contains("here"));
        awaitCaughtUp(bank, readModels, accounts);

        assertPublishedOnceAndApplied(bank, readModels, views, fed, accounts);
      } finally {
        here.close();
      }
    }
  }

  private static EventRelay relay(BankOnServers bank, PublisherWatch watch, String owner) {
    return RelayProcess.relay(
        bank.newStore(), watch.watch(owner, bank.newEventBus()), bank.prefix(), owner, LEASE_TTL);
  }

  /** Adds {@code count} new accounts with {@code commits} commits each, and as many to each old. */
  private static List<String> write(
      BankOnServers bank, Random random, List<String> accounts, int count, int commits) {
    for (String id : accounts) {
      bank.writeHistory(id, commits, random);
    }
    for (int i = 0; i < count; i++) {
      String id = UUID.randomUUID().toString();
      bank.writeHistory(id, commits, random);
      accounts.add(id);
    }
    return accounts;
  }

  private static void awaitCaughtUp(
      BankOnServers bank, BankReadModels readModels, List<String> accounts) {
    Await.await("the read models to apply every committed event")
        .atMost(SETTLE)
        .pollInterval(BankOnServers.POLL)
        .until(() -> bank.caughtUp(readModels, accounts, List.of()));
  }

  private static void assertPublishedOnceAndApplied(
      BankOnServers bank,
      BankReadModels readModels,
      CountingViewStores views,
      BusFedReadModels fed,
      List<String> accounts)
      throws Exception {
    Await.await("every committed event to be marked published")
        .atMost(SETTLE)
        .pollInterval(BankOnServers.POLL)
        .until(() -> bank.store().readLog(1, 100_000).stream().allMatch(LoggedEvent::published));
    assertThat(bank.differences(readModels, views, accounts, List.of())).isEmpty();
    assertThat(fed.deadLetters()).isZero();
  }
}
