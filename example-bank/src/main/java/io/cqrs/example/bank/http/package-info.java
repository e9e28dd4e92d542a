/**
 * The bank's HTTP JSON API ({@link io.cqrs.example.bank.http.BankHttpServer}) on the JDK's own HTTP
 * server, with a small router and strict JSON request parsing.
 */
package io.cqrs.example.bank.http;
