package io.cqrs.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourceBased;
import io.cqrs.EventSourcingRepository;
import io.cqrs.SnapshotPolicy;
import io.cqrs.TypeName;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.EventStream;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.Snapshot;
import io.cqrs.spi.StreamAppend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * Issue 15 at the store level: rehydrating an aggregate whose stream a store keeps as JSON, with
 * and without upcasters. One operation is one stored event; each invocation loads a stream of
 * {@value #EVENTS} events through {@link EventSourcingRepository#get}, which reads them from a
 * store that keeps commit documents of {@value #PER_COMMIT} envelopes as bytes in memory and
 * decodes them on every load as the Couchbase store does (the document into a tree, each envelope
 * through {@link EventSerializer#fromTree}): no network, so what differs between the shapes is the
 * upcasting alone.
 *
 * <ul>
 *   <li>{@code current}: a type never revised, in a registry with no upcasters at all: today's path
 *       (the baseline).
 *   <li>{@code currentRevised}: a type at revision 2 with an upcaster from 1, its events written at
 *       revision 2: an upcaster registered but never run.
 *   <li>{@code upcastEvery}: the same type's events as revision 1 wrote them: one-to-one upcast
 *       each.
 *   <li>{@code splitEvery}: events as revision 1 wrote them that a {@link
 *       io.cqrs.SplittingUpcaster} splits into two, each: twice the events to bind and route.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(StoreUpcastingBenchmark.EVENTS)
@Fork(1)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
public class StoreUpcastingBenchmark {
  static final int EVENTS = 1_000;
  static final int PER_COMMIT = 10;
  private static final String ID = "acc-1";

  /** A payment as it always was. */
  public record Paid(long amount, String currency) {}

  /** A payment whose revision 2 added the currency. */
  @TypeName(value = "Settled", revision = 2)
  public record Settled(long amount, String currency) {}

  /** A charge whose revision 2 made its fee an event of its own. */
  @TypeName(value = "Charged", revision = 2)
  public record Charged(long amount) {}

  /** The fee split off a revision-1 charge. */
  public record FeeCharged(long amount) {}

  /** Sums what it handles. */
  public static final class Till extends EventSourceBased {
    long total;

    public Till(String id) {
      super(id);
    }

    private void handlePaid(Paid event) {
      total += event.amount();
    }

    private void handleSettled(Settled event) {
      total += event.amount();
    }

    private void handleCharged(Charged event) {
      total += event.amount();
    }

    private void handleFeeCharged(FeeCharged event) {
      total += event.amount();
    }
  }

  @Param({"current", "currentRevised", "upcastEvery", "splitEvery"})
  public String shape;

  private EventSourcingRepository repository;
  private long expectedTotal;

  /** Writes the stream's documents; not measured. */
  @Setup
  public void write() {
    TypeRegistry writing =
        new TypeRegistry().registerAggregate(Till.class, Paid.class, Settled.class);
    EventSerializer writer = new EventSerializer(writing);
    TypeRegistry reading =
        switch (shape) {
          case "current" -> new TypeRegistry().registerAggregate(Till.class, Paid.class);
          case "currentRevised", "upcastEvery" ->
              new TypeRegistry()
                  .registerAggregate(Till.class, Settled.class)
                  .upcaster(Settled.class, 1, payload -> payload.put("currency", "EUR"));
          case "splitEvery" -> SplitShapes.registry(Till.class);
          default -> throw new IllegalArgumentException(shape);
        };
    List<byte[]> documents = new ArrayList<>();
    StringBuilder document = new StringBuilder();
    for (int v = 1; v <= EVENTS; v++) {
      Object event = shape.equals("current") ? new Paid(v, "EUR") : new Settled(v, "EUR");
      String json =
          new String(
              writer.serialize(VersionedEvent.of(ID, v, event, "c")), StandardCharsets.UTF_8);
      if (!shape.equals("current") && !shape.equals("currentRevised")) {
        // As revision 1 wrote it: no revision field; a charge carried its fee.
        json = json.replace("\"revision\":2,", "").replace(",\"currency\":\"EUR\"", "");
        if (shape.equals("splitEvery")) {
          json =
              json.replace("\"Settled\"", "\"Charged\"")
                  .replaceFirst(
                      "\"event\":\\{\"amount\":(\\d+)}", "\"event\":{\"amount\":$1,\"fee\":1}");
        }
      }
      document.append(document.length() == 0 ? "[" : ",").append(json);
      if (v % PER_COMMIT == 0) {
        documents.add(document.append(']').toString().getBytes(StandardCharsets.UTF_8));
        document.setLength(0);
      }
    }
    JsonStore store = new JsonStore(new EventSerializer(reading), documents);
    repository =
        EventSourcingRepository.builder(store, reading)
            .snapshotPolicy(SnapshotPolicy.never())
            .build();
    expectedTotal = (long) EVENTS * (EVENTS + 1) / 2 + (shape.equals("splitEvery") ? EVENTS : 0);
    Till till = load();
    if (till.total != expectedTotal || till.version() != EVENTS) {
      throw new IllegalStateException(
          shape + " loaded total " + till.total + " at version " + till.version());
    }
  }

  /** Loads the whole stream into a new aggregate. */
  @Benchmark
  public Till load() {
    return repository.get(ID, Till::new);
  }

  /** A read-only store of one stream kept as commit documents of JSON envelopes. */
  static final class JsonStore implements EventStreamRepository {
    private final EventSerializer serializer;
    private final ObjectMapper mapper;
    private final List<byte[]> documents;

    JsonStore(EventSerializer serializer, List<byte[]> documents) {
      this.serializer = serializer;
      this.mapper = serializer.mapper();
      this.documents = documents;
    }

    @Override
    public EventStream loadStream(String streamId, long fromVersion) {
      List<VersionedEvent> events = new ArrayList<>(EVENTS);
      try {
        for (byte[] document : documents) {
          for (JsonNode envelope : mapper.readTree(document)) {
            events.add(serializer.fromTree(envelope));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return new EventStream(streamId, null, events);
    }

    @Override
    public long version(String streamId) {
      return EVENTS;
    }

    @Override
    public Optional<Snapshot> loadSnapshot(String streamId) {
      return Optional.empty();
    }

    @Override
    public void save(StreamAppend append) {
      throw new UnsupportedOperationException("read-only");
    }

    @Override
    public void saveSnapshot(Snapshot snapshot) {
      throw new UnsupportedOperationException("read-only");
    }

    @Override
    public List<LoggedEvent> readLog(long fromPosition, int maxEvents) {
      throw new UnsupportedOperationException("no log");
    }

    @Override
    public long logHead() {
      throw new UnsupportedOperationException("no log");
    }

    @Override
    public void recordIntegrationEvent(VersionedEvent event) {
      throw new UnsupportedOperationException("read-only");
    }

    @Override
    public List<VersionedEvent> eventsByCorrelationId(String correlationId) {
      throw new UnsupportedOperationException("no index");
    }
  }
}
