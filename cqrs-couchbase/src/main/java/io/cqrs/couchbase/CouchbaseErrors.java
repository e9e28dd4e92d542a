package io.cqrs.couchbase;

import com.couchbase.client.core.error.CouchbaseException;
import com.couchbase.client.core.error.DocumentLockedException;
import com.couchbase.client.core.error.DurabilityAmbiguousException;
import com.couchbase.client.core.error.RequestCanceledException;
import com.couchbase.client.core.error.ServerOutOfMemoryException;
import com.couchbase.client.core.error.ServiceNotAvailableException;
import com.couchbase.client.core.error.TemporaryFailureException;
import com.couchbase.client.core.error.TimeoutException;
import com.couchbase.client.core.error.subdoc.DocumentNotJsonException;
import io.cqrs.CqrsException;
import io.cqrs.NonTransientCqrsException;
import io.cqrs.SerializationException;
import io.cqrs.TransientCqrsException;

/**
 * Maps SDK exceptions to the framework's at the adapter boundary, cause kept: what a retry may cure
 * (timeouts, a busy or briefly unreachable server) becomes {@link TransientCqrsException}, and so
 * does a write whose outcome is unknown (a timeout, a synchronous-durability write the server could
 * not confirm, a wait interrupted); everything else {@link NonTransientCqrsException}.
 */
final class CouchbaseErrors {
  private CouchbaseErrors() {}

  /**
   * The framework exception for a failed operation.
   *
   * @param operation what was attempted, naming the key, e.g. {@code "get of 'app::h::acc-1'"}
   */
  static RuntimeException map(String operation, Throwable error) {
    if (error instanceof CqrsException cqrs) {
      return cqrs;
    }
    if (error instanceof TimeoutException) {
      return new TransientCqrsException(
          "Couchbase " + operation + " timed out; it may or may not have taken effect", error);
    }
    if (error instanceof DurabilityAmbiguousException) {
      // A synchronous-durability write caught by a failover or a replica outage: the server may
      // still commit it. Not a final failure (a command must not be recorded as failed on it):
      // the caller finds out by reading, as after a timeout.
      return new TransientCqrsException(
          "Couchbase "
              + operation
              + " could not be confirmed durable; it may or may not have taken effect",
          error);
    }
    if (error instanceof InterruptedException) {
      Thread.currentThread().interrupt();
      return new TransientCqrsException(
          "Couchbase "
              + operation
              + " was interrupted while waiting; it may or may not have taken effect",
          error);
    }
    if (isTransient(error)) {
      return new TransientCqrsException(
          "Couchbase " + operation + " failed for now: " + error.getMessage(), error);
    }
    if (error instanceof DocumentNotJsonException) {
      return new SerializationException(
          "Couchbase " + operation + " found a document that is not JSON", error);
    }
    if (error instanceof CouchbaseException) {
      return new NonTransientCqrsException(
          "Couchbase " + operation + " failed: " + error.getMessage(), error);
    }
    if (error instanceof RuntimeException runtime) {
      return runtime;
    }
    return new NonTransientCqrsException(
        "Couchbase " + operation + " failed: " + error.getMessage(), error);
  }

  private static boolean isTransient(Throwable error) {
    return error instanceof RequestCanceledException
        || error instanceof TemporaryFailureException
        || error instanceof ServiceNotAvailableException
        || error instanceof DocumentLockedException
        || error instanceof ServerOutOfMemoryException;
  }
}
