package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.interceptor.CommandHandlerInterceptor;
import io.cqrs.interceptor.EventHandlerInterceptor;
import io.cqrs.interceptor.MdcInterceptor;
import io.cqrs.interceptor.Outcome;
import io.cqrs.testing.Await;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class MdcInterceptorTest {
  record Open(String walletId) {}

  private static Map<String, String> mdc() {
    Map<String, String> copy = MDC.getCopyOfContextMap();
    return copy == null ? Map.of() : new HashMap<>(copy);
  }

  /** Outermost: sees the MDC on the listener thread after the MDC interceptor restored it. */
  static final class After implements CommandHandlerInterceptor, EventHandlerInterceptor {
    final List<Map<String, String>> seen = new CopyOnWriteArrayList<>();

    @Override
    public Outcome interceptCommand(io.cqrs.interceptor.Handling<Command> handling)
        throws Exception {
      Outcome outcome = handling.proceed();
      seen.add(mdc());
      return outcome;
    }

    @Override
    public Outcome interceptEvent(io.cqrs.interceptor.Handling<VersionedEvent> handling)
        throws Exception {
      Outcome outcome = handling.proceed();
      seen.add(mdc());
      return outcome;
    }
  }

  @Test
  void the_ids_are_in_the_mdc_while_handlers_run_on_listener_threads_and_gone_afterwards() {
    After after = new After();
    List<Map<String, String>> inCommand = new CopyOnWriteArrayList<>();
    List<Map<String, String>> inEvent = new CopyOnWriteArrayList<>();
    List<VersionedEvent> events = new CopyOnWriteArrayList<>();
    try (Cqrs cqrs =
        Cqrs.builder().types(Wallet.types()).interceptors(after, new MdcInterceptor()).build()) {
      EventSourcingRepository repository = cqrs.repository();
      cqrs.onCommand(
          Open.class,
          (open, command) -> {
            Map<String, String> beforeLoad = mdc();
            Wallet wallet = Wallet.open(open.walletId(), "o");
            repository.find(open.walletId(), Wallet::new);
            beforeLoad.put("afterLoad", mdc().get(MdcInterceptor.AGGREGATE_ID));
            inCommand.add(beforeLoad);
            repository.save(wallet, command);
          });
      cqrs.onEvent(
          "audit",
          Wallet.Opened.class,
          event -> {
            inEvent.add(mdc());
            events.add(event);
          });
      cqrs.start();
      Command command = cqrs.send(new Open("w-1"));

      Await.until("the event audited", () -> events.size() == 1 && after.seen.size() == 2);
      Map<String, String> c = inCommand.get(0);
      assertThat(c)
          .containsEntry(MdcInterceptor.MESSAGE_ID, command.messageId())
          .containsEntry(MdcInterceptor.CORRELATION_ID, command.correlationId())
          .containsEntry(MdcInterceptor.MESSAGE_TYPE, command.commandType())
          .doesNotContainKey(MdcInterceptor.AGGREGATE_ID)
          .containsEntry("afterLoad", "w-1");
      VersionedEvent event = events.get(0);
      assertThat(inEvent.get(0))
          .containsEntry(MdcInterceptor.MESSAGE_ID, event.id())
          .containsEntry(MdcInterceptor.CAUSATION_ID, command.messageId())
          .containsEntry(MdcInterceptor.AGGREGATE_ID, "w-1");
      assertThat(after.seen).allSatisfy(left -> assertThat(left).isEmpty());
    }
  }

  @Test
  void what_the_caller_had_in_the_mdc_is_restored_after_a_direct_dispatch() throws Exception {
    try (Cqrs cqrs =
        Cqrs.builder().types(Wallet.types()).interceptors(new MdcInterceptor()).build()) {
      List<String> seen = new CopyOnWriteArrayList<>();
      cqrs.onCommand(Open.class, (open, command) -> seen.add(MDC.get(MdcInterceptor.MESSAGE_ID)));
      MDC.put(MdcInterceptor.MESSAGE_ID, "outer-request");
      try {
        Command command = Command.create(new Open("w-1"));
        cqrs.commands().dispatch(command);

        assertThat(seen).containsExactly(command.messageId());
        assertThat(MDC.get(MdcInterceptor.MESSAGE_ID)).isEqualTo("outer-request");
        assertThat(MDC.get(MdcInterceptor.CORRELATION_ID)).isNull();
      } finally {
        MDC.clear();
      }
    }
  }

  @Test
  void a_load_inside_an_event_handler_does_not_rename_the_events_stream_afterwards()
      throws Exception {
    List<String> after = new CopyOnWriteArrayList<>();
    try (Cqrs cqrs =
        Cqrs.builder().types(Wallet.types()).interceptors(new MdcInterceptor()).build()) {
      cqrs.repository().save(Wallet.open("other", "o"), "c");
      VersionedEventDispatchManager events =
          new VersionedEventDispatchManager(cqrs.eventBus(), cqrs.types(), cqrs.interceptors());
      events.registerEventHandler(
          Wallet.Opened.class,
          event -> {
            cqrs.repository().get("other", Wallet::new);
            after.add(MDC.get(MdcInterceptor.AGGREGATE_ID));
          });

      events.dispatch(VersionedEvent.of("w-1", 1, new Wallet.Opened("o"), "c"));

      assertThat(after).containsExactly("w-1");
    } finally {
      MDC.clear();
    }
  }

  @Test
  void forged_ids_cannot_forge_log_lines() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    try (Cqrs cqrs =
        Cqrs.builder().types(Wallet.types()).interceptors(new MdcInterceptor()).build()) {
      cqrs.onCommand(
          Open.class, (open, command) -> seen.add(MDC.get(MdcInterceptor.CORRELATION_ID)));
      String forged = "c-1\n12:00:00 ERROR forged line\r" + "x".repeat(500);

      cqrs.commands().dispatch(Command.create(new Open("w-1"), forged));

      assertThat(seen.get(0))
          .startsWith("c-1?12:00:00 ERROR forged line?")
          .doesNotContain("\n", "\r")
          .hasSizeLessThanOrEqualTo(201);
    } finally {
      MDC.clear();
    }
  }
}
