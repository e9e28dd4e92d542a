/**
 * An example bank application built on cqrs, with accounts as event-sourced aggregates. It stores
 * events in Couchbase and routes commands and events through RabbitMQ.
 */
package io.cqrs.example.bank;
