package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.couchbase.client.java.Collection;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;

/** Settings are validated when set, without touching the network. */
class CouchbaseEventStreamRepositoryBuilderTest {
  private final CouchbaseEventStreamRepository.Builder builder =
      CouchbaseEventStreamRepository.builder("couchbase://db", TestEvents.serializer())
          .credentials("user", "secret")
          .bucket("bucket");

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
    // Reckoned in nanoseconds while the bucket is awaited, where a "never" would overflow.
    assertThatThrownBy(() -> builder.connectTimeout(ChronoUnit.FOREVER.getDuration()))
        .hasMessageContaining("connectTimeout must be at most 365 days");
  }

  @Test
  void required_arguments_are_checked_naming_them() {
    assertThatThrownBy(() -> builder.credentials("user", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("password");
    assertThatThrownBy(() -> builder.bucket(" ")).hasMessageContaining("bucketName");
    assertThatThrownBy(
            () ->
                CouchbaseEventStreamRepository.builder((Collection) null, TestEvents.serializer()))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("collection");
    assertThatThrownBy(
            () -> CouchbaseEventStreamRepository.builder((String) null, TestEvents.serializer()))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("connectionString");
    assertThatThrownBy(() -> builder.collection("scope", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("collectionName");
  }

  @Test
  void a_repository_that_connects_itself_needs_credentials_and_a_bucket_before_connecting() {
    assertThatThrownBy(
            () ->
                CouchbaseEventStreamRepository.builder("couchbase://db", TestEvents.serializer())
                    .bucket("bucket")
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("credentials(username, password)");
    assertThatThrownBy(
            () ->
                CouchbaseEventStreamRepository.builder("couchbase://db", TestEvents.serializer())
                    .credentials("user", "secret")
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("bucket(name)");
  }
}
