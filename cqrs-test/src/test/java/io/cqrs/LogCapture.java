package io.cqrs;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.LoggerFactory;

/**
 * What one class logs while a test runs, at DEBUG and above, kept from the console: {@link
 * #start(Class)} in a {@code @BeforeEach}, {@link #close()} in an {@code @AfterEach}.
 */
final class LogCapture implements AutoCloseable {
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger logger;

  private LogCapture(Class<?> logging) {
    logger = (Logger) LoggerFactory.getLogger(logging);
    logger.setLevel(Level.DEBUG);
    logger.setAdditive(false);
    logger.addAppender(appender);
    appender.start();
  }

  /** Starts capturing what {@code logging}'s logger logs. */
  static LogCapture start(Class<?> logging) {
    return new LogCapture(logging);
  }

  /** The events logged so far that {@code which} accepts, in order. */
  List<ILoggingEvent> events(Predicate<ILoggingEvent> which) {
    synchronized (appender) {
      return appender.list.stream().filter(which).toList();
    }
  }

  /** Gives the logger back its level, additivity and appenders. */
  @Override
  public void close() {
    logger.detachAppender(appender);
    logger.setAdditive(true);
    logger.setLevel(null);
    appender.stop();
  }
}
