package io.cqrs.example.bank.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.cqrs.CommandFailed;
import io.cqrs.CommandHandled;
import io.cqrs.CommandOutcome;
import io.cqrs.VersionedEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * What became of a command, read from the store ({@link CommandOutcome}, in the API's terms): the
 * events it caused ({@code succeeded}, with the version of its stream after them), the {@link
 * CommandFailed} recorded for it ({@code rejected}, with the reason), the {@link CommandHandled}
 * recorded for one that changed nothing ({@code succeeded}, no events), or none of these yet
 * ({@code pending}). The API's commands share their message id as correlation id, so one lookup by
 * correlation id finds both; it works on any instance.
 *
 * <p>A {@link CommandFailed#retryable() retryable} failure (the server's own: an interceptor that
 * failed, an event it could not read) is no outcome, as the dispatcher sees it too: the command is
 * handled again when it comes again (a retried request, a replayed dead letter), so it stays {@code
 * pending} until then rather than reading as rejected for good.
 *
 * @param commandId the command's message id
 * @param status {@code pending}, {@code succeeded}, {@code rejected} or {@code partial} (part of
 *     its effect committed, then it failed: its events and its rejection both)
 * @param version the stream's version after the command's events; {@code null} unless succeeded
 * @param events the command's events, oldest first
 * @param rejection why it was refused; {@code null} unless rejected or partial
 * @param resource the path of what the command made or changed, or {@code null}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record CommandStatus(
    String commandId,
    String status,
    Long version,
    List<EventRef> events,
    Rejection rejection,
    String resource) {

  static final String PENDING = "pending";
  static final String SUCCEEDED = "succeeded";
  static final String REJECTED = "rejected";
  static final String PARTIAL = "partial";

  /** One event a command caused. */
  record EventRef(String type, String streamId, long version) {}

  /** Why a command was refused: the problem's code, its HTTP status, and the domain's reason. */
  record Rejection(String code, int status, String detail) {}

  /**
   * The status of {@code commandId} from the events recorded under its correlation id.
   *
   * @param events every event of the correlation id
   */
  static CommandStatus of(String commandId, List<VersionedEvent> events, String resource) {
    CommandOutcome outcome = CommandOutcome.of(commandId, events);
    switch (outcome.status()) {
      case SUCCEEDED -> {
        if (outcome.events().isEmpty()) {
          return unchanged(commandId, resource);
        }
        return new CommandStatus(
            commandId, SUCCEEDED, version(outcome), caused(outcome), null, resource);
      }
      case REJECTED -> {
        return new CommandStatus(
            commandId, REJECTED, null, List.of(), rejection(outcome.failure()), resource);
      }
      case PARTIAL -> {
        // Some of its effect committed, then it failed: both are recorded, and both are shown.
        return new CommandStatus(
            commandId,
            PARTIAL,
            version(outcome),
            caused(outcome),
            rejection(outcome.failure()),
            resource);
      }
      default -> {
        return new CommandStatus(commandId, PENDING, null, List.of(), null, resource);
      }
    }
  }

  private static List<EventRef> caused(CommandOutcome outcome) {
    List<EventRef> caused = new ArrayList<>();
    for (VersionedEvent event : outcome.events()) {
      caused.add(new EventRef(event.eventType(), event.sourceId(), event.version()));
    }
    return List.copyOf(caused);
  }

  private static long version(CommandOutcome outcome) {
    long version = 0;
    for (VersionedEvent event : outcome.events()) {
      version = Math.max(version, event.version());
    }
    return version;
  }

  private static Rejection rejection(CommandFailed failed) {
    ErrorMapping.Failure mapped = ErrorMapping.rejection(failed.errorType(), failed.message());
    return mapped == null
        ? new Rejection("failed", 500, "The command failed; the server log has the details")
        : new Rejection(mapped.code(), mapped.status(), mapped.detail());
  }

  /** A command that was handled and changed nothing (a new email address equal to the old). */
  static CommandStatus unchanged(String commandId, String resource) {
    return new CommandStatus(commandId, SUCCEEDED, null, List.of(), null, resource);
  }

  /**
   * Who sent the command, from the actor its events carry ({@code null} while pending or if none).
   */
  static String actor(String commandId, List<VersionedEvent> events) {
    for (VersionedEvent event : events) {
      if (commandId.equals(event.causationId())) {
        return event.actor();
      }
    }
    return null;
  }

  boolean isPending() {
    return PENDING.equals(status);
  }
}
