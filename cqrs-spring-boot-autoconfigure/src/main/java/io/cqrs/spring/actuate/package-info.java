/**
 * Spring Boot Actuator health of cqrs: the {@code cqrs} health contributor, made of the store, the
 * command bus, the event bus (its consumers and broker connections) and the event processors with
 * the relay (failures and lag). See {@code docs/spring-boot.md}.
 */
package io.cqrs.spring.actuate;
