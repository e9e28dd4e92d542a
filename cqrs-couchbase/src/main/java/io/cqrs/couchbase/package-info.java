/**
 * Couchbase adapters for cqrs, such as an event stream repository that stores each aggregate's
 * events in Couchbase documents. Applications pass in their own {@code Cluster}, which these
 * adapters never close.
 */
package io.cqrs.couchbase;
