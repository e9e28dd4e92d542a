package io.cqrs.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.benchmarks.model.AccountState;
import io.cqrs.benchmarks.model.Deposit;
import io.cqrs.benchmarks.model.EventMix;
import io.cqrs.benchmarks.model.sized.SizedEvents;
import io.cqrs.benchmarks.model.sized.Summed;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The benchmarks compare like with like only if every variant does the same work: these tests run
 * each benchmark method once, outside JMH, and check that the variants end in the same state.
 */
class BenchmarkVariantsTest {

  @ParameterizedTest
  @ValueSource(ints = {1, 5, 20, 50})
  void both_dispatch_variants_replay_the_stream_to_the_same_state(int types) {
    DispatchBenchmark benchmark = new DispatchBenchmark();
    benchmark.types = types;
    benchmark.setUp();

    Summed direct = benchmark.direct();
    Summed generated = benchmark.generated();

    assertThat(direct.version()).isEqualTo(DispatchBenchmark.EVENTS);
    assertThat(generated.version()).isEqualTo(DispatchBenchmark.EVENTS);
    assertThat(generated.sum()).isEqualTo(direct.sum()).isPositive();
    assertThat(benchmark.generatedAmongOthers(new DispatchBenchmark.Others()).sum())
        .isEqualTo(direct.sum());
    assertThat(generated).isInstanceOf(io.cqrs.EventSourceBased.class);
    assertThat(direct).isNotInstanceOf(io.cqrs.EventSourceBased.class);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 5, 20, 50})
  void the_dispatch_stream_holds_every_event_type_of_its_aggregate(int types) {
    assertThat(
            SizedEvents.events(types, DispatchBenchmark.EVENTS).stream()
                .map(Object::getClass)
                .distinct())
        .hasSize(types);
  }

  @Test
  void the_mixed_stream_holds_every_event_type_and_the_single_stream_one() {
    assertThat(EventMix.MIXED.events(1_000).stream().map(Object::getClass).distinct()).hasSize(5);
    assertThat(EventMix.SINGLE.events(1_000).stream().map(Object::getClass).distinct()).hasSize(1);
  }

  @Test
  void every_rehydration_variant_rebuilds_the_same_account() throws Exception {
    RehydrateBenchmark benchmark = new RehydrateBenchmark();
    benchmark.setUp();
    try {
      AccountState expected = benchmark.handWrittenFold().state();

      assertThat(benchmark.cqrs().version()).isEqualTo(RehydrateBenchmark.EVENTS);
      assertThat(benchmark.cqrs().state()).isEqualTo(expected);
      assertThat(benchmark.axon().state()).isEqualTo(expected);
    } finally {
      benchmark.tearDown();
    }
  }

  @Test
  void every_cqrs_command_reaches_the_event_subscriber_on_both_paths() throws Exception {
    CommandPathBenchmark benchmark = new CommandPathBenchmark();
    CommandPathBenchmark.Cqrs cqrs = new CommandPathBenchmark.Cqrs();
    cqrs.start();
    try {
      cqrs.openAccounts();
      benchmark.cqrsDispatch(cqrs);
      assertThat(cqrs.balance(0)).isEqualTo(1);

      cqrs.openAccounts();
      benchmark.cqrsCommandBus(cqrs);
      assertThat(cqrs.balance(CommandPathBenchmark.COMMANDS - 1)).isEqualTo(1);
    } finally {
      cqrs.stop();
    }
  }

  @Test
  void every_axon_command_reaches_the_event_subscriber() {
    CommandPathBenchmark benchmark = new CommandPathBenchmark();
    CommandPathBenchmark.Axon axon = new CommandPathBenchmark.Axon();
    axon.openAccounts();

    benchmark.axon(axon);

    assertThat(axon.deposited()).isEqualTo(CommandPathBenchmark.COMMANDS);
    axon.check();
  }

  @Test
  void every_deduplication_variant_deposits_once_into_every_account() throws Exception {
    DeduplicationBenchmark benchmark = new DeduplicationBenchmark();
    DeduplicationBenchmark.Accounts accounts = new DeduplicationBenchmark.Accounts();
    DeduplicationBenchmark.CpuTime cpu = new DeduplicationBenchmark.CpuTime();
    cpu.check();
    List<Variant<DeduplicationBenchmark.Accounts>> variants =
        List.of(
            a -> benchmark.without(a, cpu),
            a -> benchmark.atomic(a, cpu),
            a -> benchmark.atomicAndLookup(a, cpu));
    for (Variant<DeduplicationBenchmark.Accounts> variant : variants) {
      accounts.openAccounts();
      cpu.reset();

      variant.run(accounts);

      assertThat(accounts.account(0).state().balance()).isEqualTo(1);
      assertThat(accounts.account(DeduplicationBenchmark.COMMANDS - 1).version()).isEqualTo(2);
      assertThat(cpu.commands()).isEqualTo(DeduplicationBenchmark.COMMANDS);
      assertThat(cpu.cpuNanos()).isPositive();
    }
  }

  @ParameterizedTest
  @EnumSource(Deduplication.class)
  void only_the_baseline_lets_a_redelivered_command_take_effect_twice(Deduplication variant)
      throws Exception {
    DeduplicationBenchmark.Accounts accounts = new DeduplicationBenchmark.Accounts();
    accounts.openAccounts();
    Command command = Command.create(new Deposit(accounts.account(0).id(), 1));

    accounts.manager(variant).dispatch(command);
    accounts.manager(variant).dispatch(command);

    assertThat(accounts.account(0).state().balance())
        .isEqualTo(variant == Deduplication.WITHOUT ? 2 : 1);
  }

  @Test
  void every_publication_variant_applies_every_event_and_runs_only_the_parts_it_names()
      throws Exception {
    PublicationBenchmark benchmark = new PublicationBenchmark();
    check(new PublicationBenchmark.Without(), benchmark::without, false, false, false);
    check(new PublicationBenchmark.With(), benchmark::with, true, true, true);
    check(new PublicationBenchmark.MarksOnly(), benchmark::marksOnly, true, false, false);
    check(new PublicationBenchmark.MarksAndRelay(), benchmark::marksAndRelay, true, true, false);
    check(new PublicationBenchmark.ProjectorOnly(), benchmark::projectorOnly, false, false, true);
  }

  private interface Variant<P> {
    void run(P pipeline) throws Exception;
  }

  private static <P extends PublicationBenchmark.Pipeline> void check(
      P pipeline, Variant<P> variant, boolean marks, boolean relay, boolean projector)
      throws Exception {
    pipeline.start();
    try {
      pipeline.reset();
      variant.run(pipeline);

      assertThat(pipeline.applied()).isEqualTo(PublicationBenchmark.EVENTS);
      assertThat(pipeline.marked()).isEqualTo(marks ? PublicationBenchmark.EVENTS : 0);
      assertThat(pipeline.relaying()).isEqualTo(relay);
      assertThat(pipeline.projecting()).isEqualTo(projector);
    } finally {
      pipeline.stop();
    }
  }

  @Test
  void the_processor_and_the_hand_written_loop_build_the_same_read_model() {
    ProcessorCatchUpBenchmark benchmark = new ProcessorCatchUpBenchmark();
    benchmark.writeLog();

    java.util.Map<String, Long> expected = benchmark.handWrittenLoop();

    assertThat(expected).hasSize(ProcessedLog.STREAMS);
    assertThat(benchmark.processor()).isEqualTo(expected);
    assertThat(benchmark.processor()).as("a second run starts from 1 again").isEqualTo(expected);
  }

  @Test
  void a_restart_hands_the_new_event_to_the_processor_without_replaying_history() throws Exception {
    ProcessorRestartBenchmark.History1k history = new ProcessorRestartBenchmark.History1k();
    history.processHistory();

    io.cqrs.VersionedEvent first = history.restart();
    io.cqrs.VersionedEvent second = history.restart();

    assertThat(first.sourceId()).isEqualTo("account-0");
    assertThat(second.sourceId()).isEqualTo("account-1");
  }
}
