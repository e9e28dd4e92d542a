package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The metadata of envelopes: immutable, equal to any map with the same entries, and shared rather
 * than copied where one envelope's metadata becomes another's (a copy per hop of a traced message
 * was most of what tracing allocated).
 */
class EnvelopeMetadataTest {
  record Deposit(String account) {}

  record Deposited(String account) {}

  private static Command command(Map<String, String> metadata) {
    return new Command("m-1", "c-1", null, "Deposit", Instant.now(), new Deposit("a"), metadata);
  }

  private static VersionedEvent event(Map<String, String> metadata) {
    return new VersionedEvent(
        "e-1",
        "c-1",
        "m-1",
        "a",
        null,
        null,
        1,
        "Deposited",
        Instant.now(),
        new Deposited("a"),
        metadata);
  }

  @Test
  void with_metadata_adds_entries_and_replaces_those_of_the_same_keys() {
    Command command = command(Map.of("a", "1", "b", "2"));

    Command more = command.withMetadata(Map.of("b", "20", "c", "3"));

    assertThat(more.metadata()).isEqualTo(Map.of("a", "1", "b", "20", "c", "3"));
    assertThat(more.metadata().get("b")).isEqualTo("20");
    assertThat(more.metadata()).containsKey("c").doesNotContainKey("d");
    assertThat(command.metadata()).isEqualTo(Map.of("a", "1", "b", "2"));
    assertThat(event(Map.of()).withMetadata("k", "v").metadata()).isEqualTo(Map.of("k", "v"));
  }

  @Test
  void many_entries_merge_as_few_do() {
    Map<String, String> base = new HashMap<>();
    for (int i = 0; i < 10; i++) {
      base.put("k" + i, "v" + i);
    }
    Map<String, String> expected = new HashMap<>(base);
    expected.put("k3", "new");
    expected.put("extra", "x");

    VersionedEvent event = event(base).withMetadata(Map.of("k3", "new", "extra", "x"));

    assertThat(event.metadata()).isEqualTo(expected).hasSize(11);
    assertThat(event.metadata().hashCode()).isEqualTo(expected.hashCode());
    assertThat(expected).isEqualTo(event.metadata());
  }

  @Test
  void metadata_cannot_be_changed() {
    Map<String, String> metadata = command(Map.of("a", "1")).withMetadata("b", "2").metadata();

    assertThatThrownBy(() -> metadata.put("c", "3"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> metadata.remove("a"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(metadata::clear).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> metadata.entrySet().iterator().next().setValue("x"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(metadata).isEqualTo(Map.of("a", "1", "b", "2"));
  }

  @Test
  void an_envelope_copies_a_map_it_is_given_but_shares_another_envelopes_metadata() {
    Map<String, String> mutable = new LinkedHashMap<>(Map.of("a", "1"));
    Command command = command(mutable);
    mutable.put("b", "2");

    assertThat(command.metadata()).isEqualTo(Map.of("a", "1"));
    // Already immutable and checked: the event takes it as it is, as Map.copyOf does its own.
    assertThat(event(command.metadata()).metadata()).isSameAs(command.metadata());
  }

  @Test
  void entries_added_later_are_checked_as_at_construction() {
    Command command = command(Map.of("a", "1"));

    assertThatThrownBy(() -> command.withMetadata(Map.of(" ", "x")))
        .isInstanceOf(IllegalArgumentException.class);
    Map<String, String> nullValue = new HashMap<>();
    nullValue.put("k", null);
    assertThatThrownBy(() -> command.withMetadata(nullValue))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> command.withMetadata("big", "x".repeat(MetadataKey.MAX_TOTAL_LENGTH)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("m-1");
  }

  @Test
  void fits_says_whether_with_metadata_would_accept_the_entries() {
    Map<String, String> full = new HashMap<>();
    for (int i = 0; i < MetadataKey.MAX_ENTRIES; i++) {
      full.put("k" + i, "v");
    }
    Map<String, String> trace = Map.of("traceparent", "00-" + "1".repeat(32) + "-2-01");
    Map<String, String> oneShort = new HashMap<>(full);
    oneShort.remove("k0");
    // At the character limit: a replacement of the same length fits, one character more does not.
    Map<String, String> atCharacters = Map.of("big", "x".repeat(MetadataKey.MAX_TOTAL_LENGTH - 3));

    assertThat(MetadataKey.fits(full, trace)).isFalse();
    assertThatThrownBy(() -> command(full).withMetadata(trace))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(MetadataKey.fits(full, Map.of("k0", "w"))).isTrue(); // replaces, adds nothing
    assertThat(MetadataKey.fits(oneShort, trace)).isTrue();
    assertThat(command(oneShort).withMetadata(trace).metadata()).hasSize(MetadataKey.MAX_ENTRIES);
    assertThat(
            MetadataKey.fits(
                atCharacters, Map.of("big", "y".repeat(MetadataKey.MAX_TOTAL_LENGTH - 3))))
        .isTrue();
    assertThat(
            MetadataKey.fits(
                atCharacters, Map.of("big", "y".repeat(MetadataKey.MAX_TOTAL_LENGTH - 2))))
        .isFalse();
    assertThat(MetadataKey.fits(atCharacters, Map.of("k", ""))).isFalse();
    assertThat(MetadataKey.fits(Map.of(), Map.of(" ", "x"))).isFalse();
    assertThat(MetadataKey.fits(Map.of(), Map.of("k".repeat(MetadataKey.MAX_KEY_LENGTH + 1), "x")))
        .isFalse();
  }
}
