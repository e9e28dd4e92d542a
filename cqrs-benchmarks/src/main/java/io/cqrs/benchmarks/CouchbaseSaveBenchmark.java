package io.cqrs.benchmarks;

import com.couchbase.client.java.Collection;
import com.couchbase.client.java.codec.RawJsonTranscoder;
import com.couchbase.client.java.kv.GetOptions;
import com.couchbase.client.java.kv.InsertOptions;
import io.cqrs.EventSerializer;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.benchmarks.model.AccountOpened;
import io.cqrs.benchmarks.model.Histories;
import io.cqrs.couchbase.CouchbaseEventStreamRepository;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 14, saves: one operation is one save of a one-event commit to a new stream, with {@value
 * #THREADS} threads saving at once ({@link CouchbaseSerialSaveBenchmark}: one), against
 * CouchbaseMock in this JVM.
 *
 * <ul>
 *   <li>{@code rawInsert} (baseline): one insert of the commit document with the SDK under a new
 *       key, the least any store could do to keep the event: the honest floor of a save.
 *   <li>{@code repository}: {@link CouchbaseEventStreamRepository#save} of a new envelope, encoded
 *       in the measured code: three sequential round trips (six operations) and a head update it
 *       does not wait for.
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Threads(CouchbaseSaveBenchmark.THREADS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class CouchbaseSaveBenchmark {
  /** Saves in flight at once. */
  static final int THREADS = 16;

  /** The simulator, a repository on it and the documents one save writes. */
  @State(Scope.Benchmark)
  public static class Server {
    private final TypeRegistry registry = Histories.registry();
    private final AtomicLong streams = new AtomicLong();
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private MockCouchbase couchbase;
    private Collection collection;
    private CouchbaseEventStreamRepository repository;
    private byte[] commit;

    /** Starts the simulator and records what a probe save writes; not measured. */
    @Setup(Level.Trial)
    public void start() throws Exception {
      couchbase = MockCouchbase.start();
      collection = couchbase.collection();
      String prefix = "save-" + run;
      repository =
          CouchbaseEventStreamRepository.builder(collection, new EventSerializer(registry))
              .keyPrefix(prefix)
              .build();
      repository.save("probe", 0, envelope("probe"));
      commit = raw(prefix + "::log::1");
    }

    private byte[] raw(String key) {
      return collection
          .get(key, GetOptions.getOptions().transcoder(RawJsonTranscoder.INSTANCE))
          .contentAs(byte[].class);
    }

    List<VersionedEvent> envelope(String id) {
      return Histories.envelopes(id, List.of(new AccountOpened(id, "alice")), registry);
    }

    String nextStream() {
      return "s" + streams.incrementAndGet();
    }

    /** Disconnects and stops the simulator. */
    @TearDown(Level.Trial)
    public void stop() {
      repository.close();
      couchbase.close();
    }
  }

  /** The repository's save. */
  @Benchmark
  public void repository(Server server) {
    String id = server.nextStream();
    server.repository.save(id, 0, server.envelope(id));
  }

  /** One insert of the commit document: the least any store could do per event. */
  @Benchmark
  public void rawInsert(Server server) {
    insert(server.collection, "one-" + server.run + "::" + server.nextStream(), server.commit);
  }

  private static void insert(Collection collection, String key, byte[] json) {
    collection.insert(
        key, json, InsertOptions.insertOptions().transcoder(RawJsonTranscoder.INSTANCE));
  }
}
