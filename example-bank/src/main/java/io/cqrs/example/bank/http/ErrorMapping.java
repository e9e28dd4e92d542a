package io.cqrs.example.bank.http;

import io.cqrs.TransientCqrsException;
import io.cqrs.example.bank.domain.AccountClosedException;
import io.cqrs.example.bank.domain.AccountNotEmptyException;
import io.cqrs.example.bank.domain.AlreadyExistsException;
import io.cqrs.example.bank.domain.BankException;
import io.cqrs.example.bank.domain.InsufficientFundsException;
import io.cqrs.example.bank.domain.UnknownAccountException;
import io.cqrs.example.bank.domain.UnknownTransferException;
import io.cqrs.example.bank.http.ApiJson.ErrorJson;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what a request failed with into a response: invalid input 400, unknown accounts and
 * transfers 404, refusals by the bank's rules 409 (insufficient funds among them), conflicts that
 * outlasted the dispatcher's retries 503, anything else 500 without internals in the body.
 */
final class ErrorMapping {
  private static final Logger log = LoggerFactory.getLogger(ErrorMapping.class);

  private ErrorMapping() {}

  static Response toResponse(Throwable failure) {
    if (failure instanceof ApiException e) {
      return error(e.status(), e.code(), e.getMessage(), e.headers());
    }
    if (failure instanceof IllegalArgumentException) {
      return error(400, "invalid_request", failure.getMessage(), Map.of());
    }
    if (failure instanceof UnknownAccountException || failure instanceof UnknownTransferException) {
      return error(404, "not_found", failure.getMessage(), Map.of());
    }
    if (failure instanceof BankException) {
      return error(409, conflictCode((BankException) failure), failure.getMessage(), Map.of());
    }
    if (failure instanceof TransientCqrsException) {
      // Includes ConcurrencyException: the dispatcher retried the conflict and gave up.
      log.warn("Request failed transiently; the client is told to retry: {}", failure.toString());
      return error(
          503,
          "busy",
          "The bank is busy (" + failure.getMessage() + "); please retry",
          Map.of("Retry-After", "1"));
    }
    log.error("Request failed", failure);
    return error(500, "internal_error", "Internal error; the server log has the details", Map.of());
  }

  private static String conflictCode(BankException refusal) {
    if (refusal instanceof InsufficientFundsException) {
      return "insufficient_funds";
    }
    if (refusal instanceof AccountClosedException) {
      return "account_closed";
    }
    if (refusal instanceof AccountNotEmptyException) {
      return "account_not_empty";
    }
    if (refusal instanceof AlreadyExistsException) {
      return "already_exists";
    }
    return "refused";
  }

  private static Response error(
      int status, String code, String message, Map<String, String> headers) {
    return new Response(status, new ErrorJson(code, message), headers);
  }
}
