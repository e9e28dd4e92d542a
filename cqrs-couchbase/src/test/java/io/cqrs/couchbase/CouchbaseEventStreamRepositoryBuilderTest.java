package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Settings are validated when set, without touching the network. */
class CouchbaseEventStreamRepositoryBuilderTest {
  private final CouchbaseEventStreamRepository.Builder builder =
      CouchbaseEventStreamRepository.builder(
          "couchbase://db", "user", "secret", "bucket", TestEvents.serializer());

  @Test
  void each_bad_setting_is_rejected_with_a_message_naming_it() {
    assertThatThrownBy(() -> builder.keyPrefix("a::b")).hasMessageContaining("keyPrefix");
    assertThatThrownBy(() -> builder.gapGracePeriod(Duration.ZERO))
        .hasMessageContaining("gapGracePeriod");
    assertThatThrownBy(() -> builder.gapGracePeriod(Duration.ofHours(1)))
        .hasMessageContaining("gapGracePeriod");
    assertThatThrownBy(() -> builder.maxDocumentBytes(100))
        .hasMessageContaining("maxDocumentBytes");
    assertThatThrownBy(
            () -> builder.maxDocumentBytes(CouchbaseEventStreamRepository.MAX_DOCUMENT_BYTES + 1))
        .hasMessageContaining("maxDocumentBytes");
    assertThatThrownBy(() -> builder.loadConcurrency(0)).hasMessageContaining("loadConcurrency");
    assertThatThrownBy(() -> builder.connectTimeout(Duration.ofSeconds(-1)))
        .hasMessageContaining("connectTimeout");
  }

  @Test
  void required_arguments_are_checked_naming_them() {
    assertThatThrownBy(
            () ->
                CouchbaseEventStreamRepository.builder(
                    "couchbase://db", "user", null, "bucket", TestEvents.serializer()))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("password");
    assertThatThrownBy(() -> CouchbaseEventStreamRepository.builder(null, TestEvents.serializer()))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("collection");
    assertThatThrownBy(() -> builder.collection("scope", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("collectionName");
  }
}
