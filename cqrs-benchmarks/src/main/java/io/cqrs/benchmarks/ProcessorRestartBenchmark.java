package io.cqrs.benchmarks;

import io.cqrs.EventProcessor;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.VersionedEvent;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 13: what a restart of an event processor costs against the history it has processed
 * already. One operation: an event is appended, a processor of the same name starts from its stored
 * checkpoint, and the operation ends when its handler has the new event and the processor has
 * closed (saving its checkpoint, giving up its claim). The history is 1,000, 100,000 or 1,000,000
 * events, processed before the measurement starts; the target asks the largest to cost at most 1.5
 * times the smallest, that is, no cost in proportion to history.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 2, jvmArgsAppend = "-Xmx4g")
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class ProcessorRestartBenchmark {

  /** A log of {@code size} events that processor "restarting" has handled to its end. */
  abstract static class History {
    private ProcessedLog log;
    private int next;

    abstract int size();

    /** Writes the history and runs the processor over it once; not measured. */
    @Setup(Level.Trial)
    public void processHistory() throws Exception {
      log = new ProcessedLog(store(), size());
      log.process("restarting", size());
    }

    /** The store the history is written to: a new in-memory one unless overridden. */
    io.cqrs.spi.EventStreamRepository store() throws Exception {
      return new io.cqrs.memory.InMemoryEventStreamRepository();
    }

    /** Appends one event, restarts the processor and waits until it has handled the event. */
    VersionedEvent restart() {
      VersionedEvent appended = log.append(next++ % ProcessedLog.STREAMS, 1);
      AtomicReference<VersionedEvent> seen = new AtomicReference<>();
      TrackingEventProcessor processor =
          EventProcessor.tracking("restarting", log.store())
              .batchSize(ProcessedLog.PAGE)
              .handler(seen::set)
              .build();
      processor.start();
      try {
        // By id: a store that serializes (Couchbase) hands the handler a copy, not this instance.
        while (seen.get() == null || !seen.get().id().equals(appended.id())) {
          LockSupport.parkNanos(1_000);
        }
      } finally {
        processor.close();
      }
      return seen.get();
    }
  }

  /** 1,000 events of history. */
  @State(Scope.Benchmark)
  public static class History1k extends History {
    @Override
    int size() {
      return 1_000;
    }
  }

  /** 100,000 events of history. */
  @State(Scope.Benchmark)
  public static class History100k extends History {
    @Override
    int size() {
      return 100_000;
    }
  }

  /** 1,000,000 events of history. */
  @State(Scope.Benchmark)
  public static class History1m extends History {
    @Override
    int size() {
      return 1_000_000;
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

  /** A restart after 1,000,000 events. */
  @Benchmark
  public VersionedEvent after1m(History1m history) {
    return history.restart();
  }
}
