package io.cqrs.internal;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Fast random (version 4) UUIDs for message ids. Ids must be unique, not unguessable, so this
 * avoids {@link UUID#randomUUID()}'s shared {@code SecureRandom}, which serialises threads.
 */
public final class Ids {
  private Ids() {}

  /** A new random UUID string. */
  public static String newId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long most = (random.nextLong() & ~0xF000L) | 0x4000L;
    long least = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(most, least).toString();
  }
}
