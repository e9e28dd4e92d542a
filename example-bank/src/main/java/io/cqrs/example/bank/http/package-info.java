/**
 * The bank's HTTP JSON API ({@link io.cqrs.example.bank.http.BankHttpServer}) on Javalin (Jetty
 * 12): routes, HTTP Basic users, strict JSON request parsing, and the limits that keep hostile
 * clients from starving the others.
 */
package io.cqrs.example.bank.http;
