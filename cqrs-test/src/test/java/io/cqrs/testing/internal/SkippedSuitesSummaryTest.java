package io.cqrs.testing.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SkippedSuitesSummaryTest {

  @Test
  void no_record_says_no_suite_was_skipped() {
    assertThat(SkippedSuitesSummary.summary(List.of()))
        .isEqualTo("No suite skipped for lack of a server");
  }

  @Test
  void suites_are_counted_once_per_server_with_each_servers_remedy() {
    List<String[]> records =
        List.of(
            new String[] {"RabbitMQ", "set CQRS_RABBITMQ_URI", "a.BusIT", "refused"},
            new String[] {"RabbitMQ", "set CQRS_RABBITMQ_URI", "a.BusIT", "refused"},
            new String[] {"RabbitMQ", "set CQRS_RABBITMQ_URI, or else", "a.OtherIT", "refused"},
            new String[] {"Couchbase", "set CQRS_COUCHBASE_CONNECTION", "b.StoreIT", "gone"});

    assertThat(SkippedSuitesSummary.summary(records))
        .isEqualTo(
            "Skipped for lack of a server: 3 suites (Couchbase: 1, RabbitMQ: 2) — set"
                + " CQRS_COUCHBASE_CONNECTION; set CQRS_RABBITMQ_URI, or else");
  }
}
