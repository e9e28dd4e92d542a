/**
 * RabbitMQ adapters for cqrs: command and event buses that carry messages over AMQP. Applications
 * pass in their own {@code ConnectionFactory} or connection, which these adapters never close.
 */
package io.cqrs.rabbitmq;
