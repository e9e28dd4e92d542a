/**
 * OpenTelemetry tracing for cqrs, built on the interceptor SPI ({@link io.cqrs.interceptor}): spans
 * for commands, events and aggregates, and the W3C trace context carried in message metadata across
 * processes. See {@code docs/observability.md}.
 */
package io.cqrs.opentelemetry;
