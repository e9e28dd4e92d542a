package io.cqrs.scaleout;

import io.cqrs.CommandDispatchManager;
import io.cqrs.EventRelay;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourcingRepository;
import io.cqrs.SnapshotPolicy;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEventDispatchManager;
import io.cqrs.couchbase.CouchbaseEventStreamRepository;
import io.cqrs.example.bank.domain.AccountCommandHandlers;
import io.cqrs.example.bank.domain.BankTypes;
import io.cqrs.example.bank.domain.TransferCommandHandlers;
import io.cqrs.example.bank.domain.TransferProcess;
import io.cqrs.rabbitmq.RabbitCommandBus;
import io.cqrs.rabbitmq.RabbitEventBus;
import io.cqrs.spi.RelayStore;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A bank worker with the command-line contract of {@code BankApplication worker --store couchbase
 * --bus rabbitmq --prefix P --listeners N}, for running the harness while example-bank's own
 * distributed worker is not yet in this build: it consumes bank commands with deduplication, saves
 * to Couchbase, publishes on RabbitMQ, runs the relay and the transfer process. It keeps no read
 * models (those need example-bank's Couchbase read models), prints {@code READY <pid>} when
 * consuming and exits 0 on SIGTERM.
 */
public final class StandInWorker {
  private StandInWorker() {}

  /** Runs the worker until SIGTERM. */
  public static void main(String[] args) throws Exception {
    Map<String, String> options = Options.parse(args);
    String prefix = Options.required(options, "prefix");
    int listeners = Integer.parseInt(options.getOrDefault("listeners", "2"));
    String owner = "worker-" + ProcessHandle.current().pid();
    TypeRegistry types = BankTypes.registry();
    EventSerializer serializer = new EventSerializer(types);
    String uri = env("CQRS_RABBITMQ_URI");
    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    try (CouchbaseEventStreamRepository store =
            CouchbaseEventStreamRepository.builder(
                    env("CQRS_COUCHBASE_CONNECTION"),
                    env("CQRS_COUCHBASE_USERNAME"),
                    env("CQRS_COUCHBASE_PASSWORD"),
                    env("CQRS_COUCHBASE_BUCKET"),
                    serializer)
                .keyPrefix(prefix)
                .build();
        RabbitEventBus events =
            RabbitEventBus.builder(uri, serializer)
                .prefix(prefix)
                .connectionName(prefix + "-" + owner + "-events")
                .build();
        RabbitCommandBus commands =
            RabbitCommandBus.builder(uri, serializer)
                .prefix(prefix)
                .connectionName(prefix + "-" + owner + "-commands")
                .build()) {
      EventSourcingRepository repository =
          EventSourcingRepository.builder(store, types)
              .publisher(events)
              .snapshotPolicy(SnapshotPolicy.every(100))
              .build();
      CommandDispatchManager dispatcher =
          CommandDispatchManager.builder(commands, types).errorLog(store).deduplicate(true).build();
      AccountCommandHandlers.register(dispatcher, repository);
      TransferCommandHandlers.register(dispatcher, repository);
      VersionedEventDispatchManager process = new VersionedEventDispatchManager(events, types);
      new TransferProcess(repository, commands).register(process);
      // Until the Couchbase store keeps publication marks (RelayStore), there is no relay to run.
      try (AutoCloseable relay =
          (Object) store instanceof RelayStore
              ? EventRelay.builder(store, events).owner(owner).build().start()
              : () -> {}) {
        process.listen("bank-transfers", listeners);
        dispatcher.listen("bank", listeners);
        // The hook waits for the clean close below, which the JVM would otherwise cut short.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> awaitClose(stopped, closed)));
        System.out.println("READY " + ProcessHandle.current().pid());
        stopped.await();
        dispatcher.close();
        process.close();
      }
    } finally {
      closed.countDown();
    }
  }

  private static void awaitClose(CountDownLatch stopped, CountDownLatch closed) {
    stopped.countDown();
    try {
      closed.await(20, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String env(String name) {
    String value = System.getenv(name);
    if (value == null) {
      throw new IllegalArgumentException(name + " is not set");
    }
    return value;
  }
}
