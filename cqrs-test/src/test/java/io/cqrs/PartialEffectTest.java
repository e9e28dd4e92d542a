package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.interceptor.CommandHandlerInterceptor;
import io.cqrs.interceptor.InterceptorFailedException;
import io.cqrs.interceptor.Interceptors;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A handler that commits to one stream and then fails: the manager took the effect its own attempt
 * had just committed for an earlier delivery's, counted the command handled (a retry's look-up
 * found the effect, or the retried save was refused as a duplicate) and dropped the rest of it, or
 * swallowed the handler's exception. The command now fails as partially applied, and is recorded
 * so.
 */
class PartialEffectTest {
  record CreditBoth(String first, String second) {}

  record CreditTwice(String walletId) {}

  record CreditThenFail(String walletId) {}

  record Credit(String walletId) {}

  record Refused(String walletId) {}

  record Outer(String walletId) {}

  record CreditBothThenError(String first, String second) {}

  private final ObservedStore store = new ObservedStore();
  private final TypeRegistry registry = Wallet.types();
  private final EventSourcingRepository repository =
      EventSourcingRepository.builder(store, registry)
          .snapshotPolicy(SnapshotPolicy.never())
          .build();
  private final AtomicInteger handlerRuns = new AtomicInteger();

  private CommandDispatchManager manager(boolean deduplicate, Interceptors interceptors) {
    CommandDispatchManager manager =
        CommandDispatchManager.builder(null, registry)
            .errorLog(store)
            .deduplicate(deduplicate)
            .maxBackoff(Duration.ofMillis(2))
            .interceptors(interceptors)
            .build();
    manager.registerCommandHandler(
        CreditBoth.class,
        (body, command) -> {
          handlerRuns.incrementAndGet();
          credit(body.first(), command);
          credit(body.second(), command);
        });
    manager.registerCommandHandler(
        CreditTwice.class,
        (body, command) -> {
          handlerRuns.incrementAndGet();
          Wallet wallet = repository.get(body.walletId(), Wallet::new);
          wallet.deposit(BigDecimal.ONE);
          repository.save(wallet, command);
          wallet.deposit(BigDecimal.TEN);
          repository.save(wallet, command);
        });
    manager.registerCommandHandler(
        CreditThenFail.class,
        (body, command) -> {
          handlerRuns.incrementAndGet();
          credit(body.walletId(), command);
          throw new IllegalStateException("after saving");
        });
    manager.registerCommandHandler(
        Credit.class,
        (body, command) -> {
          handlerRuns.incrementAndGet();
          credit(body.walletId(), command);
        });
    manager.registerCommandHandler(
        CreditBothThenError.class,
        (body, command) -> {
          handlerRuns.incrementAndGet();
          credit(body.first(), command);
          throw new StackOverflowError("deep");
        });
    manager.registerCommandHandler(
        Refused.class,
        (body, command) -> {
          handlerRuns.incrementAndGet();
          throw new IllegalArgumentException("refused by the domain");
        });
    return manager;
  }

  private CommandDispatchManager manager(boolean deduplicate) {
    return manager(deduplicate, Interceptors.none());
  }

  /** A handler's step: loads {@code walletId}, deposits 1 and saves. */
  private void credit(String walletId, Command command) {
    Wallet wallet = repository.get(walletId, Wallet::new);
    wallet.deposit(BigDecimal.ONE);
    repository.save(wallet, command);
  }

  private void open(String... ids) {
    for (String id : ids) {
      repository.save(Wallet.open(id, "owner of " + id), "setup");
    }
  }

  /** Another writer appends to {@code stream} just before this process's next save of it. */
  private void competitorBeforeNextSaveOf(String stream) {
    AtomicBoolean once = new AtomicBoolean(true);
    store.beforeSave =
        id -> {
          if (id.equals(stream) && once.getAndSet(false)) {
            long version = store.delegate.version(stream);
            store.delegate.save(
                stream,
                version,
                List.of(
                    new VersionedEvent(
                        "competitor-" + version,
                        "competitor",
                        null,
                        stream,
                        null,
                        null,
                        version + 1,
                        "Deposited",
                        Instant.now(),
                        new Wallet.Deposited(new BigDecimal("1000")),
                        Map.of())));
          }
        };
  }

  private List<CommandFailed> failuresOf(Command command) {
    return store.eventsCausedBy(command.correlationId(), command.messageId()).stream()
        .map(VersionedEvent::event)
        .filter(CommandFailed.class::isInstance)
        .map(CommandFailed.class::cast)
        .toList();
  }

  @ParameterizedTest(name = "deduplicate {0}")
  @ValueSource(booleans = {true, false})
  void a_conflict_on_the_second_of_two_streams_fails_the_command_as_partially_applied(
      boolean deduplicate) {
    open("w-1", "w-2");
    CommandDispatchManager manager = manager(deduplicate);
    competitorBeforeNextSaveOf("w-2");
    Command command = Command.create(new CreditBoth("w-1", "w-2"));

    assertThatThrownBy(() -> manager.dispatch(command))
        .isInstanceOfSatisfying(
            CommandPartiallyAppliedException.class,
            e -> {
              assertThat(e.committedStreams()).containsExactly("w-1");
              assertThat(e.getCause()).isInstanceOf(ConcurrencyException.class);
            });
    assertThat(handlerRuns).hasValue(1);
    assertThat(failuresOf(command))
        .singleElement()
        .satisfies(f -> assertThat(f.errorType()).endsWith("CommandPartiallyAppliedException"));
  }

  @ParameterizedTest(name = "deduplicate {0}")
  @ValueSource(booleans = {true, false})
  void a_conflict_on_the_second_save_of_one_instance_fails_the_command_as_partially_applied(
      boolean deduplicate) {
    open("w-1");
    CommandDispatchManager manager = manager(deduplicate);
    AtomicInteger saves = new AtomicInteger();
    store.beforeSave =
        id -> {
          if (saves.incrementAndGet() == 2) {
            competitorBeforeNextSaveOf("w-1");
            store.beforeSave.accept(id);
          }
        };
    Command command = Command.create(new CreditTwice("w-1"));

    assertThatThrownBy(() -> manager.dispatch(command))
        .isInstanceOf(CommandPartiallyAppliedException.class);
    assertThat(repository.get("w-1", Wallet::new).balance()).isEqualByComparingTo("1001");
  }

  @ParameterizedTest(name = "deduplicate {0}")
  @ValueSource(booleans = {true, false})
  void a_handler_that_throws_after_saving_is_not_taken_for_an_earlier_delivery(
      boolean deduplicate) {
    open("w-1");
    CommandDispatchManager manager = manager(deduplicate);
    Command command = Command.create(new CreditThenFail("w-1"));

    assertThatThrownBy(() -> manager.dispatch(command))
        .isInstanceOf(CommandPartiallyAppliedException.class)
        .hasCauseInstanceOf(IllegalStateException.class)
        .hasMessageContaining("after saving");
    assertThat(failuresOf(command)).hasSize(1);
  }

  /**
   * A handler that dispatches another command on its thread, which commits, and then fails: the
   * commit is the other command's effect, not a part of its own.
   */
  @ParameterizedTest(name = "deduplicate {0}")
  @ValueSource(booleans = {true, false})
  void a_commit_of_a_command_dispatched_inside_a_handler_is_not_that_handlers_effect(
      boolean deduplicate) {
    open("w-1");
    CommandDispatchManager manager = manager(deduplicate);
    manager.registerCommandHandler(
        Outer.class,
        (body, command) -> {
          manager.dispatch(Command.create(new Credit(body.walletId())));
          throw new IllegalStateException("outer fails");
        });
    Command outer = Command.create(new Outer("w-1"));

    assertThatThrownBy(() -> manager.dispatch(outer))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("outer fails");
    assertThat(repository.get("w-1", Wallet::new).balance()).isEqualByComparingTo("1");
    assertThat(failuresOf(outer))
        .singleElement()
        .satisfies(f -> assertThat(f.errorType()).isEqualTo("java.lang.IllegalStateException"));
  }

  /** An Error after a save left the same partial effect, which a redelivery took as handled. */
  @ParameterizedTest(name = "deduplicate {0}")
  @ValueSource(booleans = {true, false})
  void an_error_after_a_save_fails_the_command_as_partially_applied(boolean deduplicate) {
    open("w-1", "w-2");
    CommandDispatchManager manager = manager(deduplicate);
    Command command = Command.create(new CreditBothThenError("w-1", "w-2"));

    assertThatThrownBy(() -> manager.dispatch(command))
        .isInstanceOf(CommandPartiallyAppliedException.class)
        .hasCauseInstanceOf(StackOverflowError.class);
    assertThat(failuresOf(command)).hasSize(1);
  }

  /**
   * A handler that hands its own command on to another manager: the other's commits are this
   * attempt's effect too, so a failure after them is partial, not an earlier delivery's effect.
   */
  @ParameterizedTest(name = "deduplicate {0}")
  @ValueSource(booleans = {true, false})
  void commits_of_the_same_command_handed_on_to_another_manager_count_for_the_handler(
      boolean deduplicate) {
    open("w-1");
    CommandDispatchManager inner = manager(deduplicate);
    CommandDispatchManager outer =
        CommandDispatchManager.builder(null, registry)
            .errorLog(store)
            .deduplicate(deduplicate)
            .build();
    outer.registerCommandHandler(
        Credit.class,
        (body, command) -> {
          inner.dispatch(command);
          throw new IllegalStateException("after handing on");
        });
    Command command = Command.create(new Credit("w-1"));

    assertThatThrownBy(() -> outer.dispatch(command))
        .isInstanceOfSatisfying(
            CommandPartiallyAppliedException.class,
            e -> assertThat(e.committedStreams()).containsExactly("w-1"));
  }

  /**
   * An aggregate interceptor that failed after the load had run was taken for the domain's
   * rejection: recorded as the command's outcome, so that the redelivery after the repair was not
   * handled.
   */
  @Test
  void an_aggregate_interceptor_failing_after_the_load_is_a_failure_the_command_is_retried_after()
      throws Exception {
    open("w-1");
    AtomicBoolean broken = new AtomicBoolean(true);
    io.cqrs.interceptor.AggregateInterceptor audit =
        call -> {
          call.proceed();
          if (broken.get() && call.kind() == io.cqrs.interceptor.AggregateCall.Kind.LOAD) {
            throw new IllegalStateException("audit log unavailable");
          }
        };
    EventSourcingRepository audited =
        EventSourcingRepository.builder(store, registry)
            .snapshotPolicy(SnapshotPolicy.never())
            .interceptors(Interceptors.of(audit))
            .build();
    CommandDispatchManager manager =
        CommandDispatchManager.builder(null, registry).errorLog(store).deduplicate(true).build();
    manager.registerCommandHandler(
        Credit.class,
        (body, command) -> {
          Wallet wallet = audited.get(body.walletId(), Wallet::new);
          wallet.deposit(BigDecimal.ONE);
          audited.save(wallet, command);
        });
    Command command = Command.create(new Credit("w-1"));
    assertThatThrownBy(() -> manager.dispatch(command))
        .isInstanceOf(InterceptorFailedException.class);
    assertThat(failuresOf(command))
        .singleElement()
        .satisfies(f -> assertThat(f.retryable()).isTrue());

    broken.set(false);
    manager.dispatch(command);

    assertThat(repository.get("w-1", Wallet::new).balance()).isEqualByComparingTo("1");
  }

  /** An aggregate that does not exist is the domain's answer, not a failure to retry. */
  @Test
  void a_command_on_an_aggregate_that_does_not_exist_does_not_run_again_when_delivered_again()
      throws Exception {
    CommandDispatchManager manager = manager(true);
    Command command = Command.create(new Credit("no-such-wallet"));
    assertThatThrownBy(() -> manager.dispatch(command))
        .isInstanceOf(AggregateNotFoundException.class);
    assertThat(failuresOf(command))
        .singleElement()
        .satisfies(f -> assertThat(f.retryable()).isFalse());
    open("no-such-wallet");

    manager.dispatch(command);

    assertThat(handlerRuns).hasValue(1);
  }

  /**
   * A command that failed for a reason of the framework's (here an interceptor's) is dead-lettered
   * so that it can be replayed once the cause is repaired; its recorded failure made the replay a
   * duplicate, acknowledged without running the handler.
   */
  @ParameterizedTest(name = "deduplicate {0}")
  @ValueSource(booleans = {true})
  void a_command_that_failed_in_the_framework_runs_again_when_delivered_again(boolean deduplicate)
      throws Exception {
    open("w-1");
    AtomicBoolean broken = new AtomicBoolean(true);
    CommandHandlerInterceptor faulty =
        handling -> {
          if (broken.get()) {
            throw new IllegalStateException("misconfigured");
          }
          return handling.proceed();
        };
    CommandDispatchManager manager = manager(deduplicate, Interceptors.of(faulty));
    Command command = Command.create(new Credit("w-1"));
    assertThatThrownBy(() -> manager.dispatch(command))
        .isInstanceOf(InterceptorFailedException.class);
    assertThat(failuresOf(command))
        .singleElement()
        .satisfies(f -> assertThat(f.retryable()).isTrue());

    broken.set(false);
    manager.dispatch(command);

    assertThat(handlerRuns).hasValue(1);
    assertThat(repository.get("w-1", Wallet::new).balance()).isEqualByComparingTo("1");
  }

  /** A rejection by the domain stays the command's outcome: a redelivery does not run it again. */
  @ParameterizedTest(name = "deduplicate {0}")
  @ValueSource(booleans = {true})
  void a_command_the_domain_rejected_does_not_run_again_when_delivered_again(boolean deduplicate)
      throws Exception {
    CommandDispatchManager manager = manager(deduplicate);
    Command command = Command.create(new Refused("w-1"));
    assertThatThrownBy(() -> manager.dispatch(command))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(failuresOf(command))
        .singleElement()
        .satisfies(f -> assertThat(f.retryable()).isFalse());

    manager.dispatch(command);

    assertThat(handlerRuns).hasValue(1);
  }
}
