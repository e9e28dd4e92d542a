package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventSerializer;
import io.cqrs.TypeName;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.StreamAppend;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A stream written by an earlier version of the application (the test's {@code Deposited} at
 * revision 1, through the store as it writes today) loads through the upcasters of the current
 * version, mixed with what the current version appends, from the stream and the integration log.
 */
class CouchbaseSchemaEvolutionIT extends RepositoryIT {
  /** Today's Deposited: revision 2 added the currency; every earlier deposit was in euros. */
  @TypeName(value = "Deposited", revision = 2)
  record DepositedInCurrency(long amount, String currency) {}

  /** Today's name of what the earlier version called "Noted". */
  record Remarked(String text) {}

  private CouchbaseEventStreamRepository currentVersion() {
    TypeRegistry registry =
        new TypeRegistry()
            .registerEvents(DepositedInCurrency.class, Remarked.class)
            .upcaster(DepositedInCurrency.class, 1, payload -> payload.put("currency", "EUR"))
            .alias("Noted", Remarked.class);
    return CouchbaseEventStreamRepository.builder(collection, new EventSerializer(registry))
        .keyPrefix(prefix)
        .gapGracePeriod(SHORT_GRACE)
        .build();
  }

  @Test
  void a_stream_of_old_revisions_and_names_loads_as_today_mixed_with_new_events_in_order() {
    CouchbaseEventStreamRepository earlierVersion = repository();
    List<VersionedEvent> old = batch("acc-1", 0, 2);
    earlierVersion.save(StreamAppend.of("acc-1", 0, old));
    earlierVersion.save(
        StreamAppend.of(
            "acc-1",
            2,
            List.of(TestEvents.event("acc-1", 3, new TestEvents.Noted("moved"), "corr-note"))));

    CouchbaseEventStreamRepository today = currentVersion();
    today.save(
        StreamAppend.of(
            "acc-1",
            3,
            List.of(TestEvents.event("acc-1", 4, new DepositedInCurrency(7, "USD"), "corr-new"))));

    List<VersionedEvent> loaded = today.load("acc-1");
    assertThat(loaded).extracting(VersionedEvent::version).containsExactly(1L, 2L, 3L, 4L);
    assertThat(loaded)
        .extracting(VersionedEvent::event)
        .containsExactly(
            new DepositedInCurrency(1, "EUR"),
            new DepositedInCurrency(2, "EUR"),
            new Remarked("moved"),
            new DepositedInCurrency(7, "USD"));
    assertThat(loaded)
        .extracting(VersionedEvent::eventType)
        .containsExactly("Deposited", "Deposited", "Remarked", "Deposited");
    assertThat(loaded.get(0).id()).isEqualTo(old.get(0).id());
    assertThat(raw(keys.log(1)).orElseThrow()).doesNotContain("\"revision\"");
    assertThat(raw(keys.log(3)).orElseThrow()).contains("\"revision\":2");

    assertThat(today.readLog(1, 10))
        .extracting(LoggedEvent::event)
        .extracting(VersionedEvent::event)
        .containsExactlyElementsOf(loaded.stream().map(VersionedEvent::event).toList());
  }
}
