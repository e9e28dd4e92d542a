package io.cqrs.benchmarks;

import com.couchbase.client.java.ReactiveCollection;
import com.couchbase.client.java.codec.RawJsonTranscoder;
import com.couchbase.client.java.kv.GetOptions;
import com.couchbase.client.java.kv.GetResult;
import io.cqrs.EventSerializer;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.benchmarks.model.AccountOpened;
import io.cqrs.benchmarks.model.Histories;
import io.cqrs.benchmarks.model.MoneyDeposited;
import io.cqrs.couchbase.CouchbaseEventStreamRepository;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.publisher.Flux;

/**
 * Issue 3, loads: one operation is one event of a {@value #EVENTS}-event stream loaded whole,
 * against CouchbaseMock in this JVM. The stream was saved as {@value #EVENTS} commits of one event
 * each, so a load fetches {@value #EVENTS} commit documents: the case that needs the parallel
 * fetch.
 *
 * <ul>
 *   <li>{@code rawGets} (baseline): the same {@value #EVENTS} commit documents fetched with the
 *       reactive SDK, {@value #CONCURRENCY} in flight ({@code flatMapSequential}), as raw JSON.
 *   <li>{@code repository}: {@link CouchbaseEventStreamRepository#load}, which reads the stream's
 *       head, fetches the same documents with the same concurrency, and decodes every envelope.
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(CouchbaseLoadBenchmark.EVENTS)
@Fork(1)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class CouchbaseLoadBenchmark {
  /** Events in the stream, one commit each. */
  static final int EVENTS = 1_000;

  /** Gets in flight at once: the repository's default {@code loadConcurrency}. */
  static final int CONCURRENCY = 32;

  private static final String STREAM = "account";

  /** The simulator and the stored stream. */
  @State(Scope.Benchmark)
  public static class Server {
    private final TypeRegistry registry = Histories.registry();
    private MockCouchbase couchbase;
    private ReactiveCollection reactive;
    private CouchbaseEventStreamRepository repository;
    private List<String> commitKeys;

    /** Starts the simulator and saves the stream, one commit per event; not measured. */
    @Setup(Level.Trial)
    public void start() throws Exception {
      couchbase = MockCouchbase.start();
      reactive = couchbase.collection().reactive();
      String prefix = "load-" + UUID.randomUUID().toString().substring(0, 8);
      repository =
          CouchbaseEventStreamRepository.builder(
                  couchbase.collection(), new EventSerializer(registry))
              .keyPrefix(prefix)
              .loadConcurrency(CONCURRENCY)
              .build();
      List<Object> events = new ArrayList<>(EVENTS);
      events.add(new AccountOpened(STREAM, "alice"));
      for (int i = 1; i < EVENTS; i++) {
        events.add(new MoneyDeposited(i));
      }
      List<VersionedEvent> envelopes = Histories.envelopes(STREAM, events, registry);
      commitKeys = new ArrayList<>(EVENTS);
      for (VersionedEvent envelope : envelopes) {
        repository.save(STREAM, envelope.version() - 1, List.of(envelope));
        // A fresh prefix: the i-th commit took log sequence i.
        commitKeys.add(prefix + "::log::" + envelope.version());
      }
      if (repository.load(STREAM, 1).size() != EVENTS) {
        throw new IllegalStateException("The stream was not stored whole");
      }
    }

    /** Disconnects and stops the simulator. */
    @TearDown(Level.Trial)
    public void stop() {
      repository.close();
      couchbase.close();
    }
  }

  /** The repository's load of the whole stream. */
  @Benchmark
  public List<VersionedEvent> repository(Server server) {
    List<VersionedEvent> events = server.repository.load(STREAM, 1);
    if (events.size() != EVENTS) {
      throw new IllegalStateException("Loaded " + events.size() + " events");
    }
    return events;
  }

  /** The same documents fetched in parallel with the SDK alone. */
  @Benchmark
  public List<byte[]> rawGets(Server server) {
    GetOptions options = GetOptions.getOptions().transcoder(RawJsonTranscoder.INSTANCE);
    List<byte[]> documents =
        Flux.fromIterable(server.commitKeys)
            .flatMapSequential(key -> server.reactive.get(key, options), CONCURRENCY)
            .map(GetResult::contentAsBytes)
            .collectList()
            .block();
    if (documents == null || documents.size() != EVENTS) {
      throw new IllegalStateException("Fetched " + documents + " documents");
    }
    return documents;
  }
}
