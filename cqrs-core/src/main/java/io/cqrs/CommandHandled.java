package io.cqrs;

/**
 * The event recorded under a command's correlation id, with {@link
 * CommandDispatchManager.Builder#recordNoEffect recordNoEffect} on, when its handler returned
 * without committing anything on its thread (and the global handlers and interceptors succeeded): a
 * decision to do nothing (an email address set to the one it is, an account closed twice) is an
 * outcome too. Without it a later delivery of the command (a client's retry, a redelivery) ran the
 * handler again, on state other commands may have changed since, and could take effect after all:
 * set the address back, say, over a change made in between.
 *
 * @param commandId the command's message id
 * @param commandType the command's logical type
 */
public record CommandHandled(String commandId, String commandType) {}
