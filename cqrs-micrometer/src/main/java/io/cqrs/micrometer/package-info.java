/**
 * Micrometer metrics for cqrs, built on the interceptor SPI ({@link io.cqrs.interceptor}): {@link
 * io.cqrs.micrometer.CqrsMetrics} times commands, events and aggregates by type and outcome, counts
 * retries, appended events and cache hits, and binds gauges of processor and relay lag and of
 * dead-letter queues. See {@code docs/observability.md}.
 */
package io.cqrs.micrometer;
