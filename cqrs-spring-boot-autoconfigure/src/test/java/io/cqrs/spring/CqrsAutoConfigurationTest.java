package io.cqrs.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.cqrs.Command;
import io.cqrs.CommandHandler;
import io.cqrs.Cqrs;
import io.cqrs.EventProcessor;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourcingRepository;
import io.cqrs.Projection;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.interceptor.CommandDispatchInterceptor;
import io.cqrs.interceptor.Dispatch;
import io.cqrs.interceptor.EventHandlerInterceptor;
import io.cqrs.interceptor.Handling;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.CommandBus;
import io.cqrs.spi.CommandConsumer;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.Subscription;
import io.cqrs.spring.TestDomain.Account;
import io.cqrs.spring.TestDomain.Balances;
import io.cqrs.spring.TestDomain.Deposit;
import io.cqrs.spring.TestDomain.DepositHandler;
import io.cqrs.spring.TestDomain.MoneyDeposited;
import io.cqrs.spring.TestDomain.Withdraw;
import io.cqrs.testing.Await;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.CustomScopeConfigurer;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Scope;
import org.springframework.context.annotation.ScopedProxyMode;
import org.springframework.context.support.SimpleThreadScope;
import org.springframework.core.annotation.Order;

class CqrsAutoConfigurationTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(CqrsAutoConfiguration.class))
          .withUserConfiguration(Bank.class);

  /** The application of most tests: an aggregate, a command handler and a read model. */
  @Configuration(proxyBeanMethods = false)
  @Import(Accounts.class)
  static class Bank {
    @Bean
    Balances balances() {
      return new Balances();
    }
  }

  /** The aggregate and its command handler. */
  @Configuration(proxyBeanMethods = false)
  @Import(TestDomain.AccountAggregate.class)
  static class Accounts {
    @Bean
    DepositHandler depositHandler(EventSourcingRepository accounts) {
      return new DepositHandler(accounts);
    }
  }

  @Test
  void with_no_properties_a_command_sent_reaches_the_read_model_in_memory() {
    runner.run(
        context -> {
          assertThat(context).hasNotFailed();
          assertThat(context.getBean(EventStreamRepository.class))
              .isInstanceOf(InMemoryEventStreamRepository.class);
          assertThat(context.getBean(CommandBus.class)).isInstanceOf(InMemoryCommandBus.class);
          assertThat(context.getBean(EventBus.class)).isInstanceOf(InMemoryEventBus.class);
          Cqrs cqrs = context.getBean(Cqrs.class);
          assertThat(context.getBean(EventSourcingRepository.class)).isSameAs(cqrs.repository());
          assertThat(cqrs.processors())
              .extracting(EventProcessor::name)
              .containsExactly("balances");

          cqrs.send(new Deposit("acc-1", new BigDecimal("50.00")));

          Balances balances = context.getBean(Balances.class);
          Await.until(
              "the deposit in the read model",
              () -> new BigDecimal("50.00").equals(balances.balances.get("acc-1")));
          assertThat(cqrs.repository().get("acc-1", Account::new).balance())
              .isEqualByComparingTo("50.00");
        });
  }

  @Test
  void a_handler_declared_as_a_lambda_bean_is_registered_for_the_command_type_of_its_bean_method() {
    runner
        .withUserConfiguration(LambdaHandler.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              Cqrs cqrs = context.getBean(Cqrs.class);
              assertThat(cqrs.commands().commandTypes()).contains("Deposit", "Withdraw");
              cqrs.send(new Withdraw("acc-2", BigDecimal.ONE));
              LambdaHandler handler = context.getBean(LambdaHandler.class);
              Await.until("the withdrawal handled", () -> handler.handled.size() == 1);
              assertThat(handler.handled.get(0).accountId()).isEqualTo("acc-2");
            });
  }

  @Configuration(proxyBeanMethods = false)
  static class LambdaHandler {
    final List<Withdraw> handled = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Bean
    CommandHandler<Withdraw> withdrawHandler() {
      return (withdraw, command) -> handled.add(withdraw);
    }
  }

  /**
   * A lifecycle bean in the phase of the web server's graceful shutdown stands for a request still
   * being answered: it finds cqrs running when it starts, and a command it sends while it stops is
   * handled, not accepted into a queue nobody reads any more.
   */
  @Test
  void cqrs_runs_before_the_web_server_starts_and_until_its_graceful_shutdown_is_over() {
    AtomicReference<List<String>> seen = new AtomicReference<>();
    runner
        .withUserConfiguration(LambdaHandler.class, Draining.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              seen.set(context.getBean(Draining.class).seen);
              assertThat(seen.get()).containsExactly("started with cqrs running");
            });
    assertThat(seen.get())
        .containsExactly("started with cqrs running", "command handled while stopping");
  }

  @Configuration(proxyBeanMethods = false)
  static class Draining {
    final List<String> seen = new CopyOnWriteArrayList<>();

    @Bean
    SmartLifecycle drainingServer(
        ObjectProvider<CqrsLifecycle> lifecycle, ObjectProvider<Cqrs> cqrs, LambdaHandler handler) {
      return new SmartLifecycle() {
        private volatile boolean running;

        @Override
        public void start() {
          running = true;
          boolean cqrsRunning = lifecycle.getObject().isRunning();
          seen.add("started with cqrs " + (cqrsRunning ? "running" : "not running"));
        }

        @Override
        public void stop() {
          running = false;
          try {
            cqrs.getObject().send(new Withdraw("late", BigDecimal.ONE));
            Await.until(
                "the command sent while stopping handled",
                () -> handler.handled.stream().anyMatch(w -> w.accountId().equals("late")));
            seen.add("command handled while stopping");
          } catch (RuntimeException | AssertionError e) {
            seen.add("command lost while stopping: " + e);
          }
        }

        @Override
        public boolean isRunning() {
          return running;
        }

        /** Spring Boot's phase for the graceful shutdown of its web server. */
        @Override
        public int getPhase() {
          return SmartLifecycle.DEFAULT_PHASE - 1024;
        }
      };
    }
  }

  @Test
  void a_handler_bean_that_does_not_name_its_command_type_fails_the_start_naming_the_bean() {
    runner
        .withUserConfiguration(RawHandler.class)
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("'rawHandler' does not declare its command type"));
  }

  @Configuration(proxyBeanMethods = false)
  static class RawHandler {
    @Bean
    @SuppressWarnings("rawtypes")
    CommandHandler rawHandler() {
      return (body, command) -> {};
    }
  }

  @Test
  void settings_from_properties_reach_the_cqrs() {
    runner
        .withPropertyValues(
            "cqrs.service=ledger",
            "cqrs.relay.enabled=false",
            "cqrs.cache.maximum-size=10",
            "cqrs.processors.balances.segments=3")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              Cqrs cqrs = context.getBean(Cqrs.class);
              assertThat(cqrs.relay()).isEmpty();
              assertThat(cqrs.repository().cache()).isPresent();
              TrackingEventProcessor balances = (TrackingEventProcessor) cqrs.processors().get(0);
              Await.until("three segments owned", () -> balances.ownedSegments().size() == 3);
            });
  }

  /**
   * A projection's segment count changed after its first start: the processor's refusal named no
   * property, though the count came from one.
   */
  @Test
  void a_segment_count_other_than_the_stores_fails_the_start_naming_the_property() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    store.segmentCount("balances", 1); // the first start's count
    runner
        .withBean(EventStreamRepository.class, () -> store)
        .withPropertyValues("cqrs.processors.balances.segments=4")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "cqrs.processors.balances.segments: Processor 'balances' has 1 segments in"
                            + " the store, not 4"));
    // A process manager built in code whose count came from the property: named the same way.
    InMemoryEventStreamRepository managed = new InMemoryEventStreamRepository();
    managed.segmentCount("fulfilment", 2);
    runner
        .withBean(EventStreamRepository.class, () -> managed)
        .withUserConfiguration(ProcessManager.class)
        .withPropertyValues("cqrs.processors.fulfilment.segments=5")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "cqrs.processors.fulfilment.segments: Processor 'fulfilment' has 2"
                            + " segments in the store, not 5"));
    // Its count from its code: the processor's own refusal, naming no property.
    InMemoryEventStreamRepository coded = new InMemoryEventStreamRepository();
    coded.segmentCount("fulfilment", 3);
    runner
        .withBean(EventStreamRepository.class, () -> coded)
        .withUserConfiguration(ProcessManager.class)
        .withPropertyValues("cqrs.processors.fulfilment.batch-size=10")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "SegmentCountMismatchException: Processor 'fulfilment' has 3 segments in"
                            + " the store, not 2")
                    .satisfies(
                        failure ->
                            assertThat(org.assertj.core.util.Throwables.getStackTrace(failure))
                                .doesNotContain("cqrs.processors.fulfilment.segments")));
  }

  /** A read model whose every write fails. */
  @Configuration(proxyBeanMethods = false)
  static class FailingReadModel {
    @Bean
    io.cqrs.Projection failing() {
      return new io.cqrs.Projection() {
        @Override
        public long appliedVersion(String sourceId) {
          return 0;
        }

        @Override
        public void apply(io.cqrs.VersionedEvent event) {
          throw new IllegalStateException("read model bug");
        }
      };
    }
  }

  @Test
  void a_processors_failure_settings_reach_its_segments() {
    runner
        .withUserConfiguration(FailingReadModel.class)
        .withPropertyValues(
            "cqrs.processors.failing.max-attempts=1",
            "cqrs.processors.failing.stop-on-failure=true",
            "cqrs.processors.failing.claim-ttl=20s")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              Cqrs cqrs = context.getBean(Cqrs.class);
              cqrs.send(new Deposit("acc-1", BigDecimal.ONE));
              TrackingEventProcessor failing =
                  (TrackingEventProcessor)
                      cqrs.processors().stream()
                          .filter(processor -> processor.name().equals("failing"))
                          .findFirst()
                          .orElseThrow();
              Await.until("the segment stopped at the event", () -> failing.failure() != null);
              assertThat(failing.failure()).hasMessageContaining("read model bug");
              assertThat(failing.deadLettered()).isZero();
            });
    runner
        .withUserConfiguration(FailingReadModel.class)
        .withPropertyValues("cqrs.processors.failing.unreadable-retry=0s")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "cqrs.processors.failing.unreadable-retry: unreadableRetry must be positive, was PT0S"));
    runner
        .withUserConfiguration(FailingReadModel.class)
        .withPropertyValues("cqrs.processors.failing.max-attempts=0")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "cqrs.processors.failing.max-attempts: maxAttempts must be >= 1, was 0"));
    runner
        .withUserConfiguration(FailingReadModel.class)
        .withPropertyValues("cqrs.processors.failing.claim-ttl=1ms")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "cqrs.processors.failing.claim-ttl: claimTtl must be at least 30 ms"));
  }

  /** An event class in which Jackson finds no property: it could be neither stored nor sent. */
  static final class Opaque {
    private final String name;

    Opaque(String name) {
      this.name = name;
    }

    String name() {
      return name;
    }
  }

  @Test
  void the_in_memory_store_refuses_an_event_that_could_not_travel() {
    runner.run(
        context -> {
          context.getBean(TypeRegistry.class).registerEvents(Opaque.class);
          EventStreamRepository store = context.getBean(EventStreamRepository.class);
          io.cqrs.VersionedEvent opaque =
              io.cqrs.VersionedEvent.builder("o-1", 1, new Opaque("x")).build();
          org.assertj.core.api.Assertions.assertThatThrownBy(
                  () -> store.save("o-1", 0, List.of(opaque)))
              .isInstanceOf(io.cqrs.SerializationException.class);
          assertThat(store.version("o-1")).isZero();
        });
  }

  @Test
  void by_default_the_relay_runs_and_no_aggregate_is_cached() {
    runner.run(
        context -> {
          Cqrs cqrs = context.getBean(Cqrs.class);
          assertThat(cqrs.relay()).isPresent();
          assertThat(cqrs.relay().get().name()).isEqualTo("app-relay");
          assertThat(cqrs.repository().cache()).isEmpty();
        });
  }

  @Test
  void without_cqrs_service_the_service_is_named_after_the_application() {
    runner
        .withPropertyValues("spring.application.name=ledger")
        .run(
            context -> {
              assertThat(context.getBean(CqrsProperties.class).getService()).isEqualTo("ledger");
              assertThat(context.getBean(Cqrs.class).relay().get().name())
                  .isEqualTo("ledger-relay");
            });
    runner
        .withPropertyValues("spring.application.name=ledger", "cqrs.service=payments")
        .run(
            context ->
                assertThat(context.getBean(Cqrs.class).relay().get().name())
                    .isEqualTo("payments-relay"));
  }

  /**
   * {@code spring.application.name=${APP_NAME:}} with the variable unset is a key set to nothing,
   * which is not a setting: the service falls back to {@code app}, as with no name at all. The
   * start failed with "service must not be blank", which names neither property.
   */
  @Test
  void an_application_name_set_to_nothing_falls_back_to_app() {
    runner
        .withPropertyValues("spring.application.name=")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(CqrsProperties.class).getService()).isEqualTo("app");
              assertThat(context.getBean(Cqrs.class).relay().get().name()).isEqualTo("app-relay");
            });
    runner
        .withPropertyValues("spring.application.name= ", "cqrs.service=")
        .run(
            context ->
                assertThat(context.getBean(CqrsProperties.class).getService()).isEqualTo("app"));
  }

  @Test
  void a_processor_setting_that_names_no_processor_fails_the_start() {
    runner
        .withPropertyValues("cqrs.processors.balance.segments=2")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining(
                        "cqrs.processors names no registered processor: [balance]"));
  }

  /** A processor the application builds itself. */
  @Configuration(proxyBeanMethods = false)
  static class OwnProcessor {
    @Bean
    EventProcessor audit(EventStreamRepository store) {
      return EventProcessor.tracking("audit", store).handler(event -> {}).build();
    }
  }

  @Test
  void processor_settings_for_a_processor_the_application_built_fail_the_start() {
    runner
        .withUserConfiguration(OwnProcessor.class)
        .withPropertyValues("cqrs.processors.audit.segments=2")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageStartingWith(
                        "cqrs.processors.audit.* cannot apply: [audit] is built by the"
                            + " application"));
    runner
        .withUserConfiguration(OwnProcessor.class)
        .run(context -> assertThat(context).hasNotFailed());
  }

  /** A process manager built in code, as docs/spring-boot.md shows, with its builder's settings. */
  @Configuration(proxyBeanMethods = false)
  static class ProcessManager {
    @Bean
    CqrsConfigurer fulfilment() {
      return new CqrsConfigurer() {
        @Override
        public void register(Cqrs cqrs) {
          cqrs.processor(
              "fulfilment",
              p ->
                  p.handler(
                          event -> {
                            throw new IllegalStateException("the step failed");
                          })
                      .segments(2));
        }
      };
    }
  }

  private static TrackingEventProcessor fulfilment(Cqrs cqrs) {
    return (TrackingEventProcessor)
        cqrs.processors().stream().filter(p -> p.name().equals("fulfilment")).findFirst().get();
  }

  /**
   * A projection in a map over a store that keeps checkpoints resumed after the stored checkpoint
   * at a restart, the map empty (an adopter's read model, lost): with {@code local=true} its
   * processor reads the whole log at every start and keeps nothing in the store.
   */
  @Test
  void a_local_projection_rebuilds_its_memory_read_model_at_every_start() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    ApplicationContextRunner onStore =
        runner
            .withUserConfiguration(Accounts.class)
            .withBean(EventStreamRepository.class, () -> store)
            .withPropertyValues("cqrs.processors.balances.local=true");
    onStore.run(
        context -> {
          assertThat(context).hasNotFailed();
          Cqrs cqrs = context.getBean(Cqrs.class);
          assertThat(((TrackingEventProcessor) cqrs.processors().get(0)).isLocal()).isTrue();
          cqrs.send(new Deposit("acc-local", BigDecimal.TEN));
          Balances balances = context.getBean(Balances.class);
          Await.until("applied", () -> balances.appliedVersion("acc-local") == 1);
        });
    onStore.run(
        context -> {
          Balances balances = context.getBean(Balances.class);
          Await.until(
              "the deposit before the restart applied again",
              () -> balances.appliedVersion("acc-local") == 1);
          assertThat(balances.balances).containsEntry("acc-local", BigDecimal.TEN);
        });
    assertThat(store.segments("balances")).as("no checkpoint in the store").isEmpty();
  }

  /**
   * A processor built in code chose where its checkpoints live; a property saying otherwise fails.
   */
  @Test
  void a_local_property_against_the_code_of_a_processor_built_by_name_fails_the_start() {
    runner
        .withUserConfiguration(ProcessManager.class)
        .withPropertyValues("cqrs.processors.fulfilment.local=true")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "cqrs.processors.fulfilment.local=true cannot apply: processor"
                            + " 'fulfilment' is built in CqrsConfigurer.register with"
                            + " Cqrs.processor"));
    runner
        .withUserConfiguration(ProcessManager.class)
        .withPropertyValues("cqrs.processors.fulfilment.local=false")
        .run(context -> assertThat(context).hasNotFailed());
  }

  /**
   * A process manager built with Cqrs.processor(name, settings) took no cqrs.processors.<name>.*
   * properties (the start was refused); an operator tunes it as a projection's processor, the
   * properties over the code's settings, and a setting the properties leave out stays the code's.
   */
  @Test
  void a_processor_built_in_code_by_name_takes_the_properties_set_for_it() {
    runner
        .withUserConfiguration(ProcessManager.class)
        .withPropertyValues(
            "cqrs.processors.fulfilment.segments=3",
            "cqrs.processors.fulfilment.stop-on-failure=true",
            "cqrs.processors.fulfilment.max-attempts=1")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              Cqrs cqrs = context.getBean(Cqrs.class);
              TrackingEventProcessor fulfilment = fulfilment(cqrs);
              Await.until("three segments claimed", () -> fulfilment.ownedSegments().size() == 3);
              cqrs.send(new Deposit("acc-pm", BigDecimal.ONE));
              Await.until("stopped at the failing event", () -> fulfilment.failure() != null);
              assertThat(fulfilment.deadLettered()).isZero();
            });
    runner
        .withUserConfiguration(ProcessManager.class)
        .withPropertyValues("cqrs.processors.fulfilment.batch-size=64")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              TrackingEventProcessor fulfilment = fulfilment(context.getBean(Cqrs.class));
              Await.until(
                  "the code's two segments claimed", () -> fulfilment.ownedSegments().size() == 2);
              assertThat(fulfilment.ownedSegments()).containsExactly(0, 1);
            });
    runner
        .withUserConfiguration(ProcessManager.class)
        .withPropertyValues("cqrs.processors.fulfilment.batch-size=0")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "IllegalArgumentException: cqrs.processors.fulfilment.batch-size:"
                            + " batchSize must be"));
  }

  @Test
  void auto_startup_off_leaves_the_cqrs_unstarted() {
    runner
        .withPropertyValues("cqrs.auto-startup=false")
        .run(
            context -> {
              assertThat(context.getBean(CqrsLifecycle.class).isRunning()).isFalse();
              assertThat(context.getBean(Cqrs.class).processors()).isEmpty();
            });
  }

  /**
   * With auto-startup off, a command sent before the start was refused as if no service handled it
   * ("no service subscribed to it"), though the context has its handler: the starter registers the
   * handler beans as it starts. The refusal says that this instance is not started.
   */
  @Test
  void a_command_sent_before_a_deferred_start_is_refused_saying_cqrs_is_not_started() {
    runner
        .withPropertyValues("cqrs.auto-startup=false", "cqrs.service=ledger")
        .run(
            context -> {
              Cqrs cqrs = context.getBean(Cqrs.class);
              org.assertj.core.api.Assertions.assertThatThrownBy(
                      () -> cqrs.send(new Deposit("acc-e", BigDecimal.ONE)))
                  .isInstanceOf(io.cqrs.UnroutableMessageException.class)
                  .hasMessageContaining("cqrs 'ledger' is not started");

              context.getBean(CqrsLifecycle.class).start();
              cqrs.send(new Deposit("acc-e", BigDecimal.ONE));
              Balances balances = context.getBean(Balances.class);
              Await.until(
                  "the deposit handled after the start",
                  () -> BigDecimal.ONE.equals(balances.balances.get("acc-e")));
            });
  }

  /**
   * The TestContext Framework pauses a cached context while other test classes run and restarts it
   * later: cqrs stays running through both, where the pause had closed it and the restart failed.
   */
  @Test
  void a_paused_and_restarted_context_keeps_cqrs_running() {
    runner.run(
        context -> {
          CqrsLifecycle lifecycle = context.getBean(CqrsLifecycle.class);
          Cqrs cqrs = context.getBean(Cqrs.class);
          Balances balances = context.getBean(Balances.class);

          context.pause();
          assertThat(lifecycle.isRunning()).isTrue();
          cqrs.send(new Deposit("acc-p", new BigDecimal("1.00")));
          Await.until(
              "the deposit handled while paused",
              () -> new BigDecimal("1.00").equals(balances.balances.get("acc-p")));

          context.restart();
          assertThat(context).hasNotFailed();
          cqrs.send(new Deposit("acc-p", new BigDecimal("2.00")));
          Await.until(
              "the deposit handled after the restart",
              () -> new BigDecimal("3.00").equals(balances.balances.get("acc-p")));
        });
  }

  @Test
  void closing_the_context_closes_the_cqrs_before_the_buses() {
    List<String> closed = new CopyOnWriteArrayList<>();
    AtomicReference<CqrsLifecycle> lifecycle = new AtomicReference<>();
    runner
        .withBean(
            "recordingCommandBus",
            CommandBus.class,
            () -> new RecordingCommandBus(closed, lifecycle),
            definition -> definition.setDestroyMethodName("close"))
        .run(
            context -> {
              lifecycle.set(context.getBean(CqrsLifecycle.class));
              assertThat(lifecycle.get().isRunning()).isTrue();
              TrackingEventProcessor balances =
                  (TrackingEventProcessor) context.getBean(Cqrs.class).processors().get(0);
              Await.until(
                  "the processor claims its segment", () -> !balances.ownedSegments().isEmpty());

              context.close();

              assertThat(lifecycle.get().isRunning()).isFalse();
              assertThat(closed).containsExactly("command bus closed after the cqrs stopped");
              assertThat(balances.ownedSegments()).isEmpty();
            });
  }

  @Test
  void a_configurer_that_needs_the_repository_fails_the_start_saying_how_to_get_it() {
    runner
        .withUserConfiguration(RepositoryConfigurer.class)
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "A CqrsConfigurer bean, or a bean it needs, is in a circular reference")
                    .hasStackTraceContaining("ObjectProvider<EventSourcingRepository>"));
  }

  @Configuration(proxyBeanMethods = false)
  static class RepositoryConfigurer {
    @Bean
    CqrsConfigurer auditing(EventSourcingRepository accounts) {
      return new CqrsConfigurer() {};
    }
  }

  /** The way out the failure above names works: the repository is there in register(). */
  @Test
  void a_configurer_gets_the_repository_through_an_object_provider_in_register() {
    runner
        .withUserConfiguration(ProvidedRepositoryConfigurer.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              ProvidedRepositoryConfigurer configurer =
                  context.getBean(ProvidedRepositoryConfigurer.class);
              assertThat(configurer.registered.get())
                  .isSameAs(context.getBean(Cqrs.class).repository());
            });
  }

  @Configuration(proxyBeanMethods = false)
  static class ProvidedRepositoryConfigurer {
    final AtomicReference<EventSourcingRepository> registered = new AtomicReference<>();

    @Bean
    CqrsConfigurer auditing(ObjectProvider<EventSourcingRepository> accounts) {
      return new CqrsConfigurer() {
        @Override
        public void register(Cqrs cqrs) {
          registered.set(accounts.getObject());
        }
      };
    }
  }

  /**
   * A handler that does not return must not hold the application's shutdown for ever: the context
   * closes once cqrs.shutdown-timeout has passed, with the processor told to stop meanwhile.
   */
  @Test
  void a_handler_that_does_not_return_holds_the_context_close_only_for_the_shutdown_timeout() {
    runner
        .withUserConfiguration(StuckHandler.class)
        .withPropertyValues("cqrs.shutdown-timeout=200ms")
        .run(
            context -> {
              StuckHandler stuck = context.getBean(StuckHandler.class);
              TrackingEventProcessor balances =
                  (TrackingEventProcessor) context.getBean(Cqrs.class).processors().get(0);
              Await.until(
                  "the processor claims its segment", () -> !balances.ownedSegments().isEmpty());
              context.getBean(Cqrs.class).send(new Withdraw("acc-3", BigDecimal.ONE));
              assertThat(stuck.handling.await(30, TimeUnit.SECONDS)).isTrue();

              assertTimeoutPreemptively(Duration.ofSeconds(30), context::close);

              assertThat(stuck.release.getCount()).isEqualTo(1); // it still runs
              Await.until("the processor to stop", () -> balances.ownedSegments().isEmpty());
              stuck.release.countDown();
            });
  }

  @Configuration(proxyBeanMethods = false)
  static class StuckHandler {
    final CountDownLatch handling = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @Bean
    CommandHandler<Withdraw> stuckWithdrawHandler() {
      return (withdraw, command) -> {
        handling.countDown();
        release.await();
      };
    }
  }

  /** A command bus that records, when closed, whether the Cqrs was still running. */
  private static final class RecordingCommandBus implements CommandBus {
    private final InMemoryCommandBus bus = new InMemoryCommandBus();
    private final List<String> closed;
    private final AtomicReference<CqrsLifecycle> lifecycle;

    RecordingCommandBus(List<String> closed, AtomicReference<CqrsLifecycle> lifecycle) {
      this.closed = closed;
      this.lifecycle = lifecycle;
    }

    @Override
    public void publish(List<Command> commands) {
      bus.publish(commands);
    }

    @Override
    public Subscription subscribe(
        String service, Set<String> commandTypes, int listeners, CommandConsumer consumer) {
      return bus.subscribe(service, commandTypes, listeners, consumer);
    }

    @Override
    public void close() {
      closed.add(
          lifecycle.get().isRunning()
              ? "command bus closed while the cqrs ran"
              : "command bus closed after the cqrs stopped");
      bus.close();
    }
  }

  @Test
  void beans_of_the_application_replace_the_auto_configured_ones() {
    TypeRegistry types = new TypeRegistry();
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    InMemoryCommandBus commands = new InMemoryCommandBus();
    InMemoryEventBus events = new InMemoryEventBus();
    EventSerializer serializer = new EventSerializer(types);
    runner
        .withBean(TypeRegistry.class, () -> types)
        .withBean(EventStreamRepository.class, () -> store)
        .withBean(CommandBus.class, () -> commands)
        .withBean(EventBus.class, () -> events)
        .withBean(EventSerializer.class, () -> serializer)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).hasSingleBean(EventStreamRepository.class);
              assertThat(context).hasSingleBean(CommandBus.class);
              assertThat(context).hasSingleBean(EventBus.class);
              assertThat(context.getBean(TypeRegistry.class)).isSameAs(types);
              assertThat(context.getBean(EventSerializer.class)).isSameAs(serializer);
              Cqrs cqrs = context.getBean(Cqrs.class);
              assertThat(cqrs.types()).isSameAs(types);
              assertThat(cqrs.store()).isSameAs(store);
              assertThat(types.isRegistered(Account.class)).isTrue();
              cqrs.send(new Deposit("acc-3", BigDecimal.TEN));
              Await.until("the deposit stored", () -> store.version("acc-3") == 1);
            });
  }

  /**
   * The library's interceptors are final classes without an order: {@code @Order} on their
   * {@code @Bean} methods is the only way to order them, and was ignored (they ran in declaration
   * order, and by interceptor type first).
   */
  @Test
  void interceptors_run_in_the_order_of_their_bean_methods_whatever_their_types() {
    runner
        .withUserConfiguration(OrderedInterceptors.class)
        .run(
            context ->
                assertThat(context.getBean(Cqrs.class).interceptors().all())
                    .containsExactly(context.getBean("outer"), context.getBean("inner")));
  }

  @Configuration(proxyBeanMethods = false)
  static class OrderedInterceptors {
    @Bean
    @Order(2)
    CommandDispatchInterceptor inner() {
      return Dispatch::proceed;
    }

    @Bean
    @Order(1)
    EventHandlerInterceptor outer() {
      return Handling::proceed;
    }
  }

  /**
   * A scoped proxy hides its target under a second bean name ({@code scopedTarget.rows}) of the
   * same type, which ran as a second processor.
   */
  @Test
  void a_scoped_proxy_projection_runs_as_one_processor_named_after_the_bean() {
    runner
        .withUserConfiguration(ScopedProjection.class)
        .run(
            context ->
                assertThat(context.getBean(Cqrs.class).processors())
                    .extracting(EventProcessor::name)
                    .containsExactlyInAnyOrder("balances", "rows"));
  }

  @Configuration(proxyBeanMethods = false)
  static class ScopedProjection {
    @Bean
    static CustomScopeConfigurer threadScope() {
      CustomScopeConfigurer configurer = new CustomScopeConfigurer();
      configurer.addScope("thread", new SimpleThreadScope());
      return configurer;
    }

    @Bean
    @Scope(scopeName = "thread", proxyMode = ScopedProxyMode.TARGET_CLASS)
    Rows rows() {
      return new Rows();
    }
  }

  /** A projection Spring can proxy: not final. */
  static class Rows implements Projection {
    @Override
    public long appliedVersion(String streamId) {
      return 0;
    }

    @Override
    public void apply(VersionedEvent event) {}
  }

  @Test
  void an_application_cqrs_replaces_the_auto_configured_one_and_still_gets_the_handlers() {
    Cqrs own = Cqrs.builder().service("own").aggregate(Account.class, MoneyDeposited.class).build();
    runner
        .withBean("ownCqrs", Cqrs.class, () -> own)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).hasSingleBean(Cqrs.class);
              assertThat(context.getBean(EventSourcingRepository.class)).isSameAs(own.repository());
              assertThat(own.commands().commandTypes()).contains("Deposit");
            });
  }

  @Test
  void the_serializer_is_built_on_the_applications_jackson_2_object_mapper() {
    runner
        .withBean(
            ObjectMapper.class,
            () -> new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE))
        .run(
            context -> {
              EventSerializer serializer = context.getBean(EventSerializer.class);
              String json =
                  new String(
                      serializer.serialize(Command.create(new Deposit("acc-4", BigDecimal.ONE))),
                      StandardCharsets.UTF_8);
              assertThat(json).contains("\"account_id\":\"acc-4\"");
            });
  }

  @Test
  void without_an_object_mapper_the_serializer_uses_cqrss_own_settings() {
    runner.run(
        context -> {
          String json =
              new String(
                  context
                      .getBean(EventSerializer.class)
                      .serialize(Command.create(new Deposit("acc-5", new BigDecimal("1.50")))),
                  StandardCharsets.UTF_8);
          assertThat(json).contains("\"accountId\":\"acc-5\"").contains("1.50");
        });
  }

  @Test
  void snapshots_every_n_events_are_written_when_the_properties_ask() {
    runner
        .withPropertyValues("cqrs.snapshots.mode=every", "cqrs.snapshots.every=2")
        .run(
            context -> {
              Cqrs cqrs = context.getBean(Cqrs.class);
              cqrs.commands().dispatch(Command.create(new Deposit("acc-6", BigDecimal.ONE)));
              assertThat(cqrs.store().loadSnapshot("acc-6")).isEmpty();
              cqrs.commands().dispatch(Command.create(new Deposit("acc-6", BigDecimal.ONE)));
              assertThat(cqrs.store().loadSnapshot("acc-6")).isPresent();
            });
  }

  @Test
  void with_snapshots_never_no_snapshot_is_written() {
    runner
        .withPropertyValues("cqrs.snapshots.mode=never")
        .run(
            context -> {
              Cqrs cqrs = context.getBean(Cqrs.class);
              for (int i = 0; i < 3; i++) {
                cqrs.commands().dispatch(Command.create(new Deposit("acc-7", BigDecimal.ONE)));
              }
              assertThat(cqrs.store().version("acc-7")).isEqualTo(3);
              assertThat(cqrs.store().loadSnapshot("acc-7")).isEmpty();
            });
  }

  /**
   * The application's own store: in memory, counting the loads that ask what came after a version
   * (beside {@link Accounts}, with no read model, which would need a processor store).
   */
  @Configuration(proxyBeanMethods = false)
  static class CountingStore {
    static final java.util.concurrent.atomic.AtomicInteger LOADS_AFTER =
        new java.util.concurrent.atomic.AtomicInteger();

    @Bean
    EventStreamRepository store() {
      return new io.cqrs.testing.ForwardingEventStreamRepository(
          new InMemoryEventStreamRepository()) {
        @Override
        public io.cqrs.spi.EventStream loadStreamAfter(String streamId, long readVersion) {
          LOADS_AFTER.incrementAndGet();
          return super.loadStreamAfter(streamId, readVersion);
        }
      };
    }
  }

  @Test
  void with_cache_defer_checks_a_command_on_a_cached_aggregate_asks_the_store_nothing_first() {
    for (boolean defer : new boolean[] {false, true}) {
      CountingStore.LOADS_AFTER.set(0);
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(CqrsAutoConfiguration.class))
          .withUserConfiguration(Accounts.class, CountingStore.class)
          .withPropertyValues("cqrs.cache.maximum-size=10", "cqrs.cache.defer-checks=" + defer)
          .run(
              context -> {
                assertThat(context).hasNotFailed();
                Cqrs cqrs = context.getBean(Cqrs.class);
                for (int i = 0; i < 3; i++) {
                  cqrs.commands().dispatch(Command.create(new Deposit("acc-8", BigDecimal.ONE)));
                }
                assertThat(cqrs.store().version("acc-8")).isEqualTo(3);
              });
      // The second and third deposits load from the cache: checked by a load each, or by their
      // saves' commits.
      assertThat(CountingStore.LOADS_AFTER.get())
          .as("defer-checks=" + defer)
          .isEqualTo(defer ? 0 : 2);
    }
  }
}
