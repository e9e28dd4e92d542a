/**
 * RabbitMQ adapters for cqrs: {@link io.cqrs.rabbitmq.RabbitCommandBus} and {@link
 * io.cqrs.rabbitmq.RabbitEventBus} carry command and event envelopes between processes over AMQP
 * 0-9-1, with publisher confirms, manual acknowledgements, broker-delayed retries and dead-letter
 * queues. They connect from an AMQP URI or a copy of the caller's {@code ConnectionFactory}, and
 * close only the connections they opened. The topology and its operation are described in {@code
 * docs/rabbitmq.md}.
 */
package io.cqrs.rabbitmq;
