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
 * handlers get in order before it is acked. So does that type where its upcasters now turn it into
 * one event of another type (a split into one part, which reads as that event): the property is
 * held to the type the body's envelope was written as ({@link EventSerializer#storedEventType}).
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
      if (!agrees(serializer, delivery, bodyType) && !upcastFrom(serializer, delivery, event)) {
        throw disagree(delivery, bodyType, "event", event.id());
      }
      return TraceHeaders.onto(event, delivery);
    };
  }

  static MessageProcessor.Decoder<Command> commands(EventSerializer serializer) {
    return delivery -> {
      Command command = serializer.deserializeCommand(delivery.body());
      if (!agrees(serializer, delivery, command.commandType())) {
        throw disagree(delivery, command.commandType(), "command", command.messageId());
      }
      return TraceHeaders.onto(command, delivery);
    };
  }

  /**
   * Whether the delivery's type property is absent, or names {@code bodyType} or an alias of it.
   */
  private static boolean agrees(EventSerializer serializer, Inbound delivery, String bodyType) {
    String type = delivery.properties().getType();
    return type == null || type.equals(bodyType) || sameType(serializer, type, bodyType);
  }

  /**
   * Whether the delivery's type property names the type the body's envelope was written as, which
   * upcasters read as one event of another type: a splitting upcaster with one part is how an old
   * type becomes another existing one, and a message an earlier version published under the old
   * type must be consumed (and a dead letter of it replayed, which keeps the property), not
   * refused. The body's JSON is read again for its stored type, only here, where the two types
   * differ; a type property that names neither that type nor the body's still disagrees.
   */
  private static boolean upcastFrom(
      EventSerializer serializer, Inbound delivery, VersionedEvent event) {
    if (event.isSplit()) {
      return false; // held to its stored type above already
    }
    return sameType(
        serializer, delivery.properties().getType(), serializer.storedEventType(delivery.body()));
  }

  private static SerializationException disagree(
      Inbound delivery, String bodyType, String kind, String id) {
    return new SerializationException(
        "Message of type '"
            + delivery.properties().getType()
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
