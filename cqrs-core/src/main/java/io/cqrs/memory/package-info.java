/**
 * In-memory implementations of the store and the buses: thread-safe, for tests, prototypes and
 * single-process applications. They keep the same contracts as the Couchbase and RabbitMQ adapters.
 */
package io.cqrs.memory;
