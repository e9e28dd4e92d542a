/**
 * Micrometer metrics for cqrs, built on the interceptor SPI ({@link io.cqrs.interceptor}): timers
 * and counters of commands, events and aggregates tagged by type and outcome, and gauges of
 * processor lag. See {@code docs/observability.md}.
 */
package io.cqrs.micrometer;
