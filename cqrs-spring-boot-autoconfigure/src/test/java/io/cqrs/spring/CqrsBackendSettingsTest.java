package io.cqrs.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.couchbase.CouchbaseEventStreamRepository;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.rabbitmq.RabbitCommandBus;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.AbstractConnectionFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Store and bus settings that are wrong or incomplete fail the start with a message naming the
 * property, before anything connects. The settings that connect are run against the servers in
 * {@code CqrsServersIT}.
 */
class CqrsBackendSettingsTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(CqrsAutoConfiguration.class));

  @Test
  void couchbase_without_a_bucket_names_the_missing_property() {
    runner
        .withPropertyValues(
            "cqrs.store.type=couchbase", "cqrs.store.couchbase.connection-string=couchbase://x")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessage("Missing setting: cqrs.store.couchbase.bucket"));
  }

  @Test
  void couchbase_without_a_cluster_bean_or_connection_string_names_both_ways() {
    runner
        .withPropertyValues("cqrs.store.type=couchbase", "cqrs.store.couchbase.bucket=b")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageStartingWith(
                        "Missing setting: cqrs.store.couchbase.connection-string (or"
                            + " spring.couchbase.connection-string"));
  }

  @Test
  void couchbase_scope_without_collection_is_refused() {
    runner
        .withPropertyValues(
            "cqrs.store.type=couchbase",
            "cqrs.store.couchbase.bucket=b",
            "cqrs.store.couchbase.scope=s")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("scope and cqrs.store.couchbase.collection go together"));
  }

  @Test
  void couchbase_store_without_the_cqrs_couchbase_module_says_so() {
    runner
        .withClassLoader(new FilteredClassLoader(CouchbaseEventStreamRepository.class))
        .withPropertyValues("cqrs.store.type=couchbase")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining(
                        "cqrs needs an event store bean: cqrs.store.type=couchbase found none"));
  }

  @Test
  void rabbitmq_without_a_uri_or_connection_factory_names_both_ways() {
    runner
        .withClassLoader(new FilteredClassLoader(AbstractConnectionFactory.class))
        .withPropertyValues("cqrs.bus.type=rabbitmq")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessage(
                        "Missing setting: cqrs.bus.rabbitmq.uri (or spring.rabbitmq.* with Spring"
                            + " AMQP)"));
  }

  @Test
  void a_uri_the_bus_refuses_is_refused_naming_the_property() {
    runner
        .withClassLoader(new FilteredClassLoader(AbstractConnectionFactory.class))
        .withPropertyValues(
            "cqrs.bus.type=rabbitmq", "cqrs.bus.rabbitmq.uri=http://guest:guest@127.0.0.1:5672")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "IllegalArgumentException: cqrs.bus.rabbitmq.uri: amqpUris[0] must start"
                            + " with amqp:// or amqps://, was 'http'"));
  }

  @Test
  void rabbitmq_with_a_uri_and_an_application_connection_factory_is_refused() {
    runner
        .withBean(com.rabbitmq.client.ConnectionFactory.class)
        .withPropertyValues(
            "cqrs.bus.type=rabbitmq", "cqrs.bus.rabbitmq.uri=amqp://guest:guest@127.0.0.1:5672")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("cqrs.bus.rabbitmq.uri is set, but the application has"));
  }

  /**
   * A RabbitMQ setting without {@code cqrs.bus.type}, as with Spring AMQP's connection and no URI
   * of cqrs's own, must not start on the in-memory buses in silence, whatever the setting.
   */
  @Test
  void a_rabbitmq_setting_without_the_bus_type_fails_the_start_naming_it() {
    runner
        .withPropertyValues("cqrs.bus.rabbitmq.queue-type=quorum")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "cqrs.bus.rabbitmq.* is set (cqrs.bus.rabbitmq.queue-type), but the buses"
                            + " are in memory"));
  }

  @Test
  void a_couchbase_setting_without_the_store_type_fails_the_start_naming_it() {
    runner
        .withPropertyValues("cqrs.store.couchbase.key-prefix=bank")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "cqrs.store.couchbase.* is set (cqrs.store.couchbase.key-prefix), but the"
                            + " store is in memory"));
  }

  @Test
  void a_negative_cache_size_or_maximum_lag_fails_the_start_naming_the_property() {
    runner
        .withPropertyValues("cqrs.cache.maximum-size=-5")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining("cqrs.cache.maximum-size")
                    .hasStackTraceContaining(
                        "cqrs.cache.maximum-size must be 0 (no cache) or more, was -5"));
    runner
        .withPropertyValues("cqrs.health.max-lag=-1")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining("cqrs.health.max-lag")
                    .hasStackTraceContaining("cqrs.health.max-lag must be 0 or more, was -1"));
  }

  /** The builders name their own settings; the failure names the property the application set. */
  @Test
  void a_listener_count_the_builder_refuses_fails_the_start_naming_the_property() {
    runner
        .withPropertyValues("cqrs.bus.command-listeners=0")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "cqrs.bus.command-listeners: commandListeners must be >= 1"));
  }

  @Test
  void a_shutdown_timeout_that_is_not_positive_fails_the_start_naming_the_property() {
    runner
        .withPropertyValues("cqrs.shutdown-timeout=0s")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining("cqrs.shutdown-timeout must be positive, was PT0S"));
  }

  /** The relay had a copy of the deduplication's setting that nothing read; it is refused now. */
  @Test
  void the_relays_lookup_proves_effects_is_not_a_setting() {
    runner
        .withPropertyValues("cqrs.relay.lookup-proves-effects=true")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining("cqrs.relay.lookup-proves-effects"));
  }

  /**
   * An application named with a space ran in memory but failed on RabbitMQ naming the builder's
   * connectionName, which the application never set; the failure names the property now.
   */
  @Test
  void a_service_name_with_whitespace_on_rabbitmq_fails_the_start_naming_the_property() {
    runner
        .withPropertyValues(
            "cqrs.bus.type=rabbitmq",
            "cqrs.bus.rabbitmq.uri=amqp://guest:guest@192.0.2.1:5672",
            "spring.application.name=My Bank")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "The service name 'My Bank' (spring.application.name, as cqrs.service is"
                            + " not set) names the RabbitMQ queues")
                    .hasStackTraceContaining(
                        "set cqrs.service to a name without them, e.g." + " 'My-Bank'"));
    runner
        .withPropertyValues(
            "cqrs.bus.type=rabbitmq",
            "cqrs.bus.rabbitmq.uri=amqp://guest:guest@192.0.2.1:5672",
            "cqrs.service=pay\tments")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining("(cqrs.service) names the RabbitMQ queues"));
  }

  /** A service name too long for RabbitMQ's names failed naming the builder's connectionName. */
  @Test
  void a_service_name_too_long_for_rabbitmq_fails_the_start_naming_the_property() {
    runner
        .withPropertyValues(
            "cqrs.bus.type=rabbitmq",
            "cqrs.bus.rabbitmq.uri=amqp://guest:guest@192.0.2.1:5672",
            "cqrs.service=" + "s".repeat(192))
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "The service name (cqrs.service) is 192 bytes long in UTF-8")
                    .hasStackTraceContaining("at most 191: set cqrs.service to a shorter name"));
    runner
        .withPropertyValues(
            "cqrs.bus.type=rabbitmq",
            "cqrs.bus.rabbitmq.uri=amqp://guest:guest@192.0.2.1:5672",
            "cqrs.service=" + "s".repeat(191))
        .run(
            context ->
                assertThat(context)
                    .as("the longest name passes, and the bus goes on to connect")
                    .getFailure()
                    .hasStackTraceContaining("is unavailable: cannot open connection")
                    .hasStackTraceContaining("s".repeat(191) + "-commands"));
  }

  @Test
  void a_max_message_size_over_the_clients_inbound_limit_fails_the_start_naming_it() {
    runner
        .withPropertyValues(
            "cqrs.bus.type=rabbitmq",
            "cqrs.bus.rabbitmq.uri=amqp://guest:guest@192.0.2.1:5672",
            "cqrs.bus.rabbitmq.max-message-size=65MB")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "cqrs.bus.rabbitmq.max-message-size must be from 1B to 64MB, was"
                            + " 68157440B"));
  }

  @Test
  void an_unknown_queue_type_is_refused() {
    runner
        .withPropertyValues(
            "cqrs.bus.type=rabbitmq",
            "cqrs.bus.rabbitmq.uri=amqp://guest:guest@127.0.0.1:5672",
            "cqrs.bus.rabbitmq.queue-type=stream")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "cqrs.bus.rabbitmq.queue-type must be classic or quorum, was 'stream'"));
  }

  @Test
  void an_unknown_durability_is_refused_before_connecting() {
    runner
        .withPropertyValues(
            "cqrs.store.type=couchbase",
            "cqrs.store.couchbase.bucket=b",
            "cqrs.store.couchbase.connection-string=couchbase://192.0.2.1",
            "cqrs.store.couchbase.durability=persist-to-everything")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessage(
                        "cqrs.store.couchbase.durability must be none, majority,"
                            + " majority-and-persist-to-active or persist-to-majority, was"
                            + " 'persist-to-everything'"));
  }

  @Test
  void the_connection_settings_reach_the_buses_which_check_them_before_connecting() {
    runner
        .withPropertyValues(
            "cqrs.bus.type=rabbitmq",
            "cqrs.bus.rabbitmq.uri=amqp://guest:guest@192.0.2.1:5672",
            "cqrs.bus.rabbitmq.heartbeat=1500ms")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "cqrs.bus.rabbitmq.heartbeat: heartbeat must be whole seconds from 1 s to"
                            + " 65535 s, was PT1.5S"));
    runner
        .withPropertyValues(
            "cqrs.bus.type=rabbitmq",
            "cqrs.bus.rabbitmq.uri=amqp://guest:guest@192.0.2.1:5672",
            "cqrs.bus.rabbitmq.confirm-window=0")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining("cqrs.bus.rabbitmq.confirm-window: confirmWindow"));
  }

  @Test
  void a_misspelt_cqrs_property_fails_the_start_naming_it() {
    runner
        .withPropertyValues("cqrs.bus.typ=rabbitmq")
        .run(context -> assertThat(context).getFailure().hasStackTraceContaining("cqrs.bus.typ"));
    runner
        .withPropertyValues("cqrs.processors.rows.segmnts=4")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining("cqrs.processors.rows.segmnts"));
  }

  @Test
  void a_rabbitmq_uri_beside_the_in_memory_buses_is_a_forgotten_bus_type() {
    runner
        .withPropertyValues("cqrs.bus.rabbitmq.uri=amqp://guest:guest@192.0.2.1:5672")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessage(
                        "cqrs.bus.rabbitmq.* is set (cqrs.bus.rabbitmq.uri), but the buses are in"
                            + " memory (cqrs.bus.type=memory): set cqrs.bus.type=rabbitmq to use"
                            + " RabbitMQ, or remove those settings"));
    runner
        .withPropertyValues("cqrs.bus.rabbitmq.declare-topology=false")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageStartingWith(
                        "cqrs.bus.rabbitmq.* is set (cqrs.bus.rabbitmq.declare-topology), but the"
                            + " buses are in memory"));
  }

  @Test
  void couchbase_settings_beside_the_in_memory_store_are_a_forgotten_store_type() {
    runner
        .withPropertyValues("cqrs.store.couchbase.durability=majority")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageStartingWith(
                        "cqrs.store.couchbase.* is set (cqrs.store.couchbase.durability), but the store is in memory"));
    runner
        .withPropertyValues("cqrs.store.couchbase.bucket=orders")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageStartingWith(
                        "cqrs.store.couchbase.* is set (cqrs.store.couchbase.bucket), but the store"
                            + " is in memory (cqrs.store.type=memory): set cqrs.store.type=couchbase"));
  }

  /**
   * A store of the application's replaces the one {@code cqrs.store.*} describes, on purpose (an
   * in-memory store in a test of an application configured for Couchbase): its type is not a
   * forgotten {@code cqrs.store.type}, as it was taken to be, in a message that said the store was
   * in memory with {@code cqrs.store.type=couchbase}.
   */
  @Test
  void
      an_in_memory_store_of_the_application_replaces_the_couchbase_settings_without_refusing_them() {
    runner
        .withBean(InMemoryEventStreamRepository.class, InMemoryEventStreamRepository::new)
        .withPropertyValues("cqrs.store.type=couchbase", "cqrs.store.couchbase.bucket=events")
        .run(context -> assertThat(context).hasNotFailed());
  }

  @Test
  void in_memory_buses_of_the_application_replace_the_rabbitmq_settings_without_refusing_them() {
    runner
        .withBean(InMemoryCommandBus.class, InMemoryCommandBus::new)
        .withBean(InMemoryEventBus.class, InMemoryEventBus::new)
        .withPropertyValues(
            "cqrs.bus.type=rabbitmq", "cqrs.bus.rabbitmq.uri=amqp://guest:guest@192.0.2.1:5672")
        .run(context -> assertThat(context).hasNotFailed());
  }

  /**
   * The binder takes {@code rabbit-mq} for RabbitMQ, but the buses were made only for the text
   * {@code rabbitmq}: the start failed asking whether cqrs-rabbitmq was on the class path.
   */
  @Test
  void a_store_or_bus_type_spelt_as_the_binder_takes_it_selects_that_store_or_bus() {
    runner
        .withClassLoader(new FilteredClassLoader(AbstractConnectionFactory.class))
        .withPropertyValues("cqrs.bus.type=rabbit-mq")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageStartingWith("Missing setting: cqrs.bus.rabbitmq.uri"));
    runner
        .withPropertyValues("cqrs.store.type=Couch_Base")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessage("Missing setting: cqrs.store.couchbase.bucket"));
  }

  @Test
  void snapshots_every_under_one_fails_the_start_naming_the_property() {
    runner
        .withPropertyValues("cqrs.snapshots.mode=every", "cqrs.snapshots.every=0")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining("cqrs.snapshots.every must be 1 or more, was 0"));
  }

  @Test
  void lookup_proves_effects_without_deduplication_fails_the_start_naming_both_properties() {
    runner
        .withPropertyValues(
            "cqrs.deduplication.enabled=false", "cqrs.deduplication.lookup-proves-effects=true")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageStartingWith(
                        "cqrs.deduplication.lookup-proves-effects=true needs"
                            + " cqrs.deduplication.enabled=true"));
  }

  @Test
  void record_no_effect_without_deduplication_fails_the_start_naming_both_properties() {
    runner
        .withPropertyValues(
            "cqrs.deduplication.enabled=false", "cqrs.deduplication.record-no-effect=true")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageStartingWith(
                        "cqrs.deduplication.record-no-effect=true needs"
                            + " cqrs.deduplication.enabled=true"));
  }

  /** The property reaches the dispatch manager: a command that changed nothing is recorded. */
  @Test
  void record_no_effect_records_a_command_that_changed_nothing() {
    runner
        .withPropertyValues("cqrs.deduplication.record-no-effect=true")
        .withBean(
            io.cqrs.spring.CqrsConfigurer.class,
            () ->
                new io.cqrs.spring.CqrsConfigurer() {
                  @Override
                  public void register(io.cqrs.Cqrs cqrs) {
                    cqrs.onCommand(NoOp.class, (noOp, command) -> {});
                  }
                })
        .run(
            context -> {
              io.cqrs.Cqrs cqrs = context.getBean(io.cqrs.Cqrs.class);
              io.cqrs.Command sent = io.cqrs.Command.create(new NoOp("x"));
              cqrs.commands().dispatch(sent);
              assertThat(cqrs.store().eventsCausedBy(sent.correlationId(), sent.messageId()))
                  .extracting(e -> e.event().getClass().getSimpleName())
                  .containsExactly("CommandHandled");
            });
  }

  record NoOp(String id) {}

  /**
   * {@code cqrs.bus.rabbitmq.uri=${RABBIT_URI:}}, in properties every environment shares, sets no
   * URI: it was refused as a URI set beside the in-memory buses (or beside Spring AMQP's factory).
   */
  @Test
  void an_empty_rabbitmq_uri_is_no_uri() {
    runner
        .withPropertyValues("cqrs.bus.rabbitmq.uri=")
        .run(context -> assertThat(context).hasNotFailed());
  }

  /**
   * On the application's {@code Cluster} the store's builder, which checks the timeout, is not
   * used: the timeout went unchecked to the wait for the bucket.
   */
  @Test
  void a_connect_timeout_that_is_not_positive_fails_before_the_cluster_is_used() {
    CqrsMisconfigurationTest.withUntouchableCluster(runner)
        .withPropertyValues(
            "cqrs.store.type=couchbase",
            "cqrs.store.couchbase.bucket=b",
            "cqrs.store.couchbase.connect-timeout=0s")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "cqrs.store.couchbase.connect-timeout must be positive, was PT0S"));
  }

  @Test
  void rabbitmq_buses_without_the_cqrs_rabbitmq_module_say_so() {
    runner
        .withClassLoader(new FilteredClassLoader(RabbitCommandBus.class))
        .withPropertyValues("cqrs.bus.type=rabbitmq")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining(
                        "cqrs needs a command bus bean: cqrs.bus.type=rabbitmq found none (is its"
                            + " cqrs module, io.cqrs:cqrs-rabbitmq, on the class path?)"));
  }
}
