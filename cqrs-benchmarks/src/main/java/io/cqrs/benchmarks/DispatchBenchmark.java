package io.cqrs.benchmarks;

import io.cqrs.EventSourceBased;
import io.cqrs.EventSourcingRepository;
import io.cqrs.SnapshotPolicy;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.benchmarks.model.Histories;
import io.cqrs.benchmarks.model.sized.HandRouted1;
import io.cqrs.benchmarks.model.sized.HandRouted20;
import io.cqrs.benchmarks.model.sized.HandRouted5;
import io.cqrs.benchmarks.model.sized.HandRouted50;
import io.cqrs.benchmarks.model.sized.SizedEvents;
import io.cqrs.benchmarks.model.sized.Summed;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Benchmark 1: the cost of dispatching one event to its handler, for aggregates of 1, 5, 20 and 50
 * event types.
 *
 * <p>Every variant replays the same immutable stream of {@value #EVENTS} events into a new
 * aggregate with {@link #types} handlers, drawn from those types in a seeded random order (one type
 * only when {@code types} is 1), and does the same bookkeeping per event as cqrs's replay (check
 * the version is the next one, then record it); they differ only in how the handler is reached:
 *
 * <ul>
 *   <li>{@code direct}: the hand-written baseline, an {@code instanceof} chain calling each handler
 *       directly ({@link HandRouted5#apply} and its siblings), in a loop on the concrete class.
 *   <li>{@code generated}: cqrs itself, {@link EventSourcingRepository#get} over a store that hands
 *       out the stream without copying, so each event goes through {@code EventSourceBased}'s
 *       routing to the handler, through the class cqrs generated for the aggregate class.
 *   <li>{@code generatedAmongOthers} (no target): the same, in a JVM that has first loaded the
 *       three other aggregates of this benchmark ({@link Others}), as an application with several
 *       aggregate classes does. JMH runs every variant and size in a JVM of its own, where {@code
 *       generated} sees one aggregate class only; here the repository's call into the generated
 *       class has seen four classes and cannot be inlined. Since the replay loop is generated per
 *       aggregate class too, that call is made once per load rather than once per event.
 * </ul>
 *
 * <p>One operation is one event ({@link OperationsPerInvocation}); the aggregate's construction is
 * shared by all {@value #EVENTS} events of an invocation. The handlers are private, as in {@link
 * io.cqrs.EventSourceBased}'s example.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(DispatchBenchmark.EVENTS)
@Fork(2)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DispatchBenchmark {
  /** Events replayed per invocation. */
  static final int EVENTS = 1_000;

  private static final String ID = "aggregate-1";

  /** How many event types the aggregate handles and the stream holds. */
  @Param({"1", "5", "20", "50"})
  int types;

  private List<VersionedEvent> stream;
  private EventSourcingRepository repository;
  private Function<String, ? extends EventSourceBased> factory;

  /** Builds the stream and the repository; not measured. */
  @Setup(Level.Trial)
  public void setUp() {
    TypeRegistry registry = SizedEvents.registry(types);
    stream = List.copyOf(Histories.envelopes(ID, SizedEvents.events(types, EVENTS), registry));
    repository =
        EventSourcingRepository.builder(new ReplayOnlyStore(ID, stream), registry)
            .snapshotPolicy(SnapshotPolicy.never())
            .build();
    factory = SizedEvents.factory(types);
  }

  /** Hand-written dispatch: the baseline. */
  @Benchmark
  public Summed direct() {
    // One switch per invocation, outside the per-event loop, so that the loop runs on the
    // concrete class with nothing virtual in it.
    switch (types) {
      case 1:
        return HandRouted1.replay(ID, stream);
      case 5:
        return HandRouted5.replay(ID, stream);
      case 20:
        return HandRouted20.replay(ID, stream);
      case 50:
        return HandRouted50.replay(ID, stream);
      default:
        throw new IllegalStateException("No hand-written aggregate of " + types + " types");
    }
  }

  /** cqrs's convention routing, through the public repository API. */
  @Benchmark
  public Summed generated() {
    return (Summed) repository.get(ID, factory);
  }

  /** The same after the JVM has loaded three other aggregate classes. */
  @Benchmark
  public Summed generatedAmongOthers(Others others) {
    return (Summed) repository.get(ID, factory);
  }

  /**
   * Loads the aggregates of the sizes this trial does not measure, replaying a stream into each
   * until the JIT has compiled the replay loop with all of them in its profile. Referenced only by
   * {@link #generatedAmongOthers}, so only its JVMs pay for it.
   */
  @State(Scope.Thread)
  public static class Others {
    private static final int LOADS = 3_000;

    /** Replays every other size's stream {@value #LOADS} times; not measured. */
    @Setup(Level.Trial)
    public void loadOthers(DispatchBenchmark benchmark) {
      for (int size : SizedEvents.SIZES) {
        if (size == benchmark.types) {
          continue;
        }
        DispatchBenchmark other = new DispatchBenchmark();
        other.types = size;
        other.setUp();
        for (int i = 0; i < LOADS; i++) {
          other.generated();
          benchmark.generated();
        }
      }
    }
  }
}
