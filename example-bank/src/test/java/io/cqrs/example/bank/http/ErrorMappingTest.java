package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.ConcurrencyException;
import io.cqrs.example.bank.http.ApiJson.ErrorJson;
import org.junit.jupiter.api.Test;

/** The statuses that a test over HTTP cannot provoke on demand. */
class ErrorMappingTest {

  @Test
  void conflicts_that_outlast_the_retries_answer_503_retry_after() {
    Response response = ErrorMapping.toResponse(new ConcurrencyException("acc-1", 3, 4));

    assertThat(response.status()).isEqualTo(503);
    assertThat(response.headers()).containsEntry("Retry-After", "1");
    assertThat(((ErrorJson) response.body()).error()).isEqualTo("busy");
  }

  @Test
  void unexpected_failures_answer_500_without_their_details() {
    Response response =
        ErrorMapping.toResponse(new IllegalStateException("connection string with a password"));

    assertThat(response.status()).isEqualTo(500);
    assertThat(((ErrorJson) response.body()).message()).doesNotContain("password");
  }
}
