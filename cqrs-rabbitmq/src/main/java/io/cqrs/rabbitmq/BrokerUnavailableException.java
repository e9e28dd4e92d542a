package io.cqrs.rabbitmq;

import io.cqrs.TransientCqrsException;
import java.util.Objects;

/**
 * RabbitMQ could not be reached, or did not confirm, within the configured time.
 *
 * <p>Transient: the connection recovers by itself once the broker is back, so the same call may
 * succeed later. Some messages of a failed {@code publish} may already have reached the broker, so
 * publishers retry and consumers tolerate duplicates. The message names the broker by host, port
 * and virtual host only; credentials never appear in it.
 */
public class BrokerUnavailableException extends TransientCqrsException {
  private static final long serialVersionUID = 1L;

  private final String broker;

  /**
   * Creates the exception.
   *
   * @param broker the broker as {@code host:port/vhost}, without credentials
   * @param detail what was being waited for
   * @param cause the driver's exception, or {@code null}
   */
  public BrokerUnavailableException(String broker, String detail, Throwable cause) {
    super(
        "RabbitMQ at "
            + Objects.requireNonNull(broker, "broker")
            + " is unavailable: "
            + Objects.requireNonNull(detail, "detail"),
        cause);
    this.broker = broker;
  }

  /** The broker as {@code host:port/vhost}, without credentials. */
  public String broker() {
    return broker;
  }
}
