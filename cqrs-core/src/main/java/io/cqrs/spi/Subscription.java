package io.cqrs.spi;

/** A running consumer of a bus. Closing it stops consuming and waits for in-flight messages. */
public interface Subscription extends AutoCloseable {
  /** The subscription's (or service's) name. */
  String name();

  /** Stops taking new messages, lets in-flight handlers finish and acknowledge, then returns. */
  @Override
  void close();
}
