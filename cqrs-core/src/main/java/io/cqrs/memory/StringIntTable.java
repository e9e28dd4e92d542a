package io.cqrs.memory;

/**
 * A map from strings to positive ints as an open-addressing table with linear probing: an entry
 * costs a slot in two arrays rather than a node object, so adding one allocates nothing but the
 * table's growth. The in-memory store indexes correlation ids and command ids with it.
 *
 * <p>Not thread-safe: its owner guards it with a lock.
 */
final class StringIntTable {
  private String[] keys;
  private int[] values;
  private int count;

  /** A table with room for {@code capacity / 2} entries before it grows; a power of two. */
  StringIntTable(int capacity) {
    if (capacity < 2 || Integer.bitCount(capacity) != 1) {
      throw new IllegalArgumentException("capacity must be a power of two >= 2, was " + capacity);
    }
    keys = new String[capacity];
    values = new int[capacity];
  }

  /** The value of {@code key}, 0 if it has none. */
  int get(String key) {
    String[] table = keys;
    int mask = table.length - 1;
    for (int slot = hash(key) & mask; table[slot] != null; slot = (slot + 1) & mask) {
      if (table[slot].equals(key)) {
        return values[slot];
      }
    }
    return 0;
  }

  /**
   * Sets the value of {@code key} to {@code value}, which must be positive.
   *
   * @return the value it replaced, 0 if none
   */
  int put(String key, int value) {
    String[] table = keys;
    int mask = table.length - 1;
    int slot = hash(key) & mask;
    for (; table[slot] != null; slot = (slot + 1) & mask) {
      if (table[slot].equals(key)) {
        int previous = values[slot];
        values[slot] = value;
        return previous;
      }
    }
    table[slot] = key;
    values[slot] = value;
    if (++count > table.length / 2) {
      grow();
    }
    return 0;
  }

  /** How many keys it holds. */
  int size() {
    return count;
  }

  private void grow() {
    String[] oldKeys = keys;
    int[] oldValues = values;
    keys = new String[oldKeys.length * 2];
    values = new int[oldKeys.length * 2];
    int mask = keys.length - 1;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != null) {
        int slot = hash(oldKeys[i]) & mask;
        while (keys[slot] != null) {
          slot = (slot + 1) & mask;
        }
        keys[slot] = oldKeys[i];
        values[slot] = oldValues[i];
      }
    }
  }

  private static int hash(String key) {
    int h = key.hashCode();
    return h ^ (h >>> 16);
  }
}
