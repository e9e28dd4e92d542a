package io.cqrs.spi;

/** A running consumer of a bus. Closing it stops consuming and waits for in-flight messages. */
public interface Subscription extends AutoCloseable {
  /** The subscription's (or service's) name. */
  String name();

  /**
   * How this subscription's listeners are doing, as {@link BusHealth} says it for the whole bus:
   * whether all of them consume, how many do, the last failure of the bus that took consumers away,
   * and the bus's connections. A closed subscription is not healthy and has no consumers. Cheap (no
   * round trip to a broker), for readiness checks and supervisors.
   */
  BusHealth health();

  /** Stops taking new messages, lets in-flight handlers finish and acknowledge, then returns. */
  @Override
  void close();
}
