package io.cqrs.spi;

import io.cqrs.EventSerializer;
import java.util.Optional;

/**
 * A store or bus that writes and reads messages as JSON with an {@link EventSerializer}, whose
 * registry is the allow-list of the types it can carry. {@link io.cqrs.Cqrs} asks it at build and
 * at start, and refuses a part whose serializer's registry lacks a type the part is to carry (an
 * event of an aggregate of the instance's registry, a handled command type): every save or send of
 * it would fail at run time with a type the application did register, in the other registry.
 */
public interface SerializingPart {
  /** The serializer it writes and reads with; empty if it keeps messages as objects. */
  Optional<EventSerializer> serializer();
}
