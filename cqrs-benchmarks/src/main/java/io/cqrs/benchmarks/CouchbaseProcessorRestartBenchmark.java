package io.cqrs.benchmarks;

import io.cqrs.EventSerializer;
import io.cqrs.VersionedEvent;
import io.cqrs.couchbase.CouchbaseEventStreamRepository;
import io.cqrs.spi.EventStreamRepository;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 13 on Couchbase (CouchbaseMock in the benchmark's JVM): what a restart of an event
 * processor costs after 1,000 and after 100,000 events it has processed, as {@link
 * ProcessorRestartBenchmark} measures in memory. One operation: an event is appended, a processor
 * of the same name starts from its stored checkpoint, and the operation ends when its handler has
 * the new event and the processor has closed. Every step is KV operations on the mock (heartbeat,
 * claim, the log from the checkpoint, final checkpoint, release, leave), so the mock's speed is in
 * every figure alike; the target compares the two histories, not absolute times.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class CouchbaseProcessorRestartBenchmark {

  /** A history on a fresh key prefix of one simulator per state. */
  abstract static class CouchbaseHistory extends ProcessorRestartBenchmark.History {
    private MockCouchbase couchbase;
    private CouchbaseEventStreamRepository repository;

    @Override
    EventStreamRepository store() throws Exception {
      couchbase = MockCouchbase.start();
      repository =
          CouchbaseEventStreamRepository.builder(
                  couchbase.collection(), new EventSerializer(ProcessedLog.registry()))
              .keyPrefix("restart-" + UUID.randomUUID().toString().substring(0, 8))
              .build();
      return repository;
    }

    /** Disconnects and stops the simulator. */
    @TearDown(Level.Trial)
    public void stop() {
      repository.close();
      couchbase.close();
    }
  }

  /** 1,000 events of history. */
  @State(Scope.Benchmark)
  public static class History1k extends CouchbaseHistory {
    @Override
    int size() {
      return 1_000;
    }
  }

  /** 100,000 events of history. */
  @State(Scope.Benchmark)
  public static class History100k extends CouchbaseHistory {
    @Override
    int size() {
      return 100_000;
    }
  }

  /** The baseline: a restart after 1,000 events. */
  @Benchmark
  public VersionedEvent after1k(History1k history) {
    return history.restart();
  }

  /** A restart after 100,000 events. */
  @Benchmark
  public VersionedEvent after100k(History100k history) {
    return history.restart();
  }
}
