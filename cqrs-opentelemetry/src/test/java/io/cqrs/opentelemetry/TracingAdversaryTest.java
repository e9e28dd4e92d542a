package io.cqrs.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Cqrs;
import io.cqrs.EventProcessor;
import io.cqrs.opentelemetry.Bank.Deposit;
import io.cqrs.testing.Await;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Adversarial checks of {@link CqrsTracing}'s documented span attributes. */
class TracingAdversaryTest {
  private final RecordedSpans spans = new RecordedSpans();
  private Cqrs cqrs;

  @AfterEach
  void close() {
    if (cqrs != null) {
      cqrs.close();
    }
    spans.close();
  }

  /**
   * docs/observability.md, "Attributes": {@code cqrs.attempts} is on every {@code process} span. An
   * asynchronous handler whose stage is already complete when it returns (a cache hit, a no-op
   * branch: the usual {@code CompletableFuture.completedFuture(null)}) gets a span that was ended
   * inside {@code whenComplete} before the attribute was set, so the SDK drops it.
   */
  @Test
  void an_asynchronous_handler_that_completes_at_once_still_has_cqrs_attempts() {
    AtomicInteger started = new AtomicInteger();
    cqrs = Bank.builder().interceptors(CqrsTracing.of(spans.sdk())).build();
    Bank.handleDeposits(cqrs);
    cqrs.processor(
        EventProcessor.tracking("steps", cqrs.store())
            .asyncHandler(
                event -> {
                  started.incrementAndGet();
                  return CompletableFuture.completedFuture(null);
                })
            .idleWait(Duration.ofMillis(10))
            .interceptors(cqrs.interceptors())
            .build());
    cqrs.start();
    cqrs.send(new Deposit("acc-1", 50));

    SpanData process = spans.await("process Deposited");
    Await.until("the handler ran", () -> started.get() == 1);

    assertThat(process.getAttributes().asMap())
        .containsEntry(AttributeKey.stringKey("cqrs.outcome"), "succeeded")
        .containsEntry(AttributeKey.longKey("cqrs.attempts"), 1L);
  }
}
