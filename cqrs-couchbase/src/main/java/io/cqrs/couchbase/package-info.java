/**
 * The Couchbase event store: {@link io.cqrs.couchbase.CouchbaseEventStreamRepository}, an {@link
 * io.cqrs.spi.EventStreamRepository} on key-value operations only. Applications pass in their own
 * {@code Collection}, which it never closes, or let it connect with a connection string.
 */
package io.cqrs.couchbase;
