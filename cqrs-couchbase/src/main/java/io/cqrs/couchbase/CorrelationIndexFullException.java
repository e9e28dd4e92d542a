package io.cqrs.couchbase;

import io.cqrs.NonTransientCqrsException;

/**
 * A commit could not be listed in the index of one of its correlation ids: that correlation's
 * document is at Couchbase's document size limit (20 MiB, about 900,000 commits under one
 * correlation id). The commit is abandoned, not committed, so that the integration log goes on past
 * it; every later save in that correlation fails so too. A process that lives for ever under one
 * correlation id must start new ones ({@code Command.create} rather than {@code Command.reactingTo}
 * for each new cycle). See {@code docs/couchbase.md}, "Sizing a bucket".
 */
public final class CorrelationIndexFullException extends NonTransientCqrsException {
  private static final long serialVersionUID = 1L;

  private final String correlationId;

  CorrelationIndexFullException(String correlationId, long seq, Throwable cause) {
    super(
        "The index of correlation '"
            + KeyLayout.shown(correlationId)
            + "' is at Couchbase's document size limit: log sequence "
            + seq
            + " cannot be listed in it, so its commit is abandoned, not committed; start new"
            + " correlations for new work",
        cause);
    this.correlationId = correlationId;
  }

  /** The correlation id whose index is full. */
  public String correlationId() {
    return correlationId;
  }
}
