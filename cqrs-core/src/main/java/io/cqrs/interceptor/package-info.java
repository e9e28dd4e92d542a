/**
 * Interceptors around every command and event: {@link
 * io.cqrs.interceptor.CommandDispatchInterceptor} and {@link
 * io.cqrs.interceptor.EventPublishInterceptor} as messages leave for a bus, {@link
 * io.cqrs.interceptor.CommandHandlerInterceptor} and {@link
 * io.cqrs.interceptor.EventHandlerInterceptor} around the handlers, and {@link
 * io.cqrs.interceptor.AggregateInterceptor} around loading and saving aggregates. Each is a link of
 * a chain: it can read and add metadata, and it observes the outcome and the duration. Metrics,
 * tracing and the SLF4J MDC ({@link io.cqrs.interceptor.MdcInterceptor}) are built on them; {@link
 * io.cqrs.interceptor.Interceptors} holds a set of them for the components that run them.
 */
package io.cqrs.interceptor;
