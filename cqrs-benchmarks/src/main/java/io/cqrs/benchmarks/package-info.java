/**
 * JMH benchmarks of cqrs, measured in-memory and against Couchbase and RabbitMQ. Axon Framework
 * runs the same scenarios as a point of comparison.
 */
package io.cqrs.benchmarks;
