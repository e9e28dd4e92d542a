package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RelayCoordinationTest {

  @Test
  void a_lease_document_outlives_its_ttl_despite_whole_second_expiry() {
    assertThat(RelayCoordination.expiry(Duration.ofMillis(200))).isEqualTo(Duration.ofSeconds(2));
    assertThat(RelayCoordination.expiry(Duration.ofSeconds(10))).isEqualTo(Duration.ofSeconds(11));
    assertThat(RelayCoordination.expiry(Duration.ofMillis(10_001)))
        .isEqualTo(Duration.ofSeconds(12));
  }
}
