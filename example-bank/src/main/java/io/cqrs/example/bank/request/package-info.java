/**
 * The checks every request to the bank passes before a command is made, shared by its two HTTP
 * front ends (example-bank's Javalin API and example-bank-spring's controller), so that both refuse
 * the same input with the same words.
 */
package io.cqrs.example.bank.request;
