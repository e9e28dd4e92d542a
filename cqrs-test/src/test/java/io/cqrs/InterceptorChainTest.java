package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.cqrs.interceptor.AggregateCall;
import io.cqrs.interceptor.AggregateInterceptor;
import io.cqrs.interceptor.CommandDispatchInterceptor;
import io.cqrs.interceptor.CommandHandlerInterceptor;
import io.cqrs.interceptor.Dispatch;
import io.cqrs.interceptor.EventHandlerInterceptor;
import io.cqrs.interceptor.EventPublishInterceptor;
import io.cqrs.interceptor.Handling;
import io.cqrs.interceptor.InterceptorFailedException;
import io.cqrs.interceptor.Interceptors;
import io.cqrs.interceptor.Outcome;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.CommandBus;
import io.cqrs.spi.CommandConsumer;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.Subscription;
import io.cqrs.testing.Await;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class InterceptorChainTest {
  record Deposit(String walletId, BigDecimal amount) {}

  record Withdraw(String walletId, BigDecimal amount) {}

  /** Records what each link of the chain saw, in order. */
  static final class Recorder
      implements CommandDispatchInterceptor,
          CommandHandlerInterceptor,
          EventPublishInterceptor,
          EventHandlerInterceptor,
          AggregateInterceptor {
    final String name;
    final List<String> log;

    Recorder(String name, List<String> log) {
      this.name = name;
      this.log = log;
    }

    @Override
    public CompletableFuture<Void> interceptDispatch(Dispatch<Command> dispatch) {
      log.add(name + " dispatch " + dispatch.messages().size());
      return dispatch.proceed(
          dispatch.messages().stream().map(c -> c.withMetadata("seen-by-" + name, "y")).toList());
    }

    @Override
    public Outcome interceptCommand(Handling<Command> handling) throws Exception {
      log.add(name + " before " + handling.message().commandType());
      try {
        Outcome outcome = handling.proceed(handling.message().withMetadata("handled-by", name));
        log.add(name + " after " + outcome.tag() + " attempts=" + handling.attempts());
        return outcome;
      } catch (Exception e) {
        log.add(name + " threw " + Outcome.of(e).tag());
        throw e;
      }
    }

    @Override
    public CompletableFuture<Void> interceptPublish(Dispatch<VersionedEvent> dispatch) {
      log.add(name + " publish " + dispatch.messages().size());
      return dispatch.proceed();
    }

    @Override
    public Outcome interceptEvent(Handling<VersionedEvent> handling) throws Exception {
      log.add(name + " event " + handling.component() + " " + handling.message().eventType());
      return handling.proceed();
    }

    @Override
    public void interceptAggregate(AggregateCall call) {
      call.proceed();
      log.add(
          name
              + " "
              + call.kind()
              + " "
              + call.aggregateId()
              + " events="
              + call.events().size()
              + " cached="
              + call.fromCache());
    }
  }

  private static Cqrs wallets(Object... interceptors) {
    Cqrs cqrs =
        Cqrs.builder()
            .types(Wallet.types())
            .aggregateCache(AggregateCache.maximumSize(100))
            .interceptors(interceptors)
            .build();
    EventSourcingRepository repository = cqrs.repository();
    cqrs.onCommand(
        Deposit.class,
        (deposit, command) -> {
          Wallet wallet =
              repository
                  .find(deposit.walletId(), Wallet::new)
                  .orElseGet(() -> Wallet.open(deposit.walletId(), "owner"));
          wallet.deposit(deposit.amount());
          repository.save(wallet, command);
        });
    cqrs.onCommand(
        Withdraw.class,
        (withdraw, command) -> {
          Wallet wallet = repository.get(withdraw.walletId(), Wallet::new);
          wallet.withdraw(withdraw.amount());
          repository.save(wallet, command);
        });
    return cqrs;
  }

  @Test
  void the_first_interceptor_is_the_outermost_link_of_every_chain() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    try (Cqrs cqrs = wallets(new Recorder("outer", log), new Recorder("inner", log))) {
      cqrs.commands().dispatch(Command.create(new Deposit("w-1", BigDecimal.TEN)));

      assertThat(log)
          .containsExactly(
              "outer before " + TypeRegistry.logicalName(Deposit.class),
              "inner before " + TypeRegistry.logicalName(Deposit.class),
              "inner LOAD w-1 events=0 cached=false",
              "outer LOAD w-1 events=0 cached=false",
              "outer publish 2",
              "inner publish 2",
              "inner SAVE w-1 events=2 cached=false",
              "outer SAVE w-1 events=2 cached=false",
              "inner after succeeded attempts=1",
              "outer after succeeded attempts=1");
    }
  }

  @Test
  void metadata_a_handler_interceptor_adds_reaches_the_events_the_command_causes()
      throws Exception {
    try (Cqrs cqrs = wallets(new Recorder("tracer", new CopyOnWriteArrayList<>()))) {
      Command command =
          Command.create(new Deposit("w-1", BigDecimal.ONE))
              .withMetadata(MetadataKey.ACTOR, "alice")
              .withMetadata("tenant", "acme");
      cqrs.commands().dispatch(command);

      List<VersionedEvent> events = cqrs.store().loadStream("w-1", 1).events();
      assertThat(events).hasSize(2);
      for (VersionedEvent event : events) {
        assertThat(event.actor()).isEqualTo("alice");
        assertThat(event.metadata())
            .containsEntry("tenant", "acme")
            .containsEntry("handled-by", "tracer")
            .doesNotContainKey("actor");
        assertThat(event.causationId()).isEqualTo(command.messageId());
      }
      Command reaction = Command.reactingTo(events.get(1), new Withdraw("w-1", BigDecimal.ONE));
      assertThat(reaction.metadata(MetadataKey.ACTOR)).contains("alice");
      assertThat(reaction.metadata()).containsEntry("tenant", "acme");
    }
  }

  @Test
  void dispatch_interceptors_add_metadata_that_reaches_the_command_handler() {
    List<Command> handled = new CopyOnWriteArrayList<>();
    try (Cqrs cqrs =
        Cqrs.builder()
            .types(Wallet.types())
            .interceptors(new Recorder("client", new CopyOnWriteArrayList<>()))
            .build()) {
      cqrs.onCommand(Deposit.class, (deposit, command) -> handled.add(command));
      cqrs.start();
      Command sent = cqrs.send(new Deposit("w-1", BigDecimal.ONE));

      Await.until("the command handled", () -> handled.size() == 1);
      assertThat(handled.get(0).messageId()).isEqualTo(sent.messageId());
      assertThat(handled.get(0).metadata())
          .containsEntry("seen-by-client", "y")
          .containsEntry("handled-by", "client");
    }
  }

  @Test
  void a_rejection_is_seen_by_the_interceptors_and_still_reaches_the_caller() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    try (Cqrs cqrs = wallets(new Recorder("r", log))) {
      cqrs.commands().dispatch(Command.create(new Deposit("w-1", BigDecimal.ONE)));
      log.clear();

      assertThatThrownBy(
              () -> cqrs.commands().dispatch(Command.create(new Withdraw("w-1", BigDecimal.TEN))))
          .isInstanceOf(Wallet.InsufficientFunds.class);
      assertThat(log).contains("r threw rejected");
    }
  }

  @Test
  void a_redelivered_command_is_seen_as_a_duplicate() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    try (Cqrs cqrs = wallets(new Recorder("r", log))) {
      Command command = Command.create(new Deposit("w-1", BigDecimal.ONE));
      cqrs.commands().dispatch(command);
      log.clear();

      cqrs.commands().dispatch(command);

      assertThat(log).contains("r after duplicate attempts=1");
      assertThat(cqrs.store().version("w-1")).isEqualTo(2);
    }
  }

  @Test
  void attempts_count_the_conflicts_retried_inside_one_handling() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    CommandHandlerInterceptor counting =
        handling -> {
          Outcome outcome = handling.proceed();
          attempts.add(handling.attempts());
          return outcome;
        };
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    TypeRegistry types = Wallet.types();
    EventSourcingRepository repository = EventSourcingRepository.builder(store, types).build();
    repository.save(Wallet.open("w-1", "owner"), "c");
    CommandDispatchManager manager =
        CommandDispatchManager.builder(null, types).interceptors(Interceptors.of(counting)).build();
    manager.registerCommandHandler(
        Deposit.class,
        (deposit, command) -> {
          Wallet wallet = repository.get("w-1", Wallet::new);
          if (runs.incrementAndGet() <= 2) {
            // Another writer commits between this load and this save: a conflict, twice.
            Wallet other = repository.get("w-1", Wallet::new);
            other.deposit(BigDecimal.ONE);
            repository.save(other, "other-" + runs.get());
          }
          wallet.deposit(deposit.amount());
          repository.save(wallet, command);
        });

    manager.dispatch(Command.create(new Deposit("w-1", BigDecimal.TEN)));

    assertThat(attempts).containsExactly(3);
    assertThat(store.version("w-1")).isEqualTo(4);
  }

  @Test
  void an_event_handler_interceptor_names_the_subscription_and_may_add_metadata() throws Exception {
    List<VersionedEvent> seen = new CopyOnWriteArrayList<>();
    List<String> components = new CopyOnWriteArrayList<>();
    EventHandlerInterceptor tagging =
        handling -> {
          components.add(handling.component());
          return handling.proceed(handling.message().withMetadata("via", handling.component()));
        };
    try (Cqrs cqrs = wallets(tagging)) {
      cqrs.onEvent("audit", Wallet.Deposited.class, seen::add);
      cqrs.start();
      cqrs.send(new Deposit("w-1", BigDecimal.ONE));

      Await.until("the deposit audited", () -> seen.size() == 1);
      assertThat(seen.get(0).metadata()).containsEntry("via", "audit");
      assertThat(components).contains("audit");
    }
  }

  @Test
  void an_interceptor_may_not_swap_the_message_or_proceed_twice() {
    CommandHandlerInterceptor swapping =
        handling -> handling.proceed(Command.create(new Deposit("w-2", BigDecimal.ONE)));
    CommandHandlerInterceptor twice =
        handling -> {
          handling.proceed();
          return handling.proceed();
        };
    for (CommandHandlerInterceptor bad : List.of(swapping, twice)) {
      CommandDispatchManager manager =
          CommandDispatchManager.builder(null, Wallet.types())
              .interceptors(Interceptors.of(bad))
              .build();
      AtomicInteger runs = new AtomicInteger();
      manager.registerCommandHandler(Deposit.class, (d, c) -> runs.incrementAndGet());

      // Either is a failure of the message, with the reason inside.
      Throwable thrown =
          catchThrowable(
              () -> manager.dispatch(Command.create(new Deposit("w-1", BigDecimal.ONE))));
      assertThat(thrown)
          .isInstanceOf(InterceptorFailedException.class)
          .hasCauseInstanceOf(
              bad == swapping ? IllegalArgumentException.class : IllegalStateException.class);
      assertThat(runs.get()).isLessThanOrEqualTo(1);
    }
  }

  @Test
  void an_aggregate_interceptor_that_does_not_proceed_fails_the_save_loudly() {
    AggregateInterceptor swallowing = call -> {};
    EventSourcingRepository repository =
        EventSourcingRepository.builder(new InMemoryEventStreamRepository(), Wallet.types())
            .interceptors(Interceptors.of(swallowing))
            .build();

    assertThatThrownBy(() -> repository.save(Wallet.open("w-1", "o"), "c"))
        .isInstanceOf(InterceptorFailedException.class)
        .hasMessageContaining("without proceeding with the SAVE");
  }

  @Test
  void a_publish_failure_reaches_the_caller_through_the_dispatch_chain() {
    List<String> outcomes = new CopyOnWriteArrayList<>();
    CommandDispatchInterceptor observing =
        dispatch ->
            dispatch
                .proceed()
                .whenComplete((ok, e) -> outcomes.add(e == null ? "ok" : e.getClass().getName()));
    CommandBus bus = Interceptors.of(observing).commandBus(new InMemoryCommandBus());

    // No service subscribed: the in-memory bus refuses the command as unroutable.
    Command command = Command.create(new Deposit("w-1", BigDecimal.ONE));
    assertThatThrownBy(() -> bus.publish(command)).isInstanceOf(UnroutableMessageException.class);
    assertThat(outcomes).containsExactly(UnroutableMessageException.class.getName());
    assertThatThrownBy(() -> bus.publishAsync(List.of(command, null)))
        .isInstanceOf(NullPointerException.class);
    assertThat(bus.publishAsync(command)).isCompletedExceptionally();
    bus.close();
  }

  @Test
  void only_objects_that_implement_an_interceptor_interface_are_taken() {
    assertThatThrownBy(() -> Interceptors.of("not an interceptor"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.lang.String implements none of");
    assertThat(Interceptors.none().isEmpty()).isTrue();
    Recorder recorder = new Recorder("r", List.of());
    Interceptors set = Interceptors.of(recorder, Interceptors.of((AggregateInterceptor) c -> {}));
    assertThat(set.commandHandler()).containsExactly(recorder);
    assertThat(set.aggregate()).hasSize(2);
    assertThat(Map.of("all", set.all().size())).containsEntry("all", 2);
  }

  @Test
  void events_a_publish_interceptor_dropped_are_not_marked_published_so_the_relay_sends_them() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    InMemoryEventBus raw = new InMemoryEventBus();
    List<VersionedEvent> onBus = new CopyOnWriteArrayList<>();
    raw.subscribe("watch", 1, onBus::add);
    EventPublishInterceptor dropping = dispatch -> CompletableFuture.completedFuture(null);
    EventSourcingRepository repository =
        EventSourcingRepository.builder(store, Wallet.types())
            .publisher(Interceptors.of(dropping).eventBus(raw))
            .build();

    repository.save(Wallet.open("w-1", "o"), "c");

    assertThat(onBus).isEmpty();
    assertThat(store.readLog(1, 10)).extracting(LoggedEvent::published).containsOnly(false);
    raw.close();
  }

  @Test
  void a_handler_interceptor_that_never_proceeds_fails_loudly() throws Exception {
    CommandHandlerInterceptor skipping = handling -> Outcome.SUCCEEDED;
    CommandDispatchManager manager =
        CommandDispatchManager.builder(null, Wallet.types())
            .interceptors(Interceptors.of(skipping))
            .build();
    AtomicInteger runs = new AtomicInteger();
    manager.registerCommandHandler(Deposit.class, (d, c) -> runs.incrementAndGet());

    assertThatThrownBy(() -> manager.dispatch(Command.create(new Deposit("w-1", BigDecimal.ONE))))
        .isInstanceOf(InterceptorFailedException.class)
        .hasMessageContaining("returned without proceeding");
    assertThat(runs.get()).isZero();

    VersionedEventHandler handler =
        Interceptors.of((EventHandlerInterceptor) handling -> Outcome.SUCCEEDED)
            .eventHandler("audit", event -> runs.incrementAndGet());
    assertThatThrownBy(
            () -> handler.handle(VersionedEvent.of("w-1", 1, new Wallet.Opened("o"), "c")))
        .isInstanceOf(InterceptorFailedException.class);
    assertThat(runs.get()).isZero();
  }

  @Test
  void an_aggregate_chain_refuses_a_second_proceed_even_when_an_inner_link_skipped() {
    AggregateInterceptor twice =
        call -> {
          try {
            call.proceed();
          } catch (InterceptorFailedException skipped) {
            // proceeds again all the same
          }
          call.proceed();
        };
    AggregateInterceptor skipping = call -> {};
    EventSourcingRepository repository =
        EventSourcingRepository.builder(new InMemoryEventStreamRepository(), Wallet.types())
            .interceptors(Interceptors.of(twice, skipping))
            .build();

    assertThatThrownBy(() -> repository.save(Wallet.open("w-1", "o"), "c"))
        .isInstanceOf(InterceptorFailedException.class)
        .hasRootCauseMessage("proceed() was called twice by an aggregate interceptor");
  }

  @Test
  void each_handler_interceptor_sees_the_message_it_received_before_and_after_it_proceeds()
      throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    CommandDispatchManager manager =
        CommandDispatchManager.builder(null, Wallet.types())
            .interceptors(
                Interceptors.of(
                    tagging("outer", log), tagging("middle", log), tagging("inner", log)))
            .build();
    manager.registerCommandHandler(
        Deposit.class, (deposit, command) -> log.add("handler " + tags(command.metadata())));

    manager.dispatch(Command.create(new Deposit("w-1", BigDecimal.ONE)));

    assertThat(log)
        .containsExactly(
            "outer before []",
            "middle before [by-outer]",
            "inner before [by-middle, by-outer]",
            "handler [by-inner, by-middle, by-outer]",
            "inner after [by-middle, by-outer]",
            "middle after [by-outer]",
            "outer after []");
  }

  /** Adds {@code by-<name>} to the message it hands on; logs the message it sees around that. */
  private static CommandHandlerInterceptor tagging(String name, List<String> log) {
    return handling -> {
      log.add(name + " before " + tags(handling.message().metadata()));
      Outcome outcome = handling.proceed(handling.message().withMetadata("by-" + name, "y"));
      log.add(name + " after " + tags(handling.message().metadata()));
      return outcome;
    };
  }

  private static List<String> tags(Map<String, String> metadata) {
    return metadata.keySet().stream().filter(key -> key.startsWith("by-")).sorted().toList();
  }

  @Test
  void each_dispatch_interceptor_sees_the_messages_it_received_before_and_after_it_proceeds() {
    List<String> log = new CopyOnWriteArrayList<>();
    List<Command> published = new CopyOnWriteArrayList<>();
    CommandBus bus =
        Interceptors.of(
                taggingDispatch("outer", log),
                taggingDispatch("middle", log),
                taggingDispatch("inner", log))
            .commandBus(recordingBus(published));

    bus.publish(Command.create(new Deposit("w-1", BigDecimal.ONE)));

    assertThat(log)
        .containsExactly(
            "outer before []",
            "middle before [by-outer]",
            "inner before [by-middle, by-outer]",
            "inner after [by-middle, by-outer]",
            "middle after [by-outer]",
            "outer after []");
    assertThat(published).hasSize(1);
    assertThat(tags(published.get(0).metadata()))
        .containsExactly("by-inner", "by-middle", "by-outer");
  }

  private static CommandDispatchInterceptor taggingDispatch(String name, List<String> log) {
    return dispatch -> {
      log.add(name + " before " + tags(dispatch.messages().get(0).metadata()));
      CompletableFuture<Void> sent =
          dispatch.proceed(
              dispatch.messages().stream().map(c -> c.withMetadata("by-" + name, "y")).toList());
      log.add(name + " after " + tags(dispatch.messages().get(0).metadata()));
      return sent;
    };
  }

  /** A bus that takes commands into {@code published} on the calling thread. */
  private static CommandBus recordingBus(List<Command> published) {
    return new CommandBus() {
      @Override
      public void publish(List<Command> commands) {
        published.addAll(commands);
      }

      @Override
      public Subscription subscribe(
          String service, Set<String> commandTypes, int listeners, CommandConsumer consumer) {
        throw new UnsupportedOperationException();
      }

      @Override
      public void close() {}
    };
  }

  @Test
  void a_handler_chain_refuses_a_second_proceed_of_any_link_even_when_an_inner_link_skipped() {
    AtomicInteger runs = new AtomicInteger();
    CommandHandlerInterceptor twice =
        handling -> {
          try {
            handling.proceed();
          } catch (InterceptorFailedException skipped) {
            // proceeds again all the same
          }
          return handling.proceed();
        };
    CommandHandlerInterceptor once = Handling::proceed;
    CommandHandlerInterceptor skipping = handling -> Outcome.SUCCEEDED;

    // The outer link proceeds again after the inner one returned without proceeding.
    Throwable outerTwice = catchThrowable(() -> dispatch(runs, twice, skipping));
    assertThat(outerTwice)
        .isInstanceOf(InterceptorFailedException.class)
        .hasRootCauseMessage("proceed() was called twice by an interceptor");
    assertThat(runs).hasValue(0);

    // The inner link proceeds again after the handler ran.
    Throwable innerTwice = catchThrowable(() -> dispatch(runs, once, twice));
    assertThat(innerTwice)
        .isInstanceOf(InterceptorFailedException.class)
        .hasRootCauseMessage("proceed() was called twice by an interceptor");
    assertThat(runs).hasValue(1);
  }

  private static void dispatch(AtomicInteger runs, CommandHandlerInterceptor... links)
      throws Exception {
    CommandDispatchManager manager =
        CommandDispatchManager.builder(null, Wallet.types())
            .interceptors(Interceptors.of((Object[]) links))
            .build();
    manager.registerCommandHandler(Deposit.class, (d, c) -> runs.incrementAndGet());
    manager.dispatch(Command.create(new Deposit("w-1", BigDecimal.ONE)));
  }

  @Test
  void a_dispatch_chain_refuses_a_second_proceed_even_when_an_inner_link_skipped() {
    List<Command> published = new CopyOnWriteArrayList<>();
    CommandDispatchInterceptor twice =
        dispatch -> {
          try {
            dispatch.proceed();
          } catch (IllegalStateException skipped) {
            // proceeds again all the same
          }
          return dispatch.proceed();
        };
    CommandDispatchInterceptor skipping = dispatch -> CompletableFuture.completedFuture(null);
    CommandBus bus = Interceptors.of(twice, skipping).commandBus(recordingBus(published));

    assertThatThrownBy(() -> bus.publish(Command.create(new Deposit("w-1", BigDecimal.ONE))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("proceed() was called twice by an interceptor");
    assertThat(published).isEmpty();
  }

  @Test
  void an_aggregate_interceptor_sees_the_events_of_a_save_but_cannot_change_them() {
    AggregateInterceptor meddling =
        call -> {
          call.events().clear();
          call.proceed();
        };
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    EventSourcingRepository repository =
        EventSourcingRepository.builder(store, Wallet.types())
            .interceptors(Interceptors.of(meddling))
            .build();

    assertThatThrownBy(() -> repository.save(Wallet.open("w-1", "o"), "c"))
        .isInstanceOf(InterceptorFailedException.class)
        .hasCauseInstanceOf(UnsupportedOperationException.class);
    assertThat(store.version("w-1")).isZero();
  }

  @Test
  void
      a_command_an_interceptor_failed_on_is_recorded_and_dead_lettered_not_taken_for_a_rejection() {
    MetadataKey<java.time.Instant> deadline = MetadataKey.instant("deadline");
    CommandHandlerInterceptor reading =
        handling -> {
          handling.message().metadata(deadline); // a forged value does not read
          return handling.proceed();
        };
    InMemoryCommandBus bus = new InMemoryCommandBus();
    try (Cqrs cqrs =
        Cqrs.builder().types(Wallet.types()).commandBus(bus).interceptors(reading).build()) {
      List<Command> handled = new CopyOnWriteArrayList<>();
      cqrs.onCommand(Deposit.class, (d, c) -> handled.add(c));
      cqrs.start();
      Command command =
          Command.create(new Deposit("w-1", BigDecimal.ONE)).withMetadata("deadline", "garbage");
      cqrs.commandBus().publish(command);

      Await.until(
          "the command dead-lettered and its failure recorded",
          () ->
              !bus.deadLetters().isEmpty()
                  && !cqrs.store().eventsByCorrelationId(command.correlationId()).isEmpty());
      VersionedEvent failed = cqrs.store().eventsByCorrelationId(command.correlationId()).get(0);
      assertThat(failed.eventAs(CommandFailed.class).errorType())
          .isEqualTo(InterceptorFailedException.class.getName());
      assertThat(handled).isEmpty();
    } finally {
      bus.close();
    }
  }

  @Test
  void an_interceptor_may_not_change_a_messages_correlation_or_type() {
    CommandHandlerInterceptor recorrelating =
        handling ->
            handling.proceed(
                Command.builder(handling.message().body())
                    .messageId(handling.message().messageId())
                    .correlationId("another")
                    .created(handling.message().created())
                    .build());
    CommandDispatchManager manager =
        CommandDispatchManager.builder(null, Wallet.types())
            .interceptors(Interceptors.of(recorrelating))
            .build();
    manager.registerCommandHandler(Deposit.class, (d, c) -> {});

    assertThatThrownBy(() -> manager.dispatch(Command.create(new Deposit("w-1", BigDecimal.ONE))))
        .isInstanceOf(InterceptorFailedException.class)
        .hasMessageContaining("metadata only");
  }

  @Test
  void metadata_beyond_its_bounds_is_refused_where_an_envelope_is_made_or_read() {
    Map<String, String> many = new java.util.HashMap<>();
    for (int i = 0; i <= MetadataKey.MAX_ENTRIES; i++) {
      many.put("k" + i, "v");
    }
    Command command = Command.create(new Deposit("w-1", BigDecimal.ONE));
    assertThatThrownBy(() -> command.withMetadata(many))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at most " + MetadataKey.MAX_ENTRIES);
    assertThatThrownBy(() -> command.withMetadata("big", "x".repeat(MetadataKey.MAX_TOTAL_LENGTH)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("characters of metadata");
    String longKey = "k".repeat(MetadataKey.MAX_KEY_LENGTH + 1);
    assertThatThrownBy(() -> command.withMetadata(longKey, "v"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("longer than " + MetadataKey.MAX_KEY_LENGTH);
    assertThat(command.withMetadata("k".repeat(MetadataKey.MAX_KEY_LENGTH), "v").metadata())
        .hasSize(1);

    EventSerializer serializer =
        new EventSerializer(Wallet.types().registerCommands(Deposit.class));
    String json =
        new String(serializer.serialize(command), java.nio.charset.StandardCharsets.UTF_8)
            .replace("\"metadata\":{}", "\"metadata\":{\"big\":\"" + "x".repeat(20_000) + "\"}");
    assertThat(json).contains("xxxx");
    assertThatThrownBy(
            () ->
                serializer.deserializeCommand(
                    json.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("characters of metadata");
  }

  @Test
  void a_process_managers_command_takes_actor_from_the_events_field_never_its_metadata() {
    VersionedEvent event =
        VersionedEvent.builder("w-1", 1, new Wallet.Opened("o"))
            .metadata(Map.of("actor", "forged", "tenant", "acme"))
            .build();

    Command reaction = Command.reactingTo(event, new Deposit("w-1", BigDecimal.ONE));

    assertThat(reaction.metadata()).containsEntry("tenant", "acme").doesNotContainKey("actor");
  }

  /** Records the outcome it sees of the rest of the chain, as a metrics interceptor would. */
  private static CommandHandlerInterceptor observing(List<String> outcomes) {
    return handling -> {
      try {
        Outcome outcome = handling.proceed();
        outcomes.add(outcome == null ? "none" : outcome.tag());
        return outcome;
      } catch (Exception e) {
        outcomes.add(Outcome.of(e).tag());
        throw e;
      }
    };
  }

  @Test
  void a_command_from_the_bus_an_interceptor_did_not_hand_on_is_dead_lettered_not_acknowledged() {
    CommandHandlerInterceptor skipping = handling -> Outcome.SUCCEEDED;
    CommandHandlerInterceptor noOutcome =
        handling -> {
          handling.proceed();
          return null;
        };
    for (CommandHandlerInterceptor bad : List.of(skipping, noOutcome)) {
      List<String> outer = new CopyOnWriteArrayList<>();
      InMemoryCommandBus bus = new InMemoryCommandBus(1);
      InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
      CommandDispatchManager manager =
          CommandDispatchManager.builder(bus, Wallet.types())
              .errorLog(store)
              .interceptors(Interceptors.of(observing(outer), bad))
              .build();
      AtomicInteger runs = new AtomicInteger();
      manager.registerCommandHandler(Deposit.class, (d, c) -> runs.incrementAndGet());
      manager.listen("wallets", 1);
      try {
        Command command = Command.create(new Deposit("w-1", BigDecimal.ONE));
        bus.publish(command);

        Await.until("the command dead-lettered", () -> !bus.deadLetters().isEmpty());
        assertThat(outer).as("what the outer link saw").containsExactly("failed");
        assertThat(store.eventsByCorrelationId(command.correlationId()))
            .singleElement()
            .satisfies(
                failed ->
                    assertThat(failed.eventAs(CommandFailed.class).errorType())
                        .isEqualTo(InterceptorFailedException.class.getName()));
        assertThat(runs).hasValue(bad == skipping ? 0 : 1);
      } finally {
        manager.close();
        bus.close();
      }
    }
  }

  @Test
  void an_event_an_interceptor_did_not_hand_on_is_dead_lettered_and_fails_for_the_links_outside()
      throws Exception {
    List<String> outer = new CopyOnWriteArrayList<>();
    EventHandlerInterceptor observing =
        handling -> {
          try {
            Outcome outcome = handling.proceed();
            outer.add(outcome.tag());
            return outcome;
          } catch (Exception e) {
            outer.add(Outcome.of(e).tag());
            throw e;
          }
        };
    EventHandlerInterceptor skipping = handling -> Outcome.SUCCEEDED;
    AtomicInteger runs = new AtomicInteger();
    try (InMemoryEventBus bus = new InMemoryEventBus(1);
        EventProcessor processor =
            EventProcessor.subscribing("audit", bus, new InMemoryEventStreamRepository())
                .handler(event -> runs.incrementAndGet())
                .interceptors(Interceptors.of(observing, skipping))
                .build()) {
      processor.start();
      bus.publish(List.of(VersionedEvent.of("w-1", 1, new Wallet.Opened("o"), "c")));

      Await.until("the event dead-lettered", () -> !bus.deadLetters().isEmpty());
      assertThat(bus.deadLetters().get(0).reason())
          .contains(InterceptorFailedException.class.getSimpleName());
      assertThat(outer).as("what the outer link saw").containsExactly("failed");
      assertThat(runs).hasValue(0);
    }
  }

  @Test
  void what_an_inner_interceptor_throws_fails_every_link_while_the_handlers_own_passes_unchanged() {
    List<String> outer = new CopyOnWriteArrayList<>();
    CommandHandlerInterceptor throwing =
        handling -> {
          if (handling.message().bodyAs(Deposit.class).amount().signum() == 0) {
            throw new IllegalArgumentException("the interceptor's own");
          }
          return handling.proceed();
        };
    CommandHandlerInterceptor middle = Handling::proceed;
    CommandDispatchManager manager =
        CommandDispatchManager.builder(null, Wallet.types())
            .interceptors(Interceptors.of(observing(outer), middle, throwing))
            .build();
    manager.registerCommandHandler(
        Deposit.class,
        (deposit, command) -> {
          throw new IllegalArgumentException("the domain says no");
        });

    assertThatThrownBy(() -> manager.dispatch(Command.create(new Deposit("w-1", BigDecimal.ZERO))))
        .isInstanceOf(InterceptorFailedException.class)
        .hasRootCauseMessage("the interceptor's own");
    assertThatThrownBy(() -> manager.dispatch(Command.create(new Deposit("w-1", BigDecimal.ONE))))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("the domain says no");
    assertThat(outer).containsExactly("failed", "rejected");
  }

  @Test
  void an_inner_aggregate_interceptors_failure_or_skip_is_a_failure_to_the_links_further_out() {
    List<String> outer = new CopyOnWriteArrayList<>();
    AggregateInterceptor observing =
        call -> {
          try {
            call.proceed();
            outer.add("succeeded");
          } catch (RuntimeException e) {
            outer.add(Outcome.of(e).tag());
            throw e;
          }
        };
    AggregateInterceptor throwing =
        call -> {
          throw new IllegalArgumentException("the interceptor's own");
        };
    AggregateInterceptor skipping = call -> {};
    for (AggregateInterceptor bad : List.of(throwing, skipping)) {
      InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
      EventSourcingRepository repository =
          EventSourcingRepository.builder(store, Wallet.types())
              .interceptors(Interceptors.of(observing, bad))
              .build();

      assertThatThrownBy(() -> repository.save(Wallet.open("w-1", "o"), "c"))
          .isInstanceOf(InterceptorFailedException.class)
          .hasMessageContaining("the save of");
      assertThat(store.version("w-1")).isZero();
    }
    assertThat(outer).containsExactly("failed", "failed");
  }

  @Test
  void an_outer_dispatch_interceptor_sees_the_call_fail_when_an_inner_one_never_proceeded() {
    List<String> outcomes = new CopyOnWriteArrayList<>();
    CommandDispatchInterceptor observing =
        dispatch -> {
          try {
            CompletableFuture<Void> sent = dispatch.proceed();
            outcomes.add(sent.isCompletedExceptionally() ? "failed" : "sent");
            return sent;
          } catch (RuntimeException e) {
            outcomes.add("failed");
            throw e;
          }
        };
    CommandDispatchInterceptor skipping = dispatch -> CompletableFuture.completedFuture(null);
    List<Command> published = new CopyOnWriteArrayList<>();
    CommandBus bus = Interceptors.of(observing, skipping).commandBus(recordingBus(published));

    assertThatThrownBy(() -> bus.publish(Command.create(new Deposit("w-1", BigDecimal.ONE))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("returned without proceeding");
    assertThat(outcomes).containsExactly("failed");
    assertThat(published).isEmpty();
  }

  @Test
  void a_handler_interceptor_may_not_change_who_sent_the_command() throws Exception {
    CommandHandlerInterceptor impersonating =
        handling -> handling.proceed(handling.message().withMetadata("actor", "mallory"));
    CommandHandlerInterceptor delegating =
        handling -> handling.proceed(handling.message().withMetadata("onBehalfOf", "mallory"));
    for (CommandHandlerInterceptor bad : List.of(impersonating, delegating)) {
      try (Cqrs cqrs = wallets(bad)) {
        Command command =
            Command.create(new Deposit("w-1", BigDecimal.ONE))
                .withMetadata(MetadataKey.ACTOR, "alice")
                .withMetadata(MetadataKey.ON_BEHALF_OF, "bob");

        assertThatThrownBy(() -> cqrs.commands().dispatch(command))
            .isInstanceOf(InterceptorFailedException.class)
            .hasCauseInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("metadata only");
        assertThat(cqrs.store().version("w-1")).as("nothing stored").isZero();
      }
    }
  }
}
