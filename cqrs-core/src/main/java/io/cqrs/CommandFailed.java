package io.cqrs;

/**
 * The error event recorded under a command's correlation id when the command fails for good
 * (andrewwebber's {@code DeliverCQRSError}).
 *
 * @param commandId the failed command's message id
 * @param commandType the failed command's logical type
 * @param errorType the exception's class name
 * @param message the exception's message
 */
public record CommandFailed(
    String commandId, String commandType, String errorType, String message) {}
