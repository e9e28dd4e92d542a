package io.cqrs.example.bank.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Starts the bank: {@code java -jar example-bank-spring/target/example-bank-spring.jar} (see the
 * module's README for the one command that builds and starts it, and for Couchbase and RabbitMQ).
 */
@SpringBootApplication
public class BankSpringApplication {

  /** Starts the application with Spring Boot's command-line handling. */
  public static void main(String[] args) {
    SpringApplication.run(BankSpringApplication.class, args);
  }
}
