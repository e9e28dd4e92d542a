package io.cqrs.internal;

import java.security.SecureRandom;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Fast random (version 4) UUIDs for message ids. Ids must be unique, not unguessable, so this
 * avoids {@link UUID#randomUUID()}'s shared {@code SecureRandom}, which serialises threads.
 */
public final class Ids {
  private Ids() {}

  /**
   * An owner id unique to one running instance, from a name set by hand: the name, {@code '#'} and
   * 12 random hex digits from a {@link SecureRandom} (not the thread-local generator, whose seed
   * two processes started at one instant on one host could share). A store knows a claim's owner by
   * this id, so two processes configured with one name are two owners to it, never one.
   */
  public static String instanceOf(String name) {
    long bits = Instances.RANDOM.nextLong() >>> 16;
    return name + "#" + String.format("%012x", bits);
  }

  private static final class Instances {
    static final SecureRandom RANDOM = new SecureRandom();
  }

  /** A new random UUID string. */
  public static String newId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long most = (random.nextLong() & ~0xF000L) | 0x4000L;
    long least = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(most, least).toString();
  }
}
