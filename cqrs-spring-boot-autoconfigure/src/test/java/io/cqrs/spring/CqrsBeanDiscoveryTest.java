package io.cqrs.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.Cqrs;
import io.cqrs.EventProcessor;
import io.cqrs.EventSourcingRepository;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.interceptor.CommandDispatchInterceptor;
import io.cqrs.interceptor.Dispatch;
import io.cqrs.spring.TestDomain.Balances;
import io.cqrs.spring.TestDomain.DepositHandler;
import io.cqrs.testing.Await;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * Which beans the starter takes part in the application, and how it finds their settings: a
 * projection bean's {@code cqrs.processors} settings under its name or its dashed form, as Spring
 * Boot writes property names; beans kept from injection by type ({@code defaultCandidate = false})
 * take no part, handlers and projections as interceptors.
 */
class CqrsBeanDiscoveryTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(CqrsAutoConfiguration.class))
          .withUserConfiguration(TestDomain.AccountAggregate.class);

  /** A read model whose bean name is in camel case. */
  @Configuration(proxyBeanMethods = false)
  static class CamelCaseReadModel {
    @Bean
    Balances balanceView() {
      return new Balances();
    }
  }

  /** The camel-case projection runs in processor {@code balanceView}, on three segments. */
  private static void balanceViewRunsThreeSegments(AssertableApplicationContext context) {
    assertThat(context).hasNotFailed();
    TrackingEventProcessor processor =
        (TrackingEventProcessor) context.getBean(Cqrs.class).processors().get(0);
    assertThat(processor.name()).isEqualTo("balanceView");
    Await.until("three segments owned", () -> processor.ownedSegments().size() == 3);
  }

  /** What a container's {@code CQRS_PROCESSORS_BALANCEVIEW_SEGMENTS=3} puts in the environment. */
  private static void threeSegmentsFromTheEnvironment(ConfigurableApplicationContext context) {
    context
        .getEnvironment()
        .getPropertySources()
        .addFirst(
            new SystemEnvironmentPropertySource(
                "systemEnvironment", Map.of("CQRS_PROCESSORS_BALANCEVIEW_SEGMENTS", "3")));
  }

  @Test
  void a_projections_settings_are_found_under_its_dashed_name() {
    runner
        .withUserConfiguration(CamelCaseReadModel.class)
        .withPropertyValues("cqrs.processors.balance-view.segments=3")
        .run(CqrsBeanDiscoveryTest::balanceViewRunsThreeSegments);
  }

  /**
   * An environment variable is how a container sets it ({@code
   * CQRS_PROCESSORS_BALANCEVIEW_SEGMENTS}), and Spring Boot binds such a variable to the map key
   * {@code balanceview}: map keys from the environment are lower case, and an underscore would
   * split the key. The start failed with "cqrs.processors names no registered processor:
   * [balanceview]", so a camel-case projection's processor could not be configured from the
   * environment at all.
   */
  @Test
  void a_projections_settings_are_found_from_an_environment_variable() {
    runner
        .withUserConfiguration(CamelCaseReadModel.class)
        .withInitializer(CqrsBeanDiscoveryTest::threeSegmentsFromTheEnvironment)
        .run(CqrsBeanDiscoveryTest::balanceViewRunsThreeSegments);
  }

  /** The environment overrides a file's setting of the same processor, as for any property. */
  @Test
  void an_environment_variable_overrides_the_files_setting_of_a_projection() {
    runner
        .withUserConfiguration(CamelCaseReadModel.class)
        .withPropertyValues("cqrs.processors.balance-view.segments=2")
        .withInitializer(CqrsBeanDiscoveryTest::threeSegmentsFromTheEnvironment)
        .run(CqrsBeanDiscoveryTest::balanceViewRunsThreeSegments);
  }

  @Test
  void a_projections_settings_under_its_name_and_its_dashed_name_fail_the_start() {
    runner
        .withUserConfiguration(CamelCaseReadModel.class)
        .withPropertyValues(
            "cqrs.processors.balanceView.segments=3", "cqrs.processors.balance-view.segments=2")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("cqrs.processors.balanceView")
                    .hasMessageContaining("cqrs.processors.balance-view")
                    .hasMessageContaining("keep one"));
  }

  @Test
  void a_dashed_key_of_no_processor_still_fails_the_start() {
    runner
        .withUserConfiguration(CamelCaseReadModel.class)
        .withPropertyValues("cqrs.processors.balance-views.segments=3")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining(
                        "cqrs.processors names no registered processor: [balance-views]")
                    .hasMessageContaining("balanceView"));
  }

  /**
   * A processor built by hand (for a setting without a property, such as the checkpoint interval)
   * that runs a projection bean under the bean's name: the starter runs that bean as a processor of
   * the same name too.
   */
  @Configuration(proxyBeanMethods = false)
  static class HandBuiltProcessorOfAProjectionBean {
    @Bean
    Balances balances() {
      return new Balances();
    }

    @Bean
    EventProcessor balancesProcessor(io.cqrs.spi.EventStreamRepository store, Balances balances) {
      return EventProcessor.tracking("balances", store)
          .projection(balances)
          .checkpointInterval(java.time.Duration.ofMillis(200))
          .build();
    }
  }

  @Test
  void a_processor_bean_named_as_a_projection_bean_fails_the_start_naming_both_and_the_way_out() {
    runner
        .withUserConfiguration(HandBuiltProcessorOfAProjectionBean.class)
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("Projection bean 'balances'")
                    .hasMessageContaining("EventProcessor bean 'balancesProcessor'")
                    .hasMessageContaining("defaultCandidate = false"));
  }

  /** The way out the message gives: the projection bean kept from injection by type. */
  @Configuration(proxyBeanMethods = false)
  static class HandBuiltProcessorOfAQualifiedProjection {
    @Bean(defaultCandidate = false)
    Balances balances() {
      return new Balances();
    }

    @Bean
    EventProcessor balancesProcessor(
        io.cqrs.spi.EventStreamRepository store,
        @org.springframework.beans.factory.annotation.Qualifier("balances") Balances balances) {
      return EventProcessor.tracking("balances", store).projection(balances).build();
    }
  }

  @Test
  void a_projection_bean_kept_from_injection_by_type_runs_only_in_the_processor_built_by_hand() {
    runner
        .withUserConfiguration(HandBuiltProcessorOfAQualifiedProjection.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(Cqrs.class).processors())
                  .extracting(EventProcessor::name)
                  .containsExactly("balances");
            });
  }

  /** A handler, a read model and an interceptor kept from injection by type. */
  @Configuration(proxyBeanMethods = false)
  static class NotDefaultCandidates {
    @Bean(defaultCandidate = false)
    DepositHandler qualifiedHandler(EventSourcingRepository accounts) {
      return new DepositHandler(accounts);
    }

    @Bean(defaultCandidate = false)
    Balances qualifiedReadModel() {
      return new Balances();
    }

    @Bean(defaultCandidate = false)
    CommandDispatchInterceptor qualifiedInterceptor() {
      return new CommandDispatchInterceptor() {
        @Override
        public CompletableFuture<Void> interceptDispatch(Dispatch<io.cqrs.Command> dispatch) {
          throw new IllegalStateException("not an interceptor of the application's");
        }
      };
    }
  }

  @Test
  void
      beans_that_are_not_default_candidates_take_no_part_handlers_and_projections_as_interceptors() {
    runner
        .withUserConfiguration(NotDefaultCandidates.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              Cqrs cqrs = context.getBean(Cqrs.class);
              assertThat(cqrs.commands().commandTypes()).doesNotContain("Deposit");
              assertThat(cqrs.processors()).extracting(EventProcessor::name).isEmpty();
              assertThat(context.getBean("qualifiedHandler")).isInstanceOf(DepositHandler.class);
            });
  }

  @Test
  void a_manual_start_tried_again_after_it_failed_says_why_the_first_failed() {
    runner
        .withPropertyValues("cqrs.auto-startup=false", "cqrs.processors.nowhere.segments=2")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              CqrsLifecycle lifecycle = context.getBean(CqrsLifecycle.class);

              assertThatThrownBy(lifecycle::start)
                  .hasMessageContaining("cqrs.processors names no registered processor: [nowhere]");
              assertThatThrownBy(lifecycle::start)
                  .hasMessageContaining("its start failed")
                  .hasMessageContaining("cqrs.processors names no registered processor: [nowhere]")
                  .hasMessageNotContaining("after a stop");
            });
  }
}
