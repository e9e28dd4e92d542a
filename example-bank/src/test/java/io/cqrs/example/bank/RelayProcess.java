package io.cqrs.example.bank;

import io.cqrs.EventRelay;
import io.cqrs.EventSerializer;
import io.cqrs.rabbitmq.RabbitEventBus;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.EventStreamRepository;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A test main that is nothing but a publication relay, so that a test can SIGKILL the lease holder:
 * it relays the Couchbase store of {@code --prefix P} (settings from the {@code CQRS_*} variables)
 * to RabbitMQ under the same prefix, prints {@code READY <pid>} and runs until it is killed.
 * Arguments: the prefix, the relay's owner name and the lease ttl in milliseconds.
 */
public final class RelayProcess {
  private RelayProcess() {}

  /** The relay every process of a test runs: relays of one prefix share the lease. */
  static EventRelay relay(
      EventStreamRepository store, EventBus bus, String prefix, String owner, Duration leaseTtl) {
    return EventRelay.builder(store, bus)
        .name(prefix + "-relay")
        .owner(owner)
        .grace(Duration.ZERO)
        .leaseTtl(leaseTtl)
        .pollInterval(Duration.ofMillis(50))
        .batchSize(7) // passes end inside commits and take several batches per phase
        .build();
  }

  public static void main(String[] args) throws InterruptedException {
    String prefix = args[0];
    InfrastructureOptions options =
        InfrastructureOptions.fromEnvironment(
            InfrastructureOptions.Store.COUCHBASE,
            InfrastructureOptions.Bus.MEMORY,
            prefix,
            System.getenv());
    BankInfrastructure infrastructure = BankInfrastructure.create(options);
    // Only the event exchange is declared here, which the test's own buses declare and delete too.
    RabbitEventBus bus =
        RabbitEventBus.builder(
                System.getenv("CQRS_RABBITMQ_URI"), new EventSerializer(infrastructure.types()))
            .prefix(prefix)
            .connectionName(prefix + "-relay-" + args[1])
            .build();
    relay(infrastructure.store(), bus, prefix, args[1], Duration.ofMillis(Long.parseLong(args[2])))
        .start();
    System.out.println("READY " + ProcessHandle.current().pid());
    new CountDownLatch(1).await(); // until killed
  }
}
