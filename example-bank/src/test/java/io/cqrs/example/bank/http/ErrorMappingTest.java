package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.ConcurrencyException;
import io.cqrs.example.bank.domain.InsufficientFundsException;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/** The statuses that a test over HTTP cannot provoke on demand. */
class ErrorMappingTest {

  @Test
  void conflicts_that_outlast_the_retries_answer_503_retry_after() {
    ErrorMapping.Failure failure = ErrorMapping.of(new ConcurrencyException("acc-1", 3, 4));

    assertThat(failure.status()).isEqualTo(503);
    assertThat(failure.headers()).containsEntry("Retry-After", "1");
    assertThat(failure.code()).isEqualTo("busy");
  }

  @Test
  void unexpected_failures_answer_500_without_their_details() {
    ErrorMapping.Failure failure =
        ErrorMapping.of(new IllegalStateException("connection string with a password"));

    assertThat(failure.status()).isEqualTo(500);
    assertThat(failure.detail()).doesNotContain("password");
  }

  @Test
  void a_recorded_rejection_maps_by_its_class_name_and_an_unknown_one_is_not_a_rejection() {
    String insufficient =
        new InsufficientFundsException("a", BigDecimal.ONE, BigDecimal.TEN).getClass().getName();

    assertThat(ErrorMapping.rejection(insufficient, "no").code()).isEqualTo("insufficient_funds");
    assertThat(ErrorMapping.rejection("io.cqrs.example.bank.domain.NoSuchException", "x")).isNull();
    assertThat(ErrorMapping.rejection("java.lang.Runtime", "x")).isNull();
  }

  @Test
  void a_problem_never_echoes_more_than_500_characters_of_detail() {
    Problem problem = Problem.of(400, "bad_request", "x".repeat(100_000), "/p", null);

    assertThat(problem.detail()).hasSizeLessThan(510);
  }
}
