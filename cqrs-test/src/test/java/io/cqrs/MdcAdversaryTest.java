package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.interceptor.EventHandlerInterceptor;
import io.cqrs.interceptor.Handling;
import io.cqrs.interceptor.MdcInterceptor;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * Attacks on {@link MdcInterceptor}'s promises (docs/observability.md, "What a chain guarantees").
 */
class MdcAdversaryTest {
  record Open(String walletId) {}

  record OpenTwo(String first, String second) {}

  private static Map<String, String> mdc() {
    Map<String, String> copy = MDC.getCopyOfContextMap();
    return copy == null ? Map.of() : new HashMap<>(copy);
  }

  @AfterEach
  void clear() {
    MDC.clear();
  }

  /**
   * "a value is cut at 200 characters": the cut must not leave half of a surrogate pair (an emoji
   * in a forged correlation id), which UTF-8 encoders write as '?' and JSON log encoders as an
   * unpaired {@code \ud83d}, breaking strict consumers. {@code Texts.cut}, which the framework's
   * own log lines use, keeps a pair whole; {@code MdcInterceptor.printable} cuts with {@code
   * substring}.
   */
  @Test
  void a_cut_id_in_the_mdc_never_ends_in_half_a_character() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    try (Cqrs cqrs =
        Cqrs.builder().types(Wallet.types()).interceptors(new MdcInterceptor()).build()) {
      cqrs.onCommand(
          Open.class, (open, command) -> seen.add(MDC.get(MdcInterceptor.CORRELATION_ID)));
      String forged = "x".repeat(199) + "\uD83D\uDE00" + "y".repeat(50);

      cqrs.commands().dispatch(Command.create(new Open("w-1"), forged));
    }

    String shown = seen.get(0);
    for (int i = 0; i < shown.length(); i++) {
      char c = shown.charAt(i);
      if (Character.isHighSurrogate(c)) {
        assertThat(i + 1 < shown.length() && Character.isLowSurrogate(shown.charAt(i + 1)))
            .as("a high surrogate at %d is followed by its low half in %s", i, shown)
            .isTrue();
      }
    }
  }

  /**
   * "a control character becomes ?, ... so a forged correlation id cannot forge log lines". U+2028
   * LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR are line terminators to many log readers
   * (editors, Python's splitlines, JavaScript), but not ISO control characters, so they pass as
   * they are.
   */
  @Test
  void unicode_line_separators_in_a_forged_id_do_not_reach_the_mdc() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    try (Cqrs cqrs =
        Cqrs.builder().types(Wallet.types()).interceptors(new MdcInterceptor()).build()) {
      cqrs.onCommand(
          Open.class, (open, command) -> seen.add(MDC.get(MdcInterceptor.CORRELATION_ID)));

      cqrs.commands()
          .dispatch(
              Command.create(
                  new Open("w-1"), "c-1\u2028ERROR forged line\u2029ERROR another forged line"));
    }

    assertThat(seen.get(0)).doesNotContain("\u2028", "\u2029");
  }

  /**
   * HELD. Nested dispatch: a handler that loaded its aggregate dispatches a command in-process,
   * whose handler loads another aggregate and throws. Afterwards the outer handler's MDC names its
   * own command and aggregate again, and after the outer handling the caller's own keys are back,
   * including a {@code cqrs.*} key the caller had set itself.
   */
  @Test
  void nested_dispatch_that_throws_restores_the_outer_values_and_then_the_callers() {
    List<Map<String, String>> outerAfterInner = new CopyOnWriteArrayList<>();
    List<Map<String, String>> inner = new CopyOnWriteArrayList<>();
    try (Cqrs cqrs =
        Cqrs.builder().types(Wallet.types()).interceptors(new MdcInterceptor()).build()) {
      EventSourcingRepository repository = cqrs.repository();
      repository.save(Wallet.open("w-outer", "o"), "c0");
      repository.save(Wallet.open("w-inner", "o"), "c0");
      cqrs.onCommand(
          Open.class,
          (open, command) -> {
            repository.get(open.walletId(), Wallet::new);
            inner.add(mdc());
            throw new IllegalStateException("inner refused");
          });
      cqrs.onCommand(
          OpenTwo.class,
          (two, command) -> {
            repository.get(two.first(), Wallet::new);
            assertThatThrownBy(
                    () -> cqrs.commands().dispatch(Command.create(new Open(two.second()), "c-in")))
                .hasMessage("inner refused");
            outerAfterInner.add(mdc());
            throw new IllegalArgumentException("outer refused");
          });
      MDC.put(MdcInterceptor.CORRELATION_ID, "caller-request");
      MDC.put("tenant", "acme");

      Command outer = Command.create(new OpenTwo("w-outer", "w-inner"), "c-out");
      assertThatThrownBy(() -> cqrs.commands().dispatch(outer)).hasMessage("outer refused");

      assertThat(inner.get(0))
          .containsEntry(MdcInterceptor.CORRELATION_ID, "c-in")
          .containsEntry(MdcInterceptor.AGGREGATE_ID, "w-inner");
      assertThat(outerAfterInner.get(0))
          .containsEntry(MdcInterceptor.CORRELATION_ID, "c-out")
          .containsEntry(MdcInterceptor.MESSAGE_ID, outer.messageId())
          .containsEntry(MdcInterceptor.AGGREGATE_ID, "w-outer");
      assertThat(mdc())
          .isEqualTo(Map.of(MdcInterceptor.CORRELATION_ID, "caller-request", "tenant", "acme"));
    }
  }

  /**
   * HELD. A tracking processor's thread after a retried and then dead-lettered event: the next
   * event's handling and the interceptor outside the MDC's see nothing of the failed one.
   */
  @Test
  void a_retried_then_dead_lettered_event_leaves_nothing_on_the_processor_thread() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    EventSourcingRepository repository =
        EventSourcingRepository.builder(store, Wallet.types()).build();
    repository.save(Wallet.open("poison", "o"), "c-poison");
    repository.save(Wallet.open("fine", "o"), "c-fine");
    List<Map<String, String>> outside = new CopyOnWriteArrayList<>();
    List<Map<String, String>> inFine = new CopyOnWriteArrayList<>();
    AtomicInteger attempts = new AtomicInteger();
    EventHandlerInterceptor watcher =
        (Handling<VersionedEvent> handling) -> {
          outside.add(mdc());
          try {
            return handling.proceed();
          } finally {
            outside.add(mdc());
          }
        };
    try (TrackingEventProcessor processor =
        EventProcessor.tracking("audit", store)
            .handler(
                event -> {
                  if (event.sourceId().equals("poison")) {
                    attempts.incrementAndGet();
                    throw new IllegalStateException("poison");
                  }
                  if (event.sourceId().equals("fine")) {
                    inFine.add(mdc());
                  }
                })
            .maxAttempts(2)
            .idleWait(Duration.ofMillis(10))
            .interceptors(io.cqrs.interceptor.Interceptors.of(watcher, new MdcInterceptor()))
            .build()) {
      processor.start();
      Await.until("the poison dead-lettered", () -> processor.deadLettered() == 1);
      Await.until("the next event handled", () -> inFine.size() == 1);
    }

    assertThat(attempts).hasValue(2);
    assertThat(inFine.get(0))
        .containsEntry(MdcInterceptor.AGGREGATE_ID, "fine")
        .containsEntry(MdcInterceptor.CORRELATION_ID, "c-fine");
    assertThat(outside).allSatisfy(seen -> assertThat(seen).isEmpty());
  }
}
