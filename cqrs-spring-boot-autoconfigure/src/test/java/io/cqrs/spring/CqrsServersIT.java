package io.cqrs.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.couchbase.client.core.error.FeatureNotAvailableException;
import com.couchbase.client.java.Cluster;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.cqrs.Cqrs;
import io.cqrs.NonTransientCqrsException;
import io.cqrs.couchbase.CouchbaseEventStreamRepository;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.rabbitmq.RabbitCommandBus;
import io.cqrs.rabbitmq.RabbitEventBus;
import io.cqrs.rabbitmq.RabbitNamespace;
import io.cqrs.rabbitmq.RabbitTestBroker;
import io.cqrs.spring.TestDomain.Balances;
import io.cqrs.spring.TestDomain.Deposit;
import io.cqrs.spring.actuate.CqrsHealthAutoConfiguration;
import io.cqrs.testing.Await;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.AbstractConnectionFactory;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.couchbase.autoconfigure.CouchbaseAutoConfiguration;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The Couchbase store and the RabbitMQ buses from properties, against the servers: on Spring Boot's
 * own {@code Cluster} and connection factory, and connected by cqrs itself.
 */
class CqrsServersIT {
  private final CouchbaseTestServer couchbase = CouchbaseTestServer.shared();
  private RabbitNamespace rabbit;

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  CouchbaseAutoConfiguration.class,
                  RabbitAutoConfiguration.class,
                  CqrsAutoConfiguration.class,
                  CqrsHealthAutoConfiguration.class))
          .withUserConfiguration(CqrsAutoConfigurationTest.Bank.class);

  @AfterEach
  void deleteQueues() {
    if (rabbit != null) {
      rabbit.deleteEverythingWithPrefix();
      rabbit.close();
    }
  }

  @Test
  void a_bucket_spring_boots_cluster_cannot_open_fails_the_start_with_the_servers_answer() {
    runner
        .withPropertyValues(
            springCouchbase(
                "cqrs.store.couchbase.bucket=nosuchbucket",
                "cqrs.store.couchbase.connect-timeout=3s"))
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .isInstanceOf(com.couchbase.client.core.error.UnambiguousTimeoutException.class)
                    .satisfies(
                        cause ->
                            assertThat(context.getStartupFailure())
                                .hasStackTraceContaining(
                                    "Couchbase bucket 'nosuchbucket' was not ready within PT3S;"
                                        + " the server answered")));
  }

  @Test
  void the_couchbase_store_uses_spring_boots_cluster_when_there_is_one() {
    runner
        .withPropertyValues(
            springCouchbase(
                "cqrs.store.couchbase.bucket=" + couchbase.bucketName(),
                "cqrs.store.couchbase.key-prefix=" + couchbase.newKeyPrefix()))
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(Cluster.class);
              depositReachesTheReadModel(
                  context.getBean(Cqrs.class), context.getBean(Balances.class));
              assertThat(context.getBean(Cqrs.class).store())
                  .isInstanceOf(CouchbaseEventStreamRepository.class);
            });
  }

  @Test
  void without_a_cluster_bean_the_couchbase_store_connects_itself() {
    selfConnecting()
        .run(
            context -> {
              assertThat(context).hasNotFailed().doesNotHaveBean(Cluster.class);
              depositReachesTheReadModel(
                  context.getBean(Cqrs.class), context.getBean(Balances.class));
            });
  }

  @Test
  void a_connection_string_beside_spring_boots_cluster_is_refused() {
    runner
        .withPropertyValues(
            springCouchbase(
                "cqrs.store.couchbase.bucket=" + couchbase.bucketName(),
                "cqrs.store.couchbase.connection-string=" + couchbase.connectionString()))
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("the application has a Couchbase Cluster bean"));
  }

  @Test
  void the_durability_property_reaches_the_store() {
    assumeTrue(
        couchbase.description().startsWith("CouchbaseMock"),
        "only CouchbaseMock is known to refuse every synchronous durability");
    selfConnecting()
        .withPropertyValues("cqrs.store.couchbase.durability=majority")
        .run(
            context ->
                // The simulator has no synchronous durability: the store's first write (a
                // processor's documents, at start) is refused, which only a durable write is.
                assertThat(context)
                    .getFailure()
                    .hasRootCauseInstanceOf(FeatureNotAvailableException.class)
                    .hasStackTraceContaining(NonTransientCqrsException.class.getName())
                    .hasStackTraceContaining("Synchronous Durability"));
  }

  @Test
  void with_declare_topology_false_the_buses_declare_nothing_and_name_what_is_missing()
      throws Exception {
    rabbit = RabbitTestBroker.get().newNamespace("nodeclare");
    var factory = rabbit.connectionFactory();
    runner
        .withPropertyValues(springRabbit("cqrs.bus.rabbitmq.declare-topology=false"))
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining("NOT_FOUND")
                    .hasStackTraceContaining(rabbit.prefix() + "."));
    try (Connection connection = factory.newConnection()) {
      Channel channel = connection.createChannel();
      assertThatThrownBy(() -> channel.exchangeDeclarePassive(rabbit.prefix() + ".commands"))
          .as("no exchange was declared")
          .isInstanceOf(IOException.class);
    }
  }

  @Test
  void the_rabbitmq_buses_connect_with_spring_boots_rabbitmq_settings() {
    rabbit = RabbitTestBroker.get().newNamespace("boot");
    runner
        .withPropertyValues(springRabbit())
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(Cqrs.class).commandBus().health().connections())
                  .extracting(connection -> connection.name())
                  .allMatch(name -> name.startsWith(rabbit.prefix() + "-commands"));
              assertThat(context.getBean(io.cqrs.spi.CommandBus.class))
                  .isInstanceOf(RabbitCommandBus.class);
              assertThat(context.getBean(io.cqrs.spi.EventBus.class))
                  .isInstanceOf(RabbitEventBus.class);
              depositReachesTheReadModel(
                  context.getBean(Cqrs.class), context.getBean(Balances.class));
            });
  }

  @Test
  void without_spring_amqp_the_rabbitmq_buses_connect_with_the_uri() {
    rabbit = RabbitTestBroker.get().newNamespace("uri");
    rabbit.requireAdmin();
    new ApplicationContextRunner()
        .withClassLoader(new FilteredClassLoader(AbstractConnectionFactory.class))
        .withConfiguration(AutoConfigurations.of(CqrsAutoConfiguration.class))
        .withUserConfiguration(CqrsAutoConfigurationTest.Bank.class)
        .withPropertyValues(
            "cqrs.bus.type=rabbitmq",
            "cqrs.bus.rabbitmq.uri=" + rabbit.broker().amqpUri(),
            "cqrs.service=" + rabbit.prefix(),
            "cqrs.bus.rabbitmq.prefix=" + rabbit.prefix(),
            "cqrs.bus.rabbitmq.queue-type=quorum")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              depositReachesTheReadModel(
                  context.getBean(Cqrs.class), context.getBean(Balances.class));
              String queue = rabbit.prefix() + ".commands." + rabbit.prefix();
              assertThat(queueTypes()).contains(queue + "\tquorum");
            });
  }

  /**
   * The Bank's read model is a tracking processor, so its events reach no queue: a warning per type
   * a minute unless {@code cqrs.bus.rabbitmq.unroutable-events=debug} says that is expected.
   * slf4j-simple (the test logger) writes to the current System.err at INFO and above.
   */
  @Test
  void unroutable_events_warn_by_default_and_are_quiet_when_the_property_says_they_are_expected() {
    rabbit = RabbitTestBroker.get().newNamespace("unroutable");
    assertThat(depositOutput(rabbit, "cqrs.bus.rabbitmq.unroutable-events=warn"))
        .contains("WARN")
        .contains("Unroutable events: 1 event(s) of type 'MoneyDeposited'");
    assertThat(depositOutput(rabbit, "cqrs.bus.rabbitmq.unroutable-events=debug"))
        .doesNotContain("Unroutable events");
  }

  /** What System.err got while a deposit was handled and its event published on the bus. */
  private static String depositOutput(RabbitNamespace rabbit, String setting) {
    java.io.PrintStream original = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      new ApplicationContextRunner()
          .withClassLoader(new FilteredClassLoader(AbstractConnectionFactory.class))
          .withConfiguration(AutoConfigurations.of(CqrsAutoConfiguration.class))
          .withUserConfiguration(CqrsAutoConfigurationTest.Bank.class)
          .withPropertyValues(
              "cqrs.bus.type=rabbitmq",
              "cqrs.bus.rabbitmq.uri=" + rabbit.broker().amqpUri(),
              "cqrs.service=" + rabbit.prefix(),
              "cqrs.bus.rabbitmq.prefix=" + rabbit.prefix(),
              setting)
          .run(
              context -> {
                assertThat(context).hasNotFailed();
                Cqrs cqrs = context.getBean(Cqrs.class);
                depositReachesTheReadModel(cqrs, context.getBean(Balances.class));
                // Marked published once the publish returned, after what it logged.
                Await.until(
                    "the deposit published",
                    () ->
                        cqrs.store().readLog(1, 10).stream()
                            .allMatch(io.cqrs.spi.LoggedEvent::published));
              });
    } finally {
      System.setErr(original);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }

  @Test
  void the_command_bus_health_is_down_while_its_connection_is_closed_and_up_once_recovered() {
    rabbit = RabbitTestBroker.get().newNamespace("health");
    rabbit.requireAdmin();
    runner
        .withPropertyValues(
            springRabbit(
                "cqrs.bus.rabbitmq.unhealthy-after=0s", "cqrs.bus.rabbitmq.recovery-interval=5s"))
        .run(
            context -> {
              HealthIndicator commands =
                  (HealthIndicator)
                      context
                          .getBean("cqrsHealthContributor", CompositeHealthContributor.class)
                          .getContributor("commandBus");
              assertThat(commands.health().getStatus()).isEqualTo(Status.UP);

              assertThat(rabbit.forceCloseConnections()).isPositive();

              Await.until(
                  "the command bus DOWN", () -> commands.health().getStatus().equals(Status.DOWN));
              Await.until(
                  "the command bus UP again",
                  () -> commands.health().getStatus().equals(Status.UP));
            });
  }

  /**
   * The application without Spring Boot's Couchbase support, its store connecting itself to the
   * test server with a key prefix of its own.
   */
  private ApplicationContextRunner selfConnecting() {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(CqrsAutoConfiguration.class))
        .withUserConfiguration(CqrsAutoConfigurationTest.Bank.class)
        .withPropertyValues(
            "cqrs.store.type=couchbase",
            "cqrs.store.couchbase.connection-string=" + couchbase.connectionString(),
            "cqrs.store.couchbase.username=" + couchbase.username(),
            "cqrs.store.couchbase.password=" + couchbase.password(),
            "cqrs.store.couchbase.bucket=" + couchbase.bucketName(),
            "cqrs.store.couchbase.key-prefix=" + couchbase.newKeyPrefix());
  }

  /**
   * Spring Boot's Couchbase settings for the test server, the store type couchbase, and {@code
   * more}.
   */
  private String[] springCouchbase(String... more) {
    List<String> properties =
        new ArrayList<>(
            List.of(
                "spring.couchbase.connection-string=" + couchbase.connectionString(),
                "spring.couchbase.username=" + couchbase.username(),
                "spring.couchbase.password=" + couchbase.password(),
                "cqrs.store.type=couchbase"));
    properties.addAll(List.of(more));
    return properties.toArray(String[]::new);
  }

  /**
   * Spring Boot's RabbitMQ settings for the test namespace's broker (Spring AMQP's connection
   * factory then connects the buses), with the namespace as cqrs's service and prefix, and {@code
   * more} properties.
   */
  private String[] springRabbit(String... more) {
    var factory = rabbit.connectionFactory();
    List<String> properties =
        new ArrayList<>(
            List.of(
                "spring.rabbitmq.host=" + factory.getHost(),
                "spring.rabbitmq.port=" + factory.getPort(),
                "spring.rabbitmq.username=" + factory.getUsername(),
                "spring.rabbitmq.password=" + factory.getPassword(),
                "spring.rabbitmq.virtual-host=" + factory.getVirtualHost(),
                "cqrs.bus.type=rabbitmq",
                "cqrs.service=" + rabbit.prefix(),
                "cqrs.bus.rabbitmq.prefix=" + rabbit.prefix()));
    properties.addAll(List.of(more));
    return properties.toArray(String[]::new);
  }

  /** Every queue of the broker with its type, one "name\ttype" per line (rabbitmqctl). */
  private static String queueTypes() throws Exception {
    Process process =
        new ProcessBuilder("rabbitmqctl", "list_queues", "-q", "--no-table-headers", "name", "type")
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor()).as(output).isZero();
    return output;
  }

  private static void depositReachesTheReadModel(Cqrs cqrs, Balances balances) {
    String account = "acc-" + System.nanoTime();
    cqrs.send(new Deposit(account, new BigDecimal("12.50")));
    Await.until(
        "the deposit in the read model",
        () -> new BigDecimal("12.50").equals(balances.balances.get(account)));
  }
}
