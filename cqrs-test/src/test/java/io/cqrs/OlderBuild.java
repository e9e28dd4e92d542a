package io.cqrs;

import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.testing.ForwardingEventStreamRepository;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * A store as a process of an older build reads it during a rolling deploy: its registry lacks the
 * type of one event, so every read of the log that includes that position fails, as on a store that
 * decodes what it reads.
 */
final class OlderBuild {
  private OlderBuild() {}

  /**
   * {@code store} as read by a build that cannot read the event at the position {@code poison}
   * gives at the time of the read ({@link Long#MAX_VALUE}: none).
   */
  static EventStreamRepository reading(EventStreamRepository store, LongSupplier poison) {
    return new ForwardingEventStreamRepository(store) {
      @Override
      public List<LoggedEvent> readLogEvents(long fromPosition, int maxEvents) {
        long position = poison.getAsLong();
        if (fromPosition <= position && fromPosition + maxEvents > position) {
          throw new UnknownTypeException("Frozen");
        }
        return super.readLogEvents(fromPosition, maxEvents);
      }
    };
  }
}
