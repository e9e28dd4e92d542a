package io.cqrs;

/**
 * Handles one command type: typically loads an aggregate, calls a business method and saves it.
 *
 * @param <C> the command body type
 */
@FunctionalInterface
public interface CommandHandler<C> {
  /**
   * @param body the command body
   * @param command the envelope, whose correlation id the saved events should carry (pass it to
   *     {@link EventSourcingRepository#save(EventSourceBased, Command)})
   */
  void handle(C body, Command command) throws Exception;
}
