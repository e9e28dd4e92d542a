package io.cqrs.example.bank.http;

import io.cqrs.SerializationException;
import io.cqrs.TransientCqrsException;
import io.cqrs.example.bank.domain.AccountClosedException;
import io.cqrs.example.bank.domain.AccountNotEmptyException;
import io.cqrs.example.bank.domain.AlreadyExistsException;
import io.cqrs.example.bank.domain.BalanceLimitException;
import io.cqrs.example.bank.domain.BankException;
import io.cqrs.example.bank.domain.InsufficientFundsException;
import io.cqrs.example.bank.domain.UnknownAccountException;
import io.cqrs.example.bank.domain.UnknownTransferException;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import org.eclipse.jetty.http.BadMessageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what a request failed with into a problem: invalid input 400, unknown accounts and
 * transfers 404, refusals by the bank's rules 409 (insufficient funds among them), conflicts that
 * outlasted the dispatcher's retries 503, anything else 500 without internals in the body.
 */
final class ErrorMapping {
  private static final Logger log = LoggerFactory.getLogger(ErrorMapping.class);

  private ErrorMapping() {}

  /** What a response says about a failure. */
  record Failure(
      int status, String code, String detail, String field, Map<String, String> headers) {
    Failure(int status, String code, String detail) {
      this(status, code, detail, null, Map.of());
    }
  }

  static Failure of(Throwable failure) {
    if (failure instanceof ApiException e) {
      return new Failure(e.status(), e.code(), e.getMessage(), e.field(), e.headers());
    }
    if (failure instanceof HttpResponseException e) {
      // Javalin's own: a body over the limit (413), a wrong method (405), and so on.
      return new Failure(e.getStatus(), code(e.getStatus()), e.getMessage());
    }
    if (failure instanceof BadMessageException e) {
      // Jetty's: a request it could not read (a timeout while reading the body among them).
      return new Failure(e.getCode(), code(e.getCode()), "The request could not be read");
    }
    if (failure instanceof IOException || failure instanceof UncheckedIOException) {
      // The client went away or stalled mid-body: its problem, not a server error to log.
      return new Failure(400, "bad_request", "The request body could not be read");
    }
    if (failure instanceof SerializationException) {
      log.warn("A stored document could not be read: {}", failure.getMessage());
      return new Failure(
          500, "unreadable_document", "A stored document of this resource cannot be read");
    }
    if (failure instanceof IllegalArgumentException) {
      return new Failure(400, "invalid_request", failure.getMessage());
    }
    if (failure instanceof TransientCqrsException) {
      // Includes ConcurrencyException: the dispatcher retried the conflict and gave up.
      log.warn("Request failed transiently; the client is told to retry: {}", failure.toString());
      return new Failure(
          503, "busy", "The bank is busy; please retry", null, Map.of("Retry-After", "1"));
    }
    Failure rejection = rejection(failure.getClass().getName(), failure.getMessage());
    if (rejection != null) {
      return rejection;
    }
    log.error("Request failed", failure);
    return new Failure(500, "internal_error", "Internal error; the server log has the details");
  }

  /**
   * How a refusal by the bank reads, from the exception's class name (as a {@code CommandFailed}
   * event records it, for a command handled elsewhere); {@code null} if it is not one.
   */
  static Failure rejection(String errorType, String message) {
    if (is(errorType, IllegalArgumentException.class)) {
      return new Failure(400, "invalid_request", message);
    }
    if (is(errorType, UnknownAccountException.class)
        || is(errorType, UnknownTransferException.class)) {
      return new Failure(404, "not_found", message);
    }
    if (is(errorType, InsufficientFundsException.class)) {
      return new Failure(409, "insufficient_funds", message);
    }
    if (is(errorType, AccountClosedException.class)) {
      return new Failure(409, "account_closed", message);
    }
    if (is(errorType, AccountNotEmptyException.class)) {
      return new Failure(409, "account_not_empty", message);
    }
    if (is(errorType, BalanceLimitException.class)) {
      return new Failure(409, "balance_limit", message);
    }
    if (is(errorType, AlreadyExistsException.class)) {
      return new Failure(409, "already_exists", message);
    }
    if (isBankException(errorType)) {
      return new Failure(409, "refused", message);
    }
    return null;
  }

  private static boolean is(String errorType, Class<?> type) {
    return type.getName().equals(errorType);
  }

  /** Whether a recorded class name is one of the domain's refusals (looked up in its package). */
  private static boolean isBankException(String errorType) {
    if (!errorType.startsWith(BankException.class.getPackageName() + ".")) {
      return false;
    }
    try {
      return BankException.class.isAssignableFrom(
          Class.forName(errorType, false, BankException.class.getClassLoader()));
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /** The problem code of a status Javalin or Jetty answered with. */
  static String code(int status) {
    return switch (status) {
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 413 -> "too_large";
      case 415 -> "unsupported_media_type";
      case 431 -> "headers_too_large";
      default -> status >= 500 ? "internal_error" : "bad_request";
    };
  }
}
