package io.cqrs.rabbitmq;

import com.rabbitmq.client.ShutdownSignalException;
import io.cqrs.CqrsException;
import io.cqrs.NonTransientCqrsException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/** Maps driver exceptions to cqrs exceptions, and describes failures for message headers. */
final class Failures {
  /** Header values stay well below the broker's frame size. */
  private static final int MAX_DESCRIPTION = 4000;

  private static final int MAX_FRAMES = 12;

  private Failures() {}

  /**
   * A declaration failed: non-transient if the broker refused it on the channel (wrong arguments,
   * unknown exchange type, no permission, or, for a check, no such exchange or queue), transient if
   * the connection went away.
   */
  static CqrsException declarationFailed(Declaration declaration, String broker, Exception e) {
    ShutdownSignalException signal = signalOf(e);
    if (signal == null || signal.isHardError() && !isRefusal(signal)) {
      return new BrokerUnavailableException(
          broker,
          (declaration.check() ? "cannot check " : "cannot declare ") + declaration.key(),
          e);
    }
    if (declaration.check()) {
      return new NonTransientCqrsException(
          "RabbitMQ at "
              + broker
              + " has no "
              + declaration.key()
              + ", and this bus does not declare its topology (declareTopology(false)): an"
              + " operator must declare it first: "
              + reply(signal),
          e);
    }
    String hint =
        declaration.key().startsWith("exchange ")
                && String.valueOf(signal.getMessage()).contains("x-consistent-hash")
            ? " (ordered subscriptions need the plugin: rabbitmq-plugins enable"
                + " rabbitmq_consistent_hash_exchange)"
            : "";
    return new NonTransientCqrsException(
        "RabbitMQ at "
            + broker
            + " refused to declare "
            + declaration.key()
            + hint
            + ": "
            + reply(signal),
        e);
  }

  /**
   * Starting to consume failed: non-transient if the broker refused it on the channel (no read
   * permission on the queue, no such queue), transient if the connection went away.
   */
  static CqrsException consumeFailed(String broker, List<String> queues, Exception e) {
    ShutdownSignalException signal = signalOf(e);
    if (signal == null || signal.isHardError()) {
      return new BrokerUnavailableException(broker, "cannot consume " + queues, e);
    }
    return new NonTransientCqrsException(
        "RabbitMQ at "
            + broker
            + " refused to let a listener consume "
            + queues
            + ": "
            + reply(signal),
        e);
  }

  private static boolean isRefusal(ShutdownSignalException signal) {
    // An unknown exchange type closes the whole connection (503 COMMAND_INVALID); it is still
    // the broker refusing this declaration rather than the network failing.
    return String.valueOf(signal.getMessage()).contains("COMMAND_INVALID");
  }

  private static ShutdownSignalException signalOf(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ShutdownSignalException signal) {
        return signal;
      }
    }
    return null;
  }

  /** The broker's reply text in a shutdown signal, such as {@code NOT_FOUND - no exchange 'x'}. */
  static String reply(ShutdownSignalException signal) {
    String message = String.valueOf(signal.getMessage());
    int start = message.indexOf("reply-text=");
    if (start < 0) {
      return message;
    }
    int end = message.indexOf(", class-id", start);
    return message.substring(start + "reply-text=".length(), end < 0 ? message.length() : end);
  }

  /** Class, message, causes and the top of the stack trace, bounded for a header. */
  static String describe(Throwable failure) {
    StringWriter text = new StringWriter();
    try (PrintWriter out = new PrintWriter(text)) {
      Throwable current = failure;
      String prefix = "";
      while (current != null) {
        out.println(prefix + current);
        StackTraceElement[] frames = current.getStackTrace();
        for (int i = 0; i < Math.min(frames.length, MAX_FRAMES); i++) {
          out.println("\tat " + frames[i]);
        }
        current = current.getCause() == current ? null : current.getCause();
        prefix = "Caused by: ";
      }
    }
    String description = text.toString().strip();
    return description.length() <= MAX_DESCRIPTION
        ? description
        : description.substring(0, MAX_DESCRIPTION - 3) + "...";
  }

  /** Class and message only, for logs and short headers. */
  static String summary(Throwable failure) {
    return failure.getClass().getName() + ": " + failure.getMessage();
  }
}
