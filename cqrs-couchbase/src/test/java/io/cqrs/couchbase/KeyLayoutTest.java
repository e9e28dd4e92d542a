package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KeyLayoutTest {
  private final KeyLayout keys = new KeyLayout("app");

  @Test
  void every_key_starts_with_the_prefix() {
    assertThat(keys.sequence()).isEqualTo("app::seq");
    assertThat(keys.log(7)).isEqualTo("app::log::7");
    assertThat(keys.claim("acc-1", 3)).isEqualTo("app::v::acc-1::3");
    assertThat(keys.head("acc-1")).isEqualTo("app::h::acc-1");
    assertThat(keys.snapshot("acc-1")).isEqualTo("app::snap::acc-1");
    assertThat(keys.correlation("c-1")).isEqualTo("app::corr::c-1");
  }

  @Test
  void the_longest_allowed_stream_id_fits_every_key_with_the_largest_version() {
    String longest = "x".repeat(keys.maxStreamIdBytes());

    assertThat(keys.checkStreamId(longest)).isEqualTo(longest);
    assertThat(utf8(keys.claim(longest, Long.MAX_VALUE))).isEqualTo(KeyLayout.MAX_KEY_BYTES);
    assertThat(utf8(keys.snapshot(longest))).isLessThanOrEqualTo(KeyLayout.MAX_KEY_BYTES);
  }

  @Test
  void a_stream_id_one_byte_too_long_is_rejected_counting_utf8_bytes() {
    String tooLong =
        "ü".repeat(keys.maxStreamIdBytes() / 2) + "x".repeat(keys.maxStreamIdBytes() % 2 + 1);

    assertThat(utf8(tooLong)).isEqualTo(keys.maxStreamIdBytes() + 1);
    assertThatThrownBy(() -> keys.checkStreamId(tooLong))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("streamId '" + tooLong.substring(0, 40))
        .hasMessageContaining("at most " + keys.maxStreamIdBytes() + " bytes")
        .hasMessageContaining("'app'");
  }

  @Test
  void the_default_prefix_leaves_220_bytes_for_stream_ids_as_documented() {
    assertThat(new KeyLayout(CouchbaseEventStreamRepository.DEFAULT_KEY_PREFIX).maxStreamIdBytes())
        .isEqualTo(220);
  }

  @Test
  void a_longer_prefix_leaves_room_for_shorter_stream_ids() {
    assertThat(new KeyLayout("a-much-longer-prefix").maxStreamIdBytes())
        .isEqualTo(keys.maxStreamIdBytes() - "a-much-longer-prefix".length() + "app".length());
  }

  @Test
  void blank_and_null_stream_ids_are_rejected_naming_the_argument() {
    assertThatThrownBy(() -> keys.checkStreamId(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("streamId");
    assertThatThrownBy(() -> keys.checkStreamId(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("streamId");
  }

  @Test
  void prefixes_outside_the_safe_alphabet_are_rejected_naming_the_setting() {
    for (String bad : new String[] {"", "a::b", "with space", "x".repeat(65), "ü"}) {
      assertThatThrownBy(() -> new KeyLayout(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("keyPrefix");
    }
  }

  @Test
  void a_correlation_id_too_long_for_a_key_is_hashed_into_one() {
    String longId = "c".repeat(300);

    String key = keys.correlation(longId);

    assertThat(key).startsWith("app::corrh::").doesNotContain(longId);
    assertThat(utf8(key)).isLessThanOrEqualTo(KeyLayout.MAX_KEY_BYTES);
    assertThat(keys.correlation(longId)).isEqualTo(key);
    assertThat(keys.correlation(longId + "d")).isNotEqualTo(key);
  }

  private static int utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8).length;
  }

  @Test
  void a_cause_tag_is_eleven_url_safe_characters_whatever_the_id() {
    String huge = "m".repeat(100_000);
    String odd = "\u0000ü\n\"{}[]\ud83d\ude00";
    for (String id : java.util.List.of("cmd-1", huge, odd, "")) {
      assertThat(KeyLayout.causeTag(id)).hasSize(11).matches("[A-Za-z0-9_-]{11}");
      assertThat(KeyLayout.causeTag(id)).isEqualTo(KeyLayout.causeTag(new String(id)));
    }
    assertThat(KeyLayout.causeTag("cmd-1")).isNotEqualTo(KeyLayout.causeTag("cmd-2"));
    assertThat(KeyLayout.causeTag(huge)).isNotEqualTo(KeyLayout.causeTag(huge + "m"));
  }

  /** The SDK writes '?' for an unpaired surrogate: such an id is hashed into its key instead. */
  @Test
  void correlation_ids_and_processor_names_with_an_unpaired_surrogate_get_keys_of_their_own() {
    KeyLayout keys = new KeyLayout("cqrs");
    assertThat(bytes(keys.correlation("order-\uD83D")))
        .isNotEqualTo(bytes(keys.correlation("order-?")));
    assertThat(keys.correlation("order-\uD83D")).startsWith("cqrs::corrh::");
    assertThat(keys.correlation("order-\uD83D\uDE00")).isEqualTo("cqrs::corr::order-\uD83D\uDE00");
    assertThat(bytes(keys.processorSegment("p\uD83D", 0)))
        .isNotEqualTo(bytes(keys.processorSegment("p?", 0)));
  }

  private static byte[] bytes(String key) {
    return key.getBytes(StandardCharsets.UTF_8);
  }
}
