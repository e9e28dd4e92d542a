/**
 * Spring Boot auto-configuration of cqrs: {@link io.cqrs.spring.CqrsAutoConfiguration} builds the
 * one {@link io.cqrs.Cqrs} of the application from {@code cqrs.*} properties ({@link
 * io.cqrs.spring.CqrsProperties}), on the application's own Couchbase {@code Cluster}, RabbitMQ
 * connection factory and Jackson {@code ObjectMapper} where it has them, and starts and stops it
 * with the application context. See {@code docs/spring-boot.md}.
 */
package io.cqrs.spring;
