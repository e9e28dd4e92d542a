package io.cqrs.rabbitmq;

import io.cqrs.Command;
import io.cqrs.EventSerializer;
import io.cqrs.SerializationException;
import io.cqrs.SplitEvent;
import io.cqrs.TypeRegistry;
import io.cqrs.UnknownTypeException;
import io.cqrs.VersionedEvent;

/**
 * Reads a delivery's envelope and holds it to the {@code type} property it travelled under.
 *
 * <p>The envelope itself cannot misname its payload (its constructor sees to that), but a message
 * is two claims: the broker routed it, and logs and dead-letter tools show it, by its {@code type}
 * property, while the consumer gets the envelope in its body. A bus sets both from one envelope, so
 * a message whose two disagree was not published by one: it is refused with a {@link
 * SerializationException} (dead-lettered as malformed) rather than handed, say, to a service that
 * never subscribed to the body's command type. A message without a {@code type} property is judged
 * by its body alone; one whose property is an old name of the body's type (a {@linkplain
 * io.cqrs.TypeRegistry#alias type alias}, sent by a publisher of an earlier version) agrees, and so
 * does the type an event was published as by an earlier version whose upcasters now split or drop
 * it ({@link SplitEvent}): the one message is handed on as one envelope, whose parts the consumer's
 * handlers get in order before it is acked.
 */
final class EnvelopeDecoders {
  private static final String SPLIT_EVENT = TypeRegistry.logicalName(SplitEvent.class);

  private EnvelopeDecoders() {}

  /**
   * Whether two names are one type: an old name (an alias, as a publisher of an earlier version
   * still sends it) and the current name the body was read under.
   */
  private static boolean sameType(EventSerializer serializer, String type, String bodyType) {
    try {
      return serializer.registry().typeOf(type) == serializer.registry().typeOf(bodyType);
    } catch (UnknownTypeException e) {
      return false;
    }
  }

  static MessageProcessor.Decoder<VersionedEvent> events(EventSerializer serializer) {
    return delivery -> {
      VersionedEvent event = serializer.deserializeEvent(delivery.body());
      // An event that upcasters split or dropped was published under the type it was stored as.
      String bodyType =
          event.event() instanceof SplitEvent split
                  && !SPLIT_EVENT.equals(delivery.properties().getType())
              ? split.storedType()
              : event.eventType();
      requireType(serializer, delivery, bodyType, "event", event.id());
      return TraceHeaders.onto(event, delivery);
    };
  }

  static MessageProcessor.Decoder<Command> commands(EventSerializer serializer) {
    return delivery -> {
      Command command = serializer.deserializeCommand(delivery.body());
      requireType(serializer, delivery, command.commandType(), "command", command.messageId());
      return TraceHeaders.onto(command, delivery);
    };
  }

  private static void requireType(
      EventSerializer serializer, Inbound delivery, String bodyType, String kind, String id) {
    String type = delivery.properties().getType();
    if (type != null && !type.equals(bodyType) && !sameType(serializer, type, bodyType)) {
      throw new SerializationException(
          "Message of type '"
              + type
              + "' from "
              + delivery.queue()
              + " carries "
              + kind
              + " "
              + id
              + " of type '"
              + bodyType
              + "'; its type property and its body disagree");
    }
  }
}
