/**
 * The bank example as a Spring Boot application: the domain and read models of {@code
 * example-bank}, wired by {@code cqrs-spring-boot-starter} from {@code application.properties},
 * behind a small HTTP API ({@link io.cqrs.example.bank.spring.BankController}) with Actuator's
 * health and metrics.
 */
package io.cqrs.example.bank.spring;
