package io.cqrs.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.couchbase.client.java.Cluster;
import io.cqrs.CommandHandler;
import io.cqrs.EventSourcingRepository;
import io.cqrs.interceptor.CommandHandlerInterceptor;
import io.cqrs.spring.TestDomain.Withdraw;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Settings and beans a Spring Boot user gets wrong, and what the start says of them. */
class CqrsMisconfigurationTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(CqrsAutoConfiguration.class));

  /**
   * {@code runner} with a Cluster bean that fails the test if the store makes (and so connects) it.
   */
  static ApplicationContextRunner withUntouchableCluster(ApplicationContextRunner runner) {
    return runner.withBean(
        Cluster.class,
        () -> {
          throw new AssertionError("the Cluster is used before the settings are checked");
        },
        definition -> definition.setLazyInit(true));
  }

  /**
   * Properties every environment shares ({@code cqrs.store.couchbase.bucket=${CB_BUCKET:}}) set
   * nothing where the variable is unset, as the documentation says of any key set to nothing: the
   * in-memory store refused them, in a message that named no key.
   */
  @Test
  void couchbase_keys_set_to_nothing_beside_the_in_memory_store_are_not_settings() {
    runner
        .withPropertyValues(
            "cqrs.store.couchbase.bucket=",
            "cqrs.store.couchbase.connection-string= ",
            "cqrs.store.couchbase.username=",
            "cqrs.store.couchbase.password=",
            "cqrs.store.couchbase.durability=")
        .run(context -> assertThat(context).hasNotFailed());
  }

  /**
   * And beside Boot's Cluster, empty connection settings are no second pool: the store goes on to
   * the Cluster (which stands here for the connection), where an empty connection string was
   * refused as a second pool.
   */
  @Test
  void empty_own_connection_settings_beside_a_cluster_bean_are_not_settings() {
    runner
        .withBean(
            Cluster.class,
            () -> {
              throw new IllegalStateException("the store uses the application's Cluster");
            },
            definition -> definition.setLazyInit(true))
        .withPropertyValues(
            "cqrs.store.type=couchbase",
            "cqrs.store.couchbase.bucket=b",
            "cqrs.store.couchbase.connection-string=",
            "cqrs.store.couchbase.username=",
            "cqrs.store.couchbase.password=",
            "cqrs.store.couchbase.scope=",
            "cqrs.store.couchbase.collection=")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessage("the store uses the application's Cluster"));
  }

  /**
   * The store's builder refuses a connect timeout over 365 days, which the wait for the bucket
   * reckons in nanoseconds; on the application's Cluster that builder check is not made, and {@code
   * 10000000d} reached the wait ({@code Duration.toNanos()}: long overflow).
   */
  @Test
  void an_absurdly_long_connect_timeout_fails_before_the_cluster_is_used_naming_the_property() {
    withUntouchableCluster(runner)
        .withPropertyValues(
            "cqrs.store.type=couchbase",
            "cqrs.store.couchbase.bucket=b",
            "cqrs.store.couchbase.connect-timeout=10000000d")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "cqrs.store.couchbase.connect-timeout must be at most 365 days")
                    .hasStackTraceContaining("cqrs.store.couchbase.connect-timeout"));
  }

  /**
   * Credentials of the store's own connection beside the application's Cluster were dropped in
   * silence (the store ran as Spring Boot's user); a connection string beside it was refused only
   * after the Cluster had been made, which connects.
   */
  @Test
  void own_connection_settings_beside_a_cluster_bean_fail_before_the_cluster_is_made() {
    withUntouchableCluster(runner)
        .withPropertyValues(
            "cqrs.store.type=couchbase",
            "cqrs.store.couchbase.bucket=b",
            "cqrs.store.couchbase.username=cqrs",
            "cqrs.store.couchbase.password=secret")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageStartingWith(
                        "cqrs.store.couchbase.username and .password apply only when the store"
                            + " connects itself"));
    withUntouchableCluster(runner)
        .withPropertyValues(
            "cqrs.store.type=couchbase",
            "cqrs.store.couchbase.bucket=b",
            "cqrs.store.couchbase.connection-string=couchbase://db")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageStartingWith(
                        "cqrs.store.couchbase.connection-string is set, but the application has a"
                            + " Couchbase Cluster bean"));
  }

  /** {@code every=50} alone kept the default when-suggested: the count was dropped in silence. */
  @Test
  void snapshots_every_without_mode_every_fails_the_start_naming_both_properties() {
    runner
        .withPropertyValues("cqrs.snapshots.every=50")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessage(
                        "cqrs.snapshots.every is set, but cqrs.snapshots.mode is when-suggested,"
                            + " which takes no count: set cqrs.snapshots.mode=every, or remove"
                            + " cqrs.snapshots.every"));
    runner
        .withPropertyValues("cqrs.snapshots.mode=every", "cqrs.snapshots.every=50")
        .run(context -> assertThat(context).hasNotFailed());
  }

  /** The dispatch manager's refusal named the command type, not which two beans. */
  @Test
  void two_handler_beans_for_one_command_type_fail_the_start_naming_both() {
    runner
        .withUserConfiguration(TwoWithdrawHandlers.class)
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageStartingWith(
                        "Command handler beans 'firstWithdraw' and 'secondWithdraw' both handle "
                            + Withdraw.class.getName()));
  }

  @Configuration(proxyBeanMethods = false)
  static class TwoWithdrawHandlers {
    @Bean
    CommandHandler<Withdraw> firstWithdraw() {
      return (withdraw, command) -> {};
    }

    @Bean
    CommandHandler<Withdraw> secondWithdraw() {
      return (withdraw, command) -> {};
    }
  }

  /**
   * An auditing interceptor that loads aggregates failed with Spring's bare "Requested bean is
   * currently in creation", the way out unsaid (as a configurer's had been).
   */
  @Test
  void an_interceptor_that_needs_the_repository_fails_the_start_saying_how_to_get_it() {
    runner
        .withUserConfiguration(RepositoryInterceptor.class)
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "An interceptor bean, or a bean it needs, is in a circular reference")
                    .hasStackTraceContaining("ObjectProvider<EventSourcingRepository>"));
  }

  @Configuration(proxyBeanMethods = false)
  static class RepositoryInterceptor {
    @Bean
    CommandHandlerInterceptor auditing(EventSourcingRepository accounts) {
      return handling -> handling.proceed();
    }
  }
}
