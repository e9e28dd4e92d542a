package io.cqrs.opentelemetry;

import static io.cqrs.opentelemetry.RecordedSpans.traceparent;
import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.Cqrs;
import io.cqrs.MetadataKey;
import io.cqrs.VersionedEvent;
import io.cqrs.opentelemetry.Bank.Deposit;
import io.cqrs.opentelemetry.Bank.Deposited;
import io.cqrs.spi.StreamAppend;
import io.cqrs.testing.Await;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Messages whose metadata is at {@link MetadataKey}'s limits and carries no trace context: legal
 * messages, which tracing must pass on as they are rather than make illegal by adding its {@code
 * traceparent}.
 */
class FullMetadataTracingTest {
  private static final String ORIGIN = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  private final RecordedSpans spans = new RecordedSpans();
  private final List<VersionedEvent> heard = new CopyOnWriteArrayList<>();
  private Cqrs cqrs;

  @AfterEach
  void close() {
    if (cqrs != null) {
      cqrs.close();
    }
    spans.close();
  }

  /** A traced instance that handles deposits and hears what they caused; not started. */
  private Cqrs build() {
    cqrs = Bank.builder().interceptors(CqrsTracing.of(spans.sdk())).build();
    Bank.handleDeposits(cqrs);
    cqrs.onEvent("audit", Deposited.class, heard::add);
    return cqrs;
  }

  /** As many entries as metadata may hold. */
  private static Map<String, String> fullOfEntries() {
    Map<String, String> metadata = new HashMap<>();
    for (int i = 0; i < MetadataKey.MAX_ENTRIES; i++) {
      metadata.put("k" + i, "v" + i);
    }
    return metadata;
  }

  /** As many characters as metadata may hold, in one entry. */
  private static Map<String, String> fullOfCharacters() {
    return Map.of("big", "x".repeat(MetadataKey.MAX_TOTAL_LENGTH - "big".length()));
  }

  private static Command deposit(String account, Map<String, String> metadata) {
    return Command.builder(new Deposit(account, 5)).metadata(metadata).build();
  }

  @Test
  void a_command_at_the_entry_limit_is_published_handled_and_its_event_published_untraced() {
    build().start();
    Map<String, String> full = fullOfEntries();

    cqrs.commandBus().publish(List.of(deposit("acc-1", full)));

    Await.until("the deposit heard", () -> heard.size() == 1);
    assertThat(heard.get(0).metadata()).isEqualTo(full);
    assertThat(cqrs.store().load("acc-1").get(0).metadata()).isEqualTo(full);
    // Its spans are still recorded; only the context does not travel with the message.
    spans.await("publish Deposit");
    spans.await("process Deposit");
    spans.await("publish Deposited");
  }

  @Test
  void a_command_at_the_character_limit_is_published_handled_and_its_event_published_untraced() {
    build().start();
    Map<String, String> full = fullOfCharacters();

    cqrs.commandBus().publish(List.of(deposit("acc-1", full)));

    Await.until("the deposit heard", () -> heard.size() == 1);
    assertThat(heard.get(0).metadata()).isEqualTo(full);
    assertThat(cqrs.store().load("acc-1").get(0).metadata()).isEqualTo(full);
  }

  @Test
  void a_command_at_the_entry_limit_from_an_untraced_client_is_handled_by_a_traced_worker()
      throws Exception {
    build().start();
    Map<String, String> full = fullOfEntries();
    Map<String, String> tracedFull = new HashMap<>(full);
    tracedFull.remove("k0");
    tracedFull.put(MetadataKey.TRACEPARENT.name(), ORIGIN);

    cqrs.commands().dispatch(deposit("acc-1", full));
    cqrs.commands().dispatch(deposit("acc-2", fullOfCharacters()));
    // One that carries its trace at the limit has room for the new traceparent, which replaces it.
    cqrs.commands().dispatch(deposit("acc-3", tracedFull));

    assertThat(cqrs.store().load("acc-1").get(0).metadata()).isEqualTo(full);
    assertThat(cqrs.store().load("acc-2").get(0).metadata()).isEqualTo(fullOfCharacters());
    SpanData joined =
        spans.await("process Deposit", span -> span.getParentSpanContext().isRemote());
    assertThat(cqrs.store().load("acc-3").get(0).metadata(MetadataKey.TRACEPARENT))
        .contains(traceparent(joined));
    Await.until("the deposits heard", () -> heard.size() == 3);
  }

  @Test
  void an_event_at_the_limits_is_published() {
    build().start();
    VersionedEvent full =
        VersionedEvent.builder("acc-1", 1, new Deposited(10)).metadata(fullOfEntries()).build();
    VersionedEvent fullOfCharacters =
        VersionedEvent.builder("acc-2", 1, new Deposited(10)).metadata(fullOfCharacters()).build();

    cqrs.eventBus().publish(List.of(full));
    cqrs.eventBus().publish(List.of(fullOfCharacters));

    Await.until("both events heard", () -> heard.size() == 2);
    assertThat(heard)
        .extracting(VersionedEvent::metadata)
        .containsExactlyInAnyOrder(full.metadata(), fullOfCharacters.metadata());
  }

  @Test
  void an_event_at_the_entry_limit_that_the_relay_publishes_does_not_hold_it_back() {
    build();
    // Committed but never published, as after a save outside a handler whose process died before
    // the publish: the relay sends them after its grace period, the one at the limit first.
    Instant created = Instant.now().minus(Duration.ofSeconds(10));
    VersionedEvent full =
        VersionedEvent.builder("acc-1", 1, new Deposited(10))
            .created(created)
            .metadata(fullOfEntries())
            .build();
    VersionedEvent next =
        VersionedEvent.builder("acc-2", 1, new Deposited(20)).created(created).build();
    cqrs.store().save(new StreamAppend("acc-1", 0, List.of(full), null, "Account"));
    cqrs.store().save(new StreamAppend("acc-2", 0, List.of(next), null, "Account"));
    cqrs.start();

    Await.until("both events heard", () -> heard.size() == 2);
    assertThat(heard).extracting(VersionedEvent::sourceId).containsExactly("acc-1", "acc-2");
    assertThat(heard.get(0).metadata()).isEqualTo(full.metadata());
  }
}
