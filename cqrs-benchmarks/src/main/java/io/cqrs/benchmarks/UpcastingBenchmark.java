package io.cqrs.benchmarks;

import io.cqrs.EventSerializer;
import io.cqrs.TypeName;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Issue 15: what reading stored events costs with schema evolution. One operation is one event
 * envelope read from its JSON bytes ({@link EventSerializer#deserializeEvent}, the path of a bus
 * delivery; a store's path reads the same envelope from a tree), {@value #EVENTS} per invocation.
 *
 * <ul>
 *   <li>{@code current}: a type never revised, its events as written today: the path every existing
 *       event takes. The baseline; the same method runs unchanged on the code before revisions
 *       existed, for the "today's path against the new one" (see {@code
 *       docs/benchmarks.md}).
 *   <li>{@code currentRevised}: a type at revision 2 with an upcaster from revision 1, its events
 *       written at revision 2: what a revised type's new events cost.
 *   <li>{@code upcastEvery}: the same type's events as revision 1 wrote them: every one is read
 *       into a tree and upcast before it is bound.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(UpcastingBenchmark.EVENTS)
@Fork(1)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
public class UpcastingBenchmark {
  static final int EVENTS = 1_000;

  /** A payment as it always was. */
  public record Paid(long amount, String currency) {}

  /** A payment whose revision 2 added the currency. */
  @TypeName(value = "Settled", revision = 2)
  public record Settled(long amount, String currency) {}

  private EventSerializer serializer;
  private byte[][] current;
  private byte[][] currentRevised;
  private byte[][] revisionOne;

  /** Writes the envelopes; not measured. */
  @Setup
  public void write() {
    TypeRegistry registry =
        new TypeRegistry()
            .registerEvents(Paid.class, Settled.class)
            .upcaster(Settled.class, 1, payload -> payload.put("currency", "EUR"));
    serializer = new EventSerializer(registry);
    current = new byte[EVENTS][];
    currentRevised = new byte[EVENTS][];
    revisionOne = new byte[EVENTS][];
    for (int i = 0; i < EVENTS; i++) {
      current[i] =
          serializer.serialize(VersionedEvent.of("acc-" + i, i + 1, new Paid(i, "EUR"), "c"));
      currentRevised[i] =
          serializer.serialize(VersionedEvent.of("acc-" + i, i + 1, new Settled(i, "EUR"), "c"));
      // As revision 1 wrote it: no revision field, no currency.
      revisionOne[i] =
          new String(currentRevised[i], StandardCharsets.UTF_8)
              .replace("\"revision\":2,", "")
              .replace(",\"currency\":\"EUR\"", "")
              .getBytes(StandardCharsets.UTF_8);
    }
    if (!serializer.deserializeEvent(revisionOne[0]).event().equals(new Settled(0, "EUR"))) {
      throw new IllegalStateException("The revision-1 envelopes do not upcast as expected");
    }
  }

  /** Events of a type never revised. */
  @Benchmark
  public void current(Blackhole sink) {
    read(current, sink);
  }

  /** Events of a revised type, written at its current revision. */
  @Benchmark
  public void currentRevised(Blackhole sink) {
    read(currentRevised, sink);
  }

  /** Events of a revised type as its first revision wrote them: every one upcast. */
  @Benchmark
  public void upcastEvery(Blackhole sink) {
    read(revisionOne, sink);
  }

  private void read(byte[][] envelopes, Blackhole sink) {
    for (byte[] envelope : envelopes) {
      sink.consume(serializer.deserializeEvent(envelope));
    }
  }
}
