package io.cqrs.couchbase;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

/**
 * A concurrent map that forgets everything once it holds {@code capacity} entries, for what a
 * writer or repository remembers only to save a read (the heads it moved, archive marks, the
 * commits it claimed): forgetting costs that read again, never a wrong answer. Clearing at capacity
 * is cheaper than keeping an eviction order on every put, and a process that touches more keys than
 * the capacity loses only the saving.
 */
final class ForgetfulMap<K, V> {
  private final int capacity;
  private final ConcurrentHashMap<K, V> entries = new ConcurrentHashMap<>();

  ForgetfulMap(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
    }
    this.capacity = capacity;
  }

  V get(K key) {
    return entries.get(key);
  }

  void put(K key, V value) {
    makeRoom();
    entries.put(key, value);
  }

  /** As {@link ConcurrentHashMap#merge}, after making room. */
  V merge(K key, V value, BiFunction<? super V, ? super V, ? extends V> remapping) {
    makeRoom();
    return entries.merge(key, value, remapping);
  }

  V remove(K key) {
    return entries.remove(key);
  }

  boolean remove(K key, V value) {
    return entries.remove(key, value);
  }

  int size() {
    return entries.size();
  }

  private void makeRoom() {
    if (entries.size() >= capacity) {
      entries.clear();
    }
  }
}
