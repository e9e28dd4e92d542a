package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LeaseDocumentsTest {
  @Test
  void the_expiry_asked_for_is_the_ttl_rounded_up_to_seconds_plus_the_second_the_server_may_cut() {
    assertThat(LeaseDocuments.expiry(Duration.ofMillis(1))).isEqualTo(Duration.ofSeconds(2));
    assertThat(LeaseDocuments.expiry(Duration.ofSeconds(1))).isEqualTo(Duration.ofSeconds(2));
    assertThat(LeaseDocuments.expiry(Duration.ofMillis(1500))).isEqualTo(Duration.ofSeconds(3));
    assertThat(LeaseDocuments.expiry(Duration.ofSeconds(10))).isEqualTo(Duration.ofSeconds(11));
  }

  @Test
  void the_longest_ttl_stays_an_expiry_relative_to_the_servers_clock() {
    // From 30 days on, the SDK sends an expiry as a point in time read from the client's clock.
    assertThat(LeaseDocuments.expiry(LeaseDocuments.MAX_TTL)).isLessThan(Duration.ofDays(30));
  }
}
