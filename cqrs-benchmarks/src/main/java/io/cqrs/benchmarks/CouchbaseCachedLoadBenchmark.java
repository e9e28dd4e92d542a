package io.cqrs.benchmarks;

import com.couchbase.client.java.codec.RawJsonTranscoder;
import com.couchbase.client.java.kv.GetOptions;
import io.cqrs.AggregateCache;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourcingRepository;
import io.cqrs.SnapshotPolicy;
import io.cqrs.TypeRegistry;
import io.cqrs.benchmarks.model.BenchAccount;
import io.cqrs.benchmarks.model.Histories;
import io.cqrs.couchbase.CouchbaseEventStreamRepository;
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
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 14, item 3: loading an aggregate that this process holds in its {@link AggregateCache},
 * against CouchbaseMock in this JVM. One operation is one load of an account whose stream has
 * {@value #EVENTS} events, saved one command at a time, with nothing committed since it was cached.
 *
 * <ul>
 *   <li>{@code rawGet} (baseline): one get of one document with the SDK, as raw JSON: the least a
 *       program needs to learn that nothing changed.
 *   <li>{@code cached}: {@link EventSourcingRepository#get} with a cache: the state from memory and
 *       the store asked for the events after it: one existence probe ({@code exists}, the
 *       protocol's {@code GET_META}) of the claim that would start the next commit, missing.
 *   <li>{@code rawExists}: one {@code exists} of a missing document with the SDK alone: the I/O a
 *       cached load makes, without the framework around it (issue 14 names the raw get as the
 *       target's baseline; this shows what the framework adds to its own operation).
 *   <li>{@code uncached}: the same repository without a cache, with the default snapshot policy of
 *       example-bank (every 100 events): the snapshot and the events after it.
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class CouchbaseCachedLoadBenchmark {
  /** Events in the account's stream, one commit each. */
  static final int EVENTS = 150;

  private static final String ACCOUNT = "account";

  /** The simulator, the stored account and the repositories. */
  @State(Scope.Benchmark)
  public static class Server {
    private final TypeRegistry registry = Histories.registry();
    private MockCouchbase couchbase;
    private CouchbaseEventStreamRepository store;
    private EventSourcingRepository cachedRepository;
    private EventSourcingRepository uncachedRepository;
    private String headKey;
    private String missingKey;

    /** Starts the simulator and saves the account, one command per event; not measured. */
    @Setup(Level.Trial)
    public void start() throws Exception {
      couchbase = MockCouchbase.start();
      String prefix = "cached-" + UUID.randomUUID().toString().substring(0, 8);
      store =
          CouchbaseEventStreamRepository.builder(
                  couchbase.collection(), new EventSerializer(registry))
              .keyPrefix(prefix)
              .build();
      cachedRepository =
          EventSourcingRepository.builder(store, registry)
              .snapshotPolicy(SnapshotPolicy.every(100))
              .cache(AggregateCache.maximumSize(1_000))
              .build();
      uncachedRepository =
          EventSourcingRepository.builder(store, registry)
              .snapshotPolicy(SnapshotPolicy.every(100))
              .build();
      BenchAccount account = new BenchAccount(ACCOUNT);
      account.open("alice");
      uncachedRepository.save(account, "setup");
      for (int i = 1; i < EVENTS; i++) {
        BenchAccount loaded = uncachedRepository.get(ACCOUNT, BenchAccount::new);
        loaded.deposit(i);
        uncachedRepository.save(loaded, "setup");
      }
      if (cachedRepository.get(ACCOUNT, BenchAccount::new).version() != EVENTS) {
        throw new IllegalStateException("The account was not stored whole");
      }
      headKey = prefix + "::h::" + ACCOUNT;
      missingKey = prefix + "::v::" + ACCOUNT + "::" + (EVENTS + 1); // the claim probed
      if (couchbase.collection().exists(missingKey).exists()) {
        throw new IllegalStateException(missingKey + " should be missing");
      }
      couchbase.collection().get(headKey); // the baseline reads a document that is there
    }

    /** Disconnects and stops the simulator. */
    @TearDown(Level.Trial)
    public void stop() {
      store.close();
      couchbase.close();
    }
  }

  /** A load served by the cache. */
  @Benchmark
  public BenchAccount cached(Server server) {
    return check(server.cachedRepository.get(ACCOUNT, BenchAccount::new));
  }

  /** A load from the latest snapshot and the events after it. */
  @Benchmark
  public BenchAccount uncached(Server server) {
    return check(server.uncachedRepository.get(ACCOUNT, BenchAccount::new));
  }

  /** One get of the stream's head document with the SDK alone. */
  @Benchmark
  public byte[] rawGet(Server server) {
    return server
        .couchbase
        .collection()
        .get(server.headKey, GetOptions.getOptions().transcoder(RawJsonTranscoder.INSTANCE))
        .contentAsBytes();
  }

  /** One {@code exists} of a missing document with the SDK alone: the cached load's own I/O. */
  @Benchmark
  public boolean rawExists(Server server) {
    return server.couchbase.collection().exists(server.missingKey).exists();
  }

  private static BenchAccount check(BenchAccount account) {
    if (account.version() != EVENTS) {
      throw new IllegalStateException("Loaded version " + account.version());
    }
    return account;
  }
}
