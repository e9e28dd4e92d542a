package io.cqrs.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.VersionedEvent;
import io.cqrs.benchmarks.model.Deposit;
import io.cqrs.benchmarks.model.MoneyDeposited;
import io.cqrs.couchbase.testing.KvOperationCounter;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Couchbase deduplication benchmark outside JMH, against CouchbaseMock: each variant's command
 * costs the KV operations and sequential round trips that {@code docs/couchbase.md} and the code
 * say it should, as the benchmark's counter sees them, and each variant deduplicates (or not) as it
 * claims.
 */
class CouchbaseDeduplicationBenchmarkIT {
  private static final CouchbaseDeduplicationBenchmark BENCHMARK =
      new CouchbaseDeduplicationBenchmark();
  private static CouchbaseDeduplicationBenchmark.Server server;
  private static CouchbaseDeduplicationBenchmark.Commands commands;

  @BeforeAll
  static void start() throws Exception {
    server = new CouchbaseDeduplicationBenchmark.Server();
    server.start();
    commands = new CouchbaseDeduplicationBenchmark.Commands();
    commands.enrol(server);
  }

  @AfterAll
  static void stop() {
    server.stop();
  }

  /**
   * Load: a get of the snapshot, a lookup of the head's version, type and commits, then the commit
   * and the next claim in parallel (3 gets, 1 lookup). Save: the head lookup (version, type,
   * command and last commit) with the log sequence, the correlation append with the commit insert,
   * the claim insert, the head mutation (6 operations). The command id and the aggregate type ride
   * in the save's own lookup and writes; {@code deduplicate(true)} adds an {@code exists} of the
   * correlation index, which a new command that starts its correlation does not have yet.
   */
  @ParameterizedTest
  @EnumSource(Deduplication.class)
  void each_command_costs_the_documented_operations(Deduplication variant) throws Exception {
    boolean lookup = variant == Deduplication.ATOMIC_AND_LOOKUP;
    commands.reset();
    commands.openAccounts(server);

    run(variant);

    int n = CouchbaseDeduplicationBenchmark.COMMANDS;
    assertThat(commands.commands()).isEqualTo(n);
    Map<String, Long> expected =
        new TreeMap<>(
            Map.of(
                "get", 3L * n,
                "lookup_in", 2L * n,
                "increment", 1L * n,
                "mutate_in", 2L * n,
                "insert", 2L * n));
    if (lookup) {
      expected.put("exists", 1L * n);
    }
    assertThat(commands.tally().byOperation()).isEqualTo(expected);
    assertThat(commands.kvOperations()).isEqualTo((lookup ? 11L : 10L) * n);
    commands.tally().awaitAnswers(Duration.ofSeconds(10)); // the last head update, not waited for
    assertThat(commands.kvDispatches()).isEqualTo(commands.kvOperations());
    assertThat(server.counter().unattributed()).isZero();
  }

  /**
   * Sequential round trips: 3 for the load (the commit and the claim go together), 3 for the save
   * (the head lookup with the sequence increment, the index append with the commit insert, the
   * claim insert), 1 for the head mutation, which the save sends as it returns and does not wait
   * for (it is still a stretch of time with an operation in flight), and 1 more for the look-up of
   * {@code deduplicate(true)}. The counter sees time, not intent: if the first answer of a fan-out
   * arrives before the second request is sent (a cold JIT, a thread descheduled on a busy machine),
   * that command did wait for one more round trip. So each command takes the protocol's count or
   * one more, never fewer, and the protocol's count is seen. Each command gets its own tally, since
   * the head mutation of the one before may still be in flight when it starts.
   */
  @ParameterizedTest
  @EnumSource(Deduplication.class)
  void each_command_waits_for_the_documented_sequential_round_trips(Deduplication variant)
      throws Exception {
    long expected = variant == Deduplication.ATOMIC_AND_LOOKUP ? 8 : 7;
    commands.openAccounts(server);
    for (String account : commands.accounts()) {
      server.manager(variant).dispatch(Command.create(new Deposit(account, 1))); // warm-up
    }
    commands.openAccounts(server);
    Map<Long, Integer> commandsByRoundTrips = new TreeMap<>();

    for (String account : commands.accounts()) {
      KvOperationCounter.Tally tally = new KvOperationCounter.Tally();
      server.counter().start(tally);
      try {
        server.manager(variant).dispatch(Command.create(new Deposit(account, 1)));
      } finally {
        server.counter().stop();
      }
      commandsByRoundTrips.merge(tally.roundTrips(), 1, Integer::sum);
    }

    assertThat(commandsByRoundTrips.keySet())
        .as("commands by round trips: %s", commandsByRoundTrips)
        .isSubsetOf(expected, expected + 1, expected + 2, expected + 3)
        .contains(expected);
  }

  @ParameterizedTest
  @EnumSource(Deduplication.class)
  void a_redelivered_command_takes_effect_again_only_without_deduplication(Deduplication variant)
      throws Exception {
    commands.openAccounts(server);
    String account = commands.accounts()[0];
    Command command = Command.create(new Deposit(account, 1));

    server.manager(variant).dispatch(command);
    server.manager(variant).dispatch(command);

    long deposits =
        server.store().load(account, 1).stream()
            .map(VersionedEvent::event)
            .filter(MoneyDeposited.class::isInstance)
            .count();
    assertThat(deposits).isEqualTo(variant == Deduplication.WITHOUT ? 2 : 1);
  }

  /**
   * The accounts are typed streams, so the counts above include the type's check on load (read with
   * the head) and on save (in the head lookup): it costs no operation.
   */
  @Test
  void the_accounts_record_their_aggregate_type() {
    commands.openAccounts(server);

    assertThat(server.store().loadStream(commands.accounts()[0], 1).aggregateType())
        .isEqualTo("BenchAccount");
  }

  @Test
  void the_set_up_is_not_counted() {
    commands.reset();

    commands.openAccounts(server);

    assertThat(commands.kvOperations()).isZero();
    assertThat(server.counter().unattributed()).isZero();
  }

  private static void run(Deduplication variant) throws Exception {
    switch (variant) {
      case WITHOUT -> BENCHMARK.without(server, commands);
      case ATOMIC -> BENCHMARK.atomic(server, commands);
      case ATOMIC_AND_LOOKUP -> BENCHMARK.atomicAndLookup(server, commands);
    }
  }
}
