package io.cqrs.spi;

import java.util.List;

/**
 * The dead-letter queues of a bus, for operators: a {@link CommandBus} or {@link EventBus} that
 * keeps the messages its consumers gave up on, one queue per service or subscription, implements it
 * so that they can be counted, looked at and sent back.
 *
 * <p><b>Guarantees.</b> Looking loses, moves and duplicates nothing: {@link #peekDeadLetters} shows
 * the oldest messages and leaves every one of them in the queue, in its place. {@link
 * #replayDeadLetters} moves messages back to the queue they failed in, oldest first, each with its
 * full number of attempts again; a message leaves the dead-letter queue only once its copy is
 * safely queued (no loss), and each dead letter is replayed by one call only, however many race (no
 * duplicate from the bus; the consumer's own idempotency covers a redelivery as it does for any
 * message). A replayed message that fails again is dead-lettered again.
 *
 * <p>Implementations are thread-safe and pass the dead-letter tests of {@code
 * io.cqrs.testing.CommandBusContract} and {@code io.cqrs.testing.EventBusContract}.
 */
public interface DeadLetterQueues {

  /**
   * How many messages wait in the dead-letter queue of {@code name} (a service of a command bus, a
   * subscription of an event bus).
   */
  long deadLetterCount(String name);

  /**
   * The oldest {@code max} messages in the dead-letter queue of {@code name}, oldest first, without
   * taking them from it.
   *
   * @throws IllegalArgumentException if {@code max} is negative
   */
  List<QueuedDeadLetter> peekDeadLetters(String name, int max);

  /**
   * Sends up to {@code max} messages from the dead-letter queue of {@code name} back to the queue
   * they failed in, oldest first, each with its full number of attempts again.
   *
   * @return how many were replayed
   * @throws IllegalArgumentException if {@code max} is negative
   */
  long replayDeadLetters(String name, long max);
}
