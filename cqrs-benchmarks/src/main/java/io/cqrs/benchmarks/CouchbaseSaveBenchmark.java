package io.cqrs.benchmarks;

import com.couchbase.client.core.error.DocumentNotFoundException;
import com.couchbase.client.java.Collection;
import com.couchbase.client.java.codec.RawJsonTranscoder;
import com.couchbase.client.java.kv.GetOptions;
import com.couchbase.client.java.kv.IncrementOptions;
import com.couchbase.client.java.kv.InsertOptions;
import com.couchbase.client.java.kv.LookupInSpec;
import com.couchbase.client.java.kv.MutateInOptions;
import com.couchbase.client.java.kv.MutateInSpec;
import com.couchbase.client.java.kv.StoreSemantics;
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
 * Issue 3, saves: one operation is one save of a one-event commit to a new stream, with {@value
 * #THREADS} threads saving at once, against CouchbaseMock in this JVM.
 *
 * <ul>
 *   <li>{@code rawInserts} (baseline): the same documents with the SDK, in the order and the same
 *       round trips a save makes: a sub-document lookup of the (missing) head, an increment of the
 *       log sequence, an array append to the correlation index, then inserts of the commit
 *       document, the claim and the head, each with the bytes the repository wrote for a probe save
 *       in the set-up.
 *   <li>{@code rawCommitInsert}: one insert of the commit document alone, the cheapest way to store
 *       the event at all; it shows what the save protocol's six round trips cost, not the
 *       framework's overhead.
 *   <li>{@code repository}: {@link CouchbaseEventStreamRepository#save} of a new envelope, encoded
 *       in the measured code.
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Threads(CouchbaseSaveBenchmark.THREADS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class CouchbaseSaveBenchmark {
  /** Saves in flight at once, the same for every variant. */
  static final int THREADS = 8;

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
    private byte[] claim;
    private byte[] head;

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
      claim = raw(prefix + "::v::probe::1");
      head = raw(prefix + "::h::probe");
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

  /** The same round trips and documents with the SDK alone. */
  @Benchmark
  public void rawInserts(Server server) {
    Collection collection = server.collection;
    String prefix = "raw-" + server.run;
    String id = server.nextStream();
    try {
      collection.lookupIn(prefix + "::h::" + id, List.of(LookupInSpec.get("v")));
    } catch (DocumentNotFoundException expected) {
      // a new stream has no head, as in the save
    }
    long seq =
        collection
            .binary()
            .increment(prefix + "::seq", IncrementOptions.incrementOptions().initial(1))
            .content();
    collection.mutateIn(
        prefix + "::corr::" + UUID.randomUUID(),
        List.of(MutateInSpec.arrayAppend("q", List.of(seq)).createPath()),
        MutateInOptions.mutateInOptions().storeSemantics(StoreSemantics.UPSERT));
    insert(collection, prefix + "::log::" + seq, server.commit);
    insert(collection, prefix + "::v::" + id + "::1", server.claim);
    insert(collection, prefix + "::h::" + id, server.head);
  }

  /** One insert of the commit document: the least any store could do per event. */
  @Benchmark
  public void rawCommitInsert(Server server) {
    insert(server.collection, "one-" + server.run + "::" + server.nextStream(), server.commit);
  }

  private static void insert(Collection collection, String key, byte[] json) {
    collection.insert(
        key, json, InsertOptions.insertOptions().transcoder(RawJsonTranscoder.INSTANCE));
  }
}
