package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import com.couchbase.client.core.error.AmbiguousTimeoutException;
import com.couchbase.client.core.error.CouchbaseException;
import com.couchbase.client.core.error.DurabilityAmbiguousException;
import com.couchbase.client.core.error.TemporaryFailureException;
import com.couchbase.client.core.error.UnambiguousTimeoutException;
import com.couchbase.client.core.error.context.ErrorContext;
import com.couchbase.client.core.error.subdoc.DocumentNotJsonException;
import com.couchbase.client.core.msg.ResponseStatus;
import io.cqrs.ConcurrencyException;
import io.cqrs.NonTransientCqrsException;
import io.cqrs.SerializationException;
import io.cqrs.TransientCqrsException;
import org.junit.jupiter.api.Test;

class CouchbaseErrorsTest {

  @Test
  void timeouts_become_transient_keeping_the_cause_and_saying_the_outcome_is_unknown() {
    AmbiguousTimeoutException timeout = new AmbiguousTimeoutException("slow", null);

    RuntimeException mapped = CouchbaseErrors.map("insert of 'k'", timeout);

    assertThat(mapped)
        .isInstanceOf(TransientCqrsException.class)
        .hasCause(timeout)
        .hasMessageContaining("insert of 'k'")
        .hasMessageContaining("may or may not");
    assertThat(CouchbaseErrors.map("get", new UnambiguousTimeoutException("slow", null)))
        .isInstanceOf(TransientCqrsException.class);
  }

  /**
   * A synchronous-durability write a failover caught may still commit: it was non-transient, so a
   * command dispatcher recorded the command as failed for good (every redelivery then found it
   * failed) although its effect could land. A wait interrupted is as ambiguous.
   */
  @Test
  void a_write_whose_durability_is_ambiguous_or_whose_wait_was_interrupted_is_transient() {
    DurabilityAmbiguousException ambiguous = new DurabilityAmbiguousException(null);

    assertThat(CouchbaseErrors.map("insert of 'k'", ambiguous))
        .isInstanceOf(TransientCqrsException.class)
        .hasCause(ambiguous)
        .hasMessageContaining("may or may not");

    InterruptedException interrupted = new InterruptedException();
    try {
      assertThat(CouchbaseErrors.map("insert of 'k'", interrupted))
          .isInstanceOf(TransientCqrsException.class)
          .hasCause(interrupted)
          .hasMessageContaining("may or may not");
      assertThat(Thread.currentThread().isInterrupted()).as("interrupt kept").isTrue();
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void a_busy_server_is_transient() {
    TemporaryFailureException busy = new TemporaryFailureException(null);

    assertThat(CouchbaseErrors.map("get of 'k'", busy))
        .isInstanceOf(TransientCqrsException.class)
        .hasCause(busy);
  }

  @Test
  void a_document_that_is_not_json_is_a_serialization_error() {
    DocumentNotJsonException notJson = new DocumentNotJsonException(null);

    assertThat(CouchbaseErrors.map("lookup in 'k'", notJson))
        .isInstanceOf(SerializationException.class)
        .hasCause(notJson)
        .hasMessageContaining("'k'");
  }

  @Test
  void other_sdk_failures_are_non_transient_and_framework_exceptions_pass_through() {
    CouchbaseException denied = new CouchbaseException("access denied");
    ConcurrencyException conflict = new ConcurrencyException("s", 1, 2);

    assertThat(CouchbaseErrors.map("get of 'k'", denied))
        .isInstanceOf(NonTransientCqrsException.class)
        .hasCause(denied)
        .hasMessageContaining("access denied");
    assertThat(CouchbaseErrors.map("get", conflict)).isSameAs(conflict);
  }

  @Test
  void a_server_that_does_not_know_an_operation_is_told_apart_from_other_failures() {
    CouchbaseException unknown =
        new CouchbaseException("unknown", new ErrorContext(ResponseStatus.UNKNOWN) {});
    CouchbaseException unsupported =
        new CouchbaseException("unsupported", new ErrorContext(ResponseStatus.UNSUPPORTED) {});
    CouchbaseException busy =
        new CouchbaseException("busy", new ErrorContext(ResponseStatus.TEMPORARY_FAILURE) {});

    assertThat(Kv.unsupported(unknown)).isTrue();
    assertThat(Kv.unsupported(unsupported)).isTrue();
    assertThat(Kv.unsupported(busy)).isFalse();
    assertThat(Kv.unsupported(new CouchbaseException("no context"))).isFalse();
    assertThat(Kv.unsupported(new UnambiguousTimeoutException("slow", null))).isFalse();
  }
}
