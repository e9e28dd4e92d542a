package io.cqrs.benchmarks.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The targets of issues 2, 3, 4, 6, 12, 13, 14 and 16, and the baseline each benchmark's ratios are
 * taken against.
 */
final class Targets {
  /** Each benchmark class's baseline variant. */
  static final Map<String, String> BASELINES =
      Map.ofEntries(
          Map.entry("DispatchBenchmark", "direct"),
          Map.entry("RehydrateBenchmark", "handWrittenFold"),
          Map.entry("CommandPathBenchmark", "axon"),
          Map.entry("CouchbaseSaveBenchmark", "rawInsert"),
          Map.entry("CouchbaseSerialSaveBenchmark", "rawInsert"),
          Map.entry("CouchbaseLoadBenchmark", "rawGets"),
          Map.entry("CouchbaseCachedLoadBenchmark", "rawGet"),
          Map.entry("RabbitBusBenchmark", "raw"),
          Map.entry("RabbitSaveBenchmark", "confirmed"),
          Map.entry("PublicationBenchmark", "without"),
          Map.entry("DeduplicationBenchmark", "without"),
          Map.entry("CouchbaseDeduplicationBenchmark", "without"),
          Map.entry("ProcessorRestartBenchmark", "after1k"),
          Map.entry("CouchbaseProcessorRestartBenchmark", "after1k"),
          Map.entry("ProcessorCatchUpBenchmark", "handWrittenLoop"),
          Map.entry("ObservabilityBenchmark", "plain"),
          Map.entry("UpcastingBenchmark", "current"),
          Map.entry("DistributedPathBenchmark", "handWritten"));

  /**
   * Less than one byte per event: the only allocation left is the aggregate itself, shared by the
   * 1,000 events of an invocation.
   */
  private static final double NO_ALLOCATION = 1.0;

  /**
   * At most 10% overhead: time per operation (a command, an event) at most 1.1 times the
   * baseline's, so ops/s at least 1/1.1 of it.
   */
  private static final double TEN_PERCENT = 1.1;

  /**
   * Issue 14's in-memory command path: at least 15 times Axon 4.13's commands per second (it
   * supersedes issue 3's 10 times).
   */
  private static final double COMMAND_PATH_RATIO = 15;

  /** Issue 14's in-memory command path: at most 1 KB allocated per command. */
  private static final double ONE_KB = 1024;

  /** The aggregate sizes, in event types, that the dispatch targets are checked at. */
  private static final List<String> DISPATCH_SIZES = List.of("1", "5", "20", "50");

  private Targets() {}

  /** The targets, in the order the report lists them. */
  static List<Target> all() {
    List<Target> targets = new ArrayList<>();
    for (String types : DISPATCH_SIZES) {
      targets.add(
          Target.ratio(
              "Issue 14. Dispatch, "
                  + eventTypes(types)
                  + ": at most 1.1x the time of the direct call",
              "DispatchBenchmark",
              "generated",
              "direct",
              Map.of("types", types),
              1 / TEN_PERCENT));
    }
    for (String types : DISPATCH_SIZES) {
      targets.add(
          Target.allocation(
              "1. Dispatch, " + eventTypes(types) + ": no allocation per event",
              "DispatchBenchmark",
              "generated",
              Map.of("types", types),
              NO_ALLOCATION,
              "event"));
    }
    targets.addAll(others());
    return List.copyOf(targets);
  }

  private static String eventTypes(String count) {
    return count + (count.equals("1") ? " event type" : " event types");
  }

  private static List<Target> others() {
    return List.of(
        Target.ratio(
            "2. Rehydrate 100,000 events: at least 50% of the hand-written fold",
            "RehydrateBenchmark", "cqrs", "handWrittenFold", Map.of(), 0.5),
        Target.ratio(
            "2. Rehydrate 100,000 events: at least 7x Axon 4.13",
            "RehydrateBenchmark",
            "cqrs",
            "axon",
            Map.of(),
            7),
        Target.ratio(
            "Issue 14. Command path (dispatch manager): at least 15x Axon 4.13",
            "CommandPathBenchmark",
            "cqrsDispatch",
            "axon",
            Map.of(),
            COMMAND_PATH_RATIO),
        Target.ratio(
            "Issue 14. Command path (through the in-memory command bus): at least 15x Axon 4.13",
            "CommandPathBenchmark",
            "cqrsCommandBus",
            "axon",
            Map.of(),
            COMMAND_PATH_RATIO),
        Target.allocation(
            "Issue 14. Command path (dispatch manager): at most 1 KB allocated per command",
            "CommandPathBenchmark",
            "cqrsDispatch",
            Map.of(),
            ONE_KB,
            "command"),
        Target.allocation(
            "Issue 14. Command path (through the in-memory command bus): at most 1 KB allocated"
                + " per command",
            "CommandPathBenchmark",
            "cqrsCommandBus",
            Map.of(),
            ONE_KB,
            "command"),
        Target.ratio(
            "Issue 14. example-bank's distributed command path (CouchbaseMock, RabbitMQ): at least"
                + " 40% of a hand-written pipeline doing the minimum I/O",
            "DistributedPathBenchmark", "bank", "handWritten", Map.of(), 0.4),
        Target.ratio(
            "Issue 14. Couchbase saves, 1 in flight (CouchbaseMock): at least 50% of one raw"
                + " insert per save",
            "CouchbaseSerialSaveBenchmark", "repository", "rawInsert", Map.of(), 0.5),
        Target.ratio(
            "Issue 14. Couchbase saves, 16 in flight (CouchbaseMock): at least 50% of one raw"
                + " insert per save",
            "CouchbaseSaveBenchmark", "repository", "rawInsert", Map.of(), 0.5),
        Target.ratio(
            "Issue 3. Couchbase loads of a 1,000-event stream (CouchbaseMock): at least 50% of raw"
                + " parallel gets",
            "CouchbaseLoadBenchmark", "repository", "rawGets", Map.of(), 0.5),
        Target.ratio(
            "Issue 14. Cached aggregate load (CouchbaseMock): at least 80% of one raw get",
            "CouchbaseCachedLoadBenchmark", "cached", "rawGet", Map.of(), 0.8),
        Target.ratio(
            "Issue 4. RabbitEventBus: at least 90% of raw amqp-client with streaming confirms",
            "RabbitBusBenchmark", "eventBus", "raw", Map.of(), 0.9),
        Target.ratio(
            "Issue 6. Commit to read model with relay, marks and version gate: at most 20% slower",
            "PublicationBenchmark", "with", "without", Map.of(), 0.8),
        Target.ratio(
            "Issue 12. Deduplication in memory (save with the command): at most 10% overhead,"
                + " in throughput",
            "DeduplicationBenchmark", "atomic", "without", Map.of(), 1 / TEN_PERCENT),
        Target.cpuPerCommand(
            "Issue 12. Deduplication in memory (save with the command): at most 10% overhead,"
                + " in CPU time per command",
            "DeduplicationBenchmark", "atomic", "without", Map.of(), TEN_PERCENT),
        Target.ratio(
            "Issue 12. Deduplication in memory (save with the command, and deduplicate(true)):"
                + " at most 10% overhead, in throughput",
            "DeduplicationBenchmark", "atomicAndLookup", "without", Map.of(), 1 / TEN_PERCENT),
        Target.cpuPerCommand(
            "Issue 12. Deduplication in memory (save with the command, and deduplicate(true)):"
                + " at most 10% overhead, in CPU time per command",
            "DeduplicationBenchmark", "atomicAndLookup", "without", Map.of(), TEN_PERCENT),
        Target.noExtraRoundTrip(
            "Issue 12. Deduplication on Couchbase (save with the command): no extra sequential"
                + " round trip",
            "CouchbaseDeduplicationBenchmark",
            "atomic",
            "without",
            Map.of()),
        Target.noExtraRoundTrip(
            "Issue 12. Deduplication on Couchbase (save with the command, and"
                + " deduplicate(true)): no extra sequential round trip",
            "CouchbaseDeduplicationBenchmark",
            "atomicAndLookup",
            "without",
            Map.of()),
        Target.ratio(
            "Issue 13. Processor restart after 100,000 events: within 1.5x of a restart after"
                + " 1,000 (in memory)",
            "ProcessorRestartBenchmark",
            "after100k",
            "after1k",
            Map.of(),
            1 / 1.5),
        Target.ratio(
            "Issue 13. Processor restart after 1,000,000 events: within 1.5x of a restart after"
                + " 1,000 (in memory)",
            "ProcessorRestartBenchmark",
            "after1m",
            "after1k",
            Map.of(),
            1 / 1.5),
        Target.ratio(
            "Issue 13. Processor restart after 100,000 events: within 1.5x of a restart after"
                + " 1,000 (Couchbase, CouchbaseMock)",
            "CouchbaseProcessorRestartBenchmark",
            "after100k",
            "after1k",
            Map.of(),
            1 / 1.5),
        Target.ratio(
            "Issue 13. Processor catch-up into an in-memory read model: at least 70% of a"
                + " hand-written loop over the same log reads",
            "ProcessorCatchUpBenchmark", "processor", "handWrittenLoop", Map.of(), 0.7),
        Target.ratio(
            "Issue 16. In-memory command path with the MDC, metrics (Prometheus registry) and"
                + " tracing (SDK, every trace sampled, spans dropped) on: at most 10% slower than"
                + " with none",
            "ObservabilityBenchmark", "observed", "plain", Map.of(), 1 / TEN_PERCENT),
        Target.ratio(
            "Issue 16. Tracing (SDK, every trace sampled, spans dropped): at most 10% slower than"
                + " the same six spans and two propagations written by hand on the same SDK",
            "ObservabilityBenchmark", "tracingOnly", "tracedByHand", Map.of(), 1 / TEN_PERCENT),
        Target.ratio(
            "Issue 16. Metrics (Prometheus registry): at most 10% slower than the same meters"
                + " recorded by hand on the same registry",
            "ObservabilityBenchmark", "metricsOnly", "meteredByHand", Map.of(), 1 / TEN_PERCENT));
  }
}
