package io.cqrs.opentelemetry;

import static io.cqrs.opentelemetry.RecordedSpans.traceparent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.cqrs.Command;
import io.cqrs.Cqrs;
import io.cqrs.EventProcessor;
import io.cqrs.MetadataKey;
import io.cqrs.Projection;
import io.cqrs.UnroutableMessageException;
import io.cqrs.VersionedEvent;
import io.cqrs.interceptor.CommandHandlerInterceptor;
import io.cqrs.interceptor.InterceptorFailedException;
import io.cqrs.interceptor.Outcome;
import io.cqrs.opentelemetry.Bank.Deposit;
import io.cqrs.opentelemetry.Bank.Deposited;
import io.cqrs.opentelemetry.Bank.Notify;
import io.cqrs.spi.StreamAppend;
import io.cqrs.testing.Await;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Spans and trace propagation of {@link CqrsTracing} on an in-memory {@link Cqrs}. */
class CqrsTracingTest {
  private static final String ORIGIN_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String ORIGIN_SPAN = "00f067aa0ba902b7";
  private static final String ORIGIN = "00-" + ORIGIN_TRACE + "-" + ORIGIN_SPAN + "-01";

  private final RecordedSpans spans = new RecordedSpans();
  private Cqrs cqrs;

  @AfterEach
  void close() {
    if (cqrs != null) {
      cqrs.close();
    }
    spans.close();
  }

  private Cqrs build() {
    cqrs = Bank.builder().interceptors(CqrsTracing.of(spans.sdk())).build();
    Bank.handleDeposits(cqrs);
    return cqrs;
  }

  @Test
  void a_command_sent_and_handled_is_one_trace_of_publish_process_load_save_and_event_publish() {
    build().start();
    Command sent = cqrs.send(new Deposit("acc-1", 50));

    SpanData publish = spans.await("publish Deposit");
    SpanData process = spans.await("process Deposit");
    SpanData load = spans.await("load Account");
    SpanData save = spans.await("save Account");
    SpanData published = spans.await("publish Deposited");

    assertThat(publish.getKind()).isEqualTo(SpanKind.PRODUCER);
    assertThat(publish.getParentSpanContext().isValid()).isFalse();
    assertThat(process.getKind()).isEqualTo(SpanKind.CONSUMER);
    assertThat(load.getKind()).isEqualTo(SpanKind.INTERNAL);
    assertThat(save.getKind()).isEqualTo(SpanKind.INTERNAL);
    assertThat(published.getKind()).isEqualTo(SpanKind.PRODUCER);
    assertThat(List.of(process, load, save, published))
        .allSatisfy(span -> assertThat(span.getTraceId()).isEqualTo(publish.getTraceId()));
    assertThat(process.getParentSpanId()).isEqualTo(publish.getSpanId());
    assertThat(process.getParentSpanContext().isRemote()).isTrue();
    assertThat(load.getParentSpanId()).isEqualTo(process.getSpanId());
    assertThat(save.getParentSpanId()).isEqualTo(process.getSpanId());
    assertThat(published.getParentSpanId()).isEqualTo(save.getSpanId());

    assertThat(publish.getAttributes().asMap())
        .containsEntry(AttributeKey.stringKey("messaging.system"), "cqrs")
        .containsEntry(AttributeKey.stringKey("messaging.operation.type"), "send")
        .containsEntry(AttributeKey.stringKey("messaging.destination.name"), "Deposit")
        .containsEntry(AttributeKey.stringKey("messaging.message.id"), sent.messageId())
        .containsEntry(
            AttributeKey.stringKey("messaging.message.conversation_id"), sent.correlationId());
    assertThat(process.getAttributes().asMap())
        .containsEntry(AttributeKey.stringKey("messaging.operation.type"), "process")
        .containsEntry(AttributeKey.stringKey("messaging.message.id"), sent.messageId())
        .containsEntry(AttributeKey.stringKey("cqrs.component"), "app")
        .containsEntry(AttributeKey.stringKey("messaging.consumer.group.name"), "app")
        .containsEntry(AttributeKey.stringKey("cqrs.outcome"), "succeeded")
        .containsEntry(AttributeKey.longKey("cqrs.attempts"), 1L);
    assertThat(process.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    assertThat(load.getAttributes().asMap())
        .containsEntry(AttributeKey.stringKey("cqrs.aggregate.id"), "acc-1")
        .containsEntry(AttributeKey.booleanKey("cqrs.aggregate.found"), false);
    assertThat(save.getAttributes().asMap())
        .containsEntry(AttributeKey.stringKey("cqrs.aggregate.id"), "acc-1")
        .containsEntry(AttributeKey.stringKey("cqrs.causation_id"), sent.messageId())
        .containsEntry(AttributeKey.longKey("cqrs.aggregate.events"), 1L)
        .containsEntry(AttributeKey.longKey("cqrs.aggregate.version"), 1L);
    assertThat(published.getAttributes().asMap())
        .containsEntry(AttributeKey.stringKey("messaging.destination.name"), "Deposited")
        .containsEntry(AttributeKey.stringKey("cqrs.aggregate.id"), "acc-1")
        .containsEntry(
            AttributeKey.stringKey("messaging.message.conversation_id"), sent.correlationId());
  }

  @Test
  void the_events_a_command_caused_carry_the_handle_spans_traceparent() {
    build().start();
    cqrs.send(new Deposit("acc-1", 50));

    SpanData process = spans.await("process Deposit");
    spans.await("save Account");
    List<VersionedEvent> stored = cqrs.store().load("acc-1");

    assertThat(stored).hasSize(1);
    assertThat(stored.get(0).metadata(MetadataKey.TRACEPARENT)).contains(traceparent(process));
  }

  @Test
  void
      an_event_handled_by_a_subscription_is_a_child_of_its_publish_span_and_a_process_managers_command_continues_the_trace() {
    build();
    List<Command> notices = new CopyOnWriteArrayList<>();
    cqrs.onEvent(
        "notifier",
        Deposited.class,
        event ->
            cqrs.commandBus().publish(Command.reactingTo(event, new Notify(event.sourceId()))));
    cqrs.onCommand(Notify.class, (notify, command) -> notices.add(command));
    cqrs.start();
    cqrs.send(new Deposit("acc-1", 50));

    SpanData published = spans.await("publish Deposited");
    SpanData handled = spans.await("process Deposited");
    SpanData sent = spans.await("publish Notify");
    SpanData notified = spans.await("process Notify");

    assertThat(List.of(handled, sent, notified))
        .allSatisfy(span -> assertThat(span.getTraceId()).isEqualTo(published.getTraceId()));
    assertThat(handled.getParentSpanId()).isEqualTo(published.getSpanId());
    assertThat(handled.getAttributes().asMap())
        .containsEntry(AttributeKey.stringKey("cqrs.component"), "notifier")
        .containsEntry(AttributeKey.stringKey("cqrs.outcome"), "succeeded");
    assertThat(sent.getParentSpanId()).isEqualTo(handled.getSpanId());
    assertThat(notified.getParentSpanId()).isEqualTo(sent.getSpanId());
    assertThat(notices).hasSize(1);
    assertThat(notices.get(0).metadata(MetadataKey.TRACEPARENT)).contains(traceparent(notified));
  }

  @Test
  void an_event_handled_by_a_tracking_processor_is_a_child_of_the_command_handle_span() {
    build();
    cqrs.processor("balances", new Balances());
    cqrs.start();
    cqrs.send(new Deposit("acc-1", 50));

    SpanData process = spans.await("process Deposit");
    SpanData handled = spans.await("process Deposited");

    assertThat(handled.getTraceId()).isEqualTo(process.getTraceId());
    assertThat(handled.getParentSpanId()).isEqualTo(process.getSpanId());
    assertThat(handled.getAttributes().asMap())
        .containsEntry(AttributeKey.stringKey("cqrs.component"), "balances")
        .doesNotContainKey(AttributeKey.booleanKey("cqrs.replay"));
  }

  @Test
  void an_event_older_than_the_replay_age_is_handled_in_a_new_trace_linked_to_its_origin() {
    build();
    cqrs.processor("balances", new Balances());
    Instant now = Instant.now();
    store("acc-old", now.minus(Duration.ofHours(1)));
    store("acc-new", now.minus(Duration.ofSeconds(5)));
    cqrs.start();

    SpanData old = spans.await("process Deposited", span -> aggregate(span).equals("acc-old"));
    SpanData recent = spans.await("process Deposited", span -> aggregate(span).equals("acc-new"));

    assertThat(old.getParentSpanContext().isValid()).isFalse();
    assertThat(old.getTraceId()).isNotEqualTo(ORIGIN_TRACE);
    assertThat(old.getLinks())
        .extracting(LinkData::getSpanContext)
        .extracting(SpanContext::getTraceId, SpanContext::getSpanId)
        .containsExactly(tuple(ORIGIN_TRACE, ORIGIN_SPAN));
    assertThat(old.getAttributes().asMap())
        .containsEntry(AttributeKey.booleanKey("cqrs.replay"), true);
    assertThat(recent.getTraceId()).isEqualTo(ORIGIN_TRACE);
    assertThat(recent.getParentSpanId()).isEqualTo(ORIGIN_SPAN);
    assertThat(recent.getLinks()).isEmpty();
  }

  @Test
  void an_event_exactly_the_replay_age_old_joins_its_trace_and_one_a_nanosecond_older_does_not() {
    // Counted in milliseconds but decided to the nanosecond: both ages fall in the same
    // millisecond.
    Instant now = Instant.parse("2026-12-03T10:00:00.000500Z");
    cqrs =
        Bank.builder()
            .interceptors(
                CqrsTracing.builder(spans.sdk())
                    .replayAge(Duration.ofMinutes(2))
                    .clock(java.time.Clock.fixed(now, java.time.ZoneOffset.UTC))
                    .build())
            .build();
    cqrs.processor("balances", new Balances());
    store("acc-at", now.minus(Duration.ofMinutes(2)));
    store("acc-past", now.minus(Duration.ofMinutes(2)).minusNanos(1));
    cqrs.start();

    SpanData at = spans.await("process Deposited", span -> aggregate(span).equals("acc-at"));
    SpanData past = spans.await("process Deposited", span -> aggregate(span).equals("acc-past"));

    assertThat(at.getTraceId()).isEqualTo(ORIGIN_TRACE);
    assertThat(at.getLinks()).isEmpty();
    assertThat(past.getTraceId()).isNotEqualTo(ORIGIN_TRACE);
    assertThat(past.getLinks())
        .extracting(link -> link.getSpanContext().getSpanId())
        .containsExactly(ORIGIN_SPAN);
  }

  @Test
  void the_replay_age_is_a_setting() {
    cqrs =
        Bank.builder()
            .interceptors(CqrsTracing.builder(spans.sdk()).replayAge(Duration.ofDays(2)).build())
            .build();
    cqrs.processor("balances", new Balances());
    store("acc-old", Instant.now().minus(Duration.ofHours(1)));
    cqrs.start();

    SpanData handled = spans.await("process Deposited");

    assertThat(handled.getTraceId()).isEqualTo(ORIGIN_TRACE);
    assertThat(handled.getParentSpanId()).isEqualTo(ORIGIN_SPAN);
    assertThatThrownBy(() -> CqrsTracing.builder(spans.sdk()).replayAge(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("replayAge");
  }

  @Test
  void an_event_the_relay_publishes_continues_the_trace_it_carries() {
    build();
    cqrs.onEvent("readmodel", Deposited.class, event -> {});
    // Committed but never published, as when a process dies between commit and publish: the
    // relay sends it after its grace period, on its own thread, where no span is current.
    store("acc-1", Instant.now().minus(Duration.ofSeconds(10)));
    cqrs.start();

    SpanData published = spans.await("publish Deposited");
    SpanData handled = spans.await("process Deposited");
    assertThat(published.getTraceId()).isEqualTo(ORIGIN_TRACE);
    assertThat(published.getParentSpanId()).isEqualTo(ORIGIN_SPAN);
    assertThat(handled.getParentSpanId()).isEqualTo(published.getSpanId());
  }

  @Test
  void an_old_event_the_relay_publishes_starts_a_new_trace_linked_to_its_origin() {
    build();
    store("acc-1", Instant.now().minus(Duration.ofHours(1)));
    cqrs.start();

    SpanData published = spans.await("publish Deposited");
    assertThat(published.getParentSpanContext().isValid()).isFalse();
    assertThat(published.getLinks())
        .extracting(link -> link.getSpanContext().getSpanId())
        .containsExactly(ORIGIN_SPAN);
  }

  @Test
  void a_command_published_inside_a_span_links_the_other_trace_it_carries_but_not_its_own() {
    build().start();
    io.opentelemetry.api.trace.Span client =
        spans.sdk().getTracer("test").spanBuilder("client").startSpan();
    String ownTrace = "00-" + client.getSpanContext().getTraceId() + "-" + ORIGIN_SPAN + "-01";
    try (io.opentelemetry.context.Scope scope = client.makeCurrent()) {
      cqrs.commandBus()
          .publish(
              Command.create(new Deposit("acc-1", 1))
                  .withMetadata(MetadataKey.TRACEPARENT, ORIGIN));
      cqrs.commandBus()
          .publish(
              Command.create(new Deposit("acc-2", 1))
                  .withMetadata(MetadataKey.TRACEPARENT, ownTrace));
    } finally {
      client.end();
    }

    List<SpanData> published = awaitAll("publish Deposit", 2);
    assertThat(published)
        .allSatisfy(
            span -> {
              assertThat(span.getTraceId()).isEqualTo(client.getSpanContext().getTraceId());
              assertThat(span.getParentSpanId()).isEqualTo(client.getSpanContext().getSpanId());
            });
    // The one from another trace links to it; the one from the current trace has nothing to link.
    assertThat(published)
        .extracting(span -> span.getLinks().size())
        .containsExactlyInAnyOrder(1, 0);
    assertThat(published)
        .flatExtracting(SpanData::getLinks)
        .extracting(link -> link.getSpanContext().getTraceId())
        .containsExactly(ORIGIN_TRACE);
  }

  private List<SpanData> awaitAll(String name, int count) {
    io.cqrs.testing.Await.until(name + " x" + count, () -> spans.named(name).size() >= count);
    return spans.named(name);
  }

  @Test
  void an_asynchronous_handler_s_span_ends_when_its_stage_completes_and_fails_with_it() {
    List<CompletableFuture<Void>> held = new CopyOnWriteArrayList<>();
    AtomicBoolean holding = new AtomicBoolean(true);
    build();
    cqrs.processor(
        EventProcessor.tracking("steps", cqrs.store())
            .asyncHandler(
                event -> {
                  if (!holding.get()) {
                    return CompletableFuture.completedFuture(null);
                  }
                  CompletableFuture<Void> stage = new CompletableFuture<>();
                  held.add(stage);
                  return stage;
                })
            .idleWait(Duration.ofMillis(10))
            .interceptors(cqrs.interceptors())
            .build());
    cqrs.start();
    cqrs.send(new Deposit("acc-1", 50));
    cqrs.send(new Deposit("acc-1", 60));

    // The second event's work started after the first one's handling had returned.
    Await.until("both events started", () -> held.size() == 2);
    assertThat(spans.named("process Deposited")).as("no span ends before its stage").isEmpty();
    held.get(0).complete(null);
    SpanData first = spans.await("process Deposited");
    holding.set(false); // the retry completes at once
    held.get(1).completeExceptionally(new IllegalStateException("refused downstream"));
    SpanData failed =
        spans.await(
            "process Deposited", span -> span.getStatus().getStatusCode() == StatusCode.ERROR);

    assertThat(first.getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);
    assertThat(first.getAttributes().asMap())
        .containsEntry(AttributeKey.stringKey("cqrs.outcome"), "succeeded")
        .containsEntry(AttributeKey.stringKey("cqrs.component"), "steps");
    assertThat(failed.getAttributes().asMap())
        .containsEntry(AttributeKey.stringKey("error.type"), IllegalStateException.class.getName());
    assertThat(failed.getEvents())
        .anySatisfy(
            event ->
                assertThat(event.getAttributes().asMap())
                    .containsEntry(
                        AttributeKey.stringKey("exception.message"), "refused downstream"));
  }

  @Test
  void a_failing_handler_gives_an_error_span_with_the_exception() {
    build().start();
    cqrs.send(new Deposit("acc-1", -5));

    SpanData process = spans.await("process Deposit");

    assertThat(process.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(process.getAttributes().asMap())
        .containsEntry(AttributeKey.stringKey("cqrs.outcome"), "rejected")
        .containsEntry(
            AttributeKey.stringKey("error.type"), IllegalArgumentException.class.getName());
    assertThat(process.getEvents())
        .anySatisfy(
            event -> {
              assertThat(event.getName()).isEqualTo("exception");
              assertThat(event.getAttributes().asMap())
                  .containsEntry(
                      AttributeKey.stringKey("exception.message"), "a deposit of -5 is refused");
            });
  }

  @Test
  void an_interceptor_inside_the_tracing_that_fails_or_skips_the_handler_gives_a_failed_span() {
    CommandHandlerInterceptor failing =
        handling -> {
          if (handling.message().bodyAs(Deposit.class).amount() < 0) {
            throw new IllegalArgumentException("the interceptor's own");
          }
          return Outcome.SUCCEEDED; // and the handler never ran
        };
    cqrs = Bank.builder().interceptors(CqrsTracing.of(spans.sdk()), failing).build();
    Bank.handleDeposits(cqrs);

    for (int amount : new int[] {-5, 5}) {
      Command command = Command.create(new Deposit("acc-1", amount));
      assertThatThrownBy(() -> cqrs.commands().dispatch(command))
          .isInstanceOf(InterceptorFailedException.class);

      SpanData process =
          spans.await(
              "process Deposit",
              span ->
                  command
                      .messageId()
                      .equals(
                          span.getAttributes()
                              .get(AttributeKey.stringKey("messaging.message.id"))));
      assertThat(process.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
      assertThat(process.getAttributes().asMap())
          .containsEntry(AttributeKey.stringKey("cqrs.outcome"), "failed")
          .containsEntry(
              AttributeKey.stringKey("error.type"), InterceptorFailedException.class.getName());
    }
  }

  @Test
  void a_command_no_service_takes_gives_an_error_publish_span() {
    cqrs = Bank.builder().interceptors(CqrsTracing.of(spans.sdk())).build().start();

    assertThatThrownBy(() -> cqrs.send(new Deposit("acc-1", 5)))
        .isInstanceOf(UnroutableMessageException.class);

    SpanData publish = spans.await("publish Deposit");
    assertThat(publish.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(publish.getAttributes().asMap())
        .containsEntry(
            AttributeKey.stringKey("error.type"), UnroutableMessageException.class.getName());
  }

  @Test
  void a_forged_traceparent_does_not_fail_handling() throws Exception {
    build().start();
    Command forged =
        Command.builder(new Deposit("acc-1", 50))
            .metadata(
                Map.of(
                    "traceparent",
                    "00-zzzz-not-a-trace-context-" + "x".repeat(500),
                    "tracestate",
                    "=,=,\u0000"))
            .build();

    cqrs.commands().dispatch(forged);

    SpanData process = spans.await("process Deposit");
    assertThat(process.getParentSpanContext().isValid()).isFalse();
    assertThat(process.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    VersionedEvent saved = cqrs.store().load("acc-1").get(0);
    assertThat(saved.metadata(MetadataKey.TRACEPARENT)).contains(traceparent(process));
    assertThat(saved.metadata(MetadataKey.TRACESTATE)).contains("");
  }

  @Test
  void a_forged_traceparent_sent_on_the_bus_is_replaced_by_the_publish_spans() {
    build().start();
    Command forged =
        Command.builder(new Deposit("acc-1", 50))
            .metadata(
                Map.of("traceparent", "00-00000000000000000000000000000000-0000000000000000-01"))
            .build();

    cqrs.commandBus().publish(forged);

    SpanData publish = spans.await("publish Deposit");
    SpanData process = spans.await("process Deposit");
    assertThat(publish.getParentSpanContext().isValid()).isFalse();
    assertThat(process.getParentSpanId()).isEqualTo(publish.getSpanId());
    assertThat(process.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
  }

  private void store(String accountId, Instant created) {
    cqrs.store()
        .save(
            new StreamAppend(
                accountId, 0, List.of(deposited(accountId, created)), null, "Account"));
  }

  private static VersionedEvent deposited(String accountId, Instant created) {
    return VersionedEvent.builder(accountId, 1, new Deposited(10))
        .created(created)
        .metadata(Map.of("traceparent", ORIGIN))
        .build();
  }

  private static String aggregate(SpanData span) {
    return String.valueOf(span.getAttributes().get(AttributeKey.stringKey("cqrs.aggregate.id")));
  }

  /** Balances in memory, with the version of each stream applied. */
  private static final class Balances implements Projection {
    private final Map<String, Long> applied = new ConcurrentHashMap<>();

    @Override
    public long appliedVersion(String streamId) {
      return applied.getOrDefault(streamId, 0L);
    }

    @Override
    public void apply(VersionedEvent event) {
      applied.put(event.sourceId(), event.version());
    }
  }

  @Test
  void a_trace_the_sampler_drops_records_nothing_but_still_carries_its_context_onward()
      throws Exception {
    io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter exporter =
        io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.create();
    try (io.opentelemetry.sdk.OpenTelemetrySdk dropping =
        io.opentelemetry.sdk.OpenTelemetrySdk.builder()
            .setTracerProvider(
                io.opentelemetry.sdk.trace.SdkTracerProvider.builder()
                    .setSampler(io.opentelemetry.sdk.trace.samplers.Sampler.alwaysOff())
                    .addSpanProcessor(
                        io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(exporter))
                    .build())
            .setPropagators(
                io.opentelemetry.context.propagation.ContextPropagators.create(
                    io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator.getInstance()))
            .build()) {
      cqrs = Bank.builder().interceptors(CqrsTracing.of(dropping)).build();
      Bank.handleDeposits(cqrs);
      java.util.List<VersionedEvent> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
      cqrs.onEvent("audit", Deposited.class, heard::add);
      cqrs.start();

      Command sent = cqrs.send(new Deposit("acc-1", 5));
      io.cqrs.testing.Await.until("the deposit heard", () -> heard.size() == 1);

      assertThat(exporter.getFinishedSpanItems()).isEmpty();
      VersionedEvent deposited = cqrs.store().loadStream("acc-1", 1).events().get(0);
      String stored = deposited.metadata(MetadataKey.TRACEPARENT).orElseThrow();
      String first = sent.metadata(MetadataKey.TRACEPARENT).orElse(null);
      assertThat(stored).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[02]");
      // The client's context was the first of the trace: every hop after carries it unchanged,
      // as no span recorded anything that a new parent id could point to.
      assertThat(heard.get(0).metadata(MetadataKey.TRACEPARENT)).contains(stored);
      assertThat(first).isNull(); // the envelope the client kept; the bus got a traced copy
    }
  }
}
