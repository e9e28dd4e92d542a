package io.cqrs;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The immutable metadata of an envelope: its entries in pairs in one array, in the order they were
 * added. Envelopes hold a few entries (at most {@link MetadataKey#MAX_ENTRIES}), read by key or all
 * at once, and copied with one more entry at every hop of a traced message; the JDK's immutable
 * maps make an entry set, an iterator and an entry object for each {@code forEach}, which were most
 * of what those copies allocated. Lookups scan the array, which for a few entries is as fast as
 * hashing. Equal to any {@link Map} with the same entries; refuses every change.
 */
final class MetadataMap extends AbstractMap<String, String> {
  private static final String[] NONE = new String[0];
  private static final MetadataMap EMPTY = new MetadataMap(NONE);

  private final String[] pairs; // key, value, key, value, ...

  private MetadataMap(String[] pairs) {
    this.pairs = pairs;
  }

  /**
   * {@code metadata} as a {@code MetadataMap}: itself if it is one, else a copy. Its keys and
   * values are non-null (checked by {@link MetadataKey#requireBounded} before).
   */
  static MetadataMap copyOf(Map<String, String> metadata) {
    if (metadata instanceof MetadataMap map) {
      return map;
    }
    if (metadata.isEmpty()) {
      return EMPTY;
    }
    Pairs pairs = new Pairs(metadata.size());
    metadata.forEach(pairs);
    return new MetadataMap(pairs.finish());
  }

  /**
   * {@code metadata} with {@code more} added, replacing entries of the same keys.
   *
   * @throws NullPointerException if a key or value of {@code more} is null
   * @throws IllegalArgumentException if a key of {@code more} is blank
   */
  static MetadataMap merged(Map<String, String> metadata, Map<String, String> more) {
    Pairs added = new Pairs(more.size());
    more.forEach(added::addChecked);
    MetadataMap base = copyOf(metadata);
    String[] kept = base.pairs;
    int keep = 0;
    for (int i = 0; i < kept.length; i += 2) {
      if (added.indexOf(kept[i]) < 0) {
        keep++;
      }
    }
    // Sized exactly: the usual merge replaces an entry (a hop's new traceparent).
    String[] pairs = new String[2 * keep + added.length];
    int length = 0;
    for (int i = 0; i < kept.length; i += 2) {
      if (added.indexOf(kept[i]) < 0) {
        pairs[length++] = kept[i];
        pairs[length++] = kept[i + 1];
      }
    }
    System.arraycopy(added.pairs, 0, pairs, length, added.length);
    return new MetadataMap(pairs);
  }

  @Override
  public int size() {
    return pairs.length >> 1;
  }

  @Override
  public boolean isEmpty() {
    return pairs.length == 0;
  }

  @Override
  public String get(Object key) {
    int i = indexOf(key);
    return i < 0 ? null : pairs[i + 1];
  }

  @Override
  public boolean containsKey(Object key) {
    return indexOf(key) >= 0;
  }

  private int indexOf(Object key) {
    for (int i = 0; i < pairs.length; i += 2) {
      if (pairs[i].equals(key)) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public void forEach(BiConsumer<? super String, ? super String> action) {
    for (int i = 0; i < pairs.length; i += 2) {
      action.accept(pairs[i], pairs[i + 1]);
    }
  }

  @Override
  public int hashCode() {
    int hash = 0;
    for (int i = 0; i < pairs.length; i += 2) {
      hash += pairs[i].hashCode() ^ pairs[i + 1].hashCode();
    }
    return hash;
  }

  @Override
  public Set<Entry<String, String>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public int size() {
        return MetadataMap.this.size();
      }

      @Override
      public Iterator<Entry<String, String>> iterator() {
        return new Iterator<>() {
          private int next;

          @Override
          public boolean hasNext() {
            return next < pairs.length;
          }

          @Override
          public Entry<String, String> next() {
            if (next >= pairs.length) {
              throw new NoSuchElementException();
            }
            Entry<String, String> entry = new SimpleImmutableEntry<>(pairs[next], pairs[next + 1]);
            next += 2;
            return entry;
          }
        };
      }
    };
  }

  /** Collects entries into an array of pairs. */
  private static final class Pairs implements BiConsumer<String, String> {
    private String[] pairs;
    private int length;

    Pairs(int capacity) {
      this.pairs = capacity == 0 ? NONE : new String[2 * capacity];
    }

    void addChecked(String key, String value) {
      MetadataKey.requireName(key);
      Objects.requireNonNull(value, key);
      int i = indexOf(key);
      if (i >= 0) { // a map whose entries name one key twice (a broken one): the last wins
        pairs[i + 1] = value;
      } else {
        accept(key, value);
      }
    }

    int indexOf(String key) {
      for (int i = 0; i < length; i += 2) {
        if (pairs[i].equals(key)) {
          return i;
        }
      }
      return -1;
    }

    @Override
    public void accept(String key, String value) {
      if (length == pairs.length) { // a map that grew while it was copied
        pairs = java.util.Arrays.copyOf(pairs, Math.max(4, 2 * pairs.length));
      }
      pairs[length++] = key;
      pairs[length++] = value;
    }

    String[] finish() {
      return length == pairs.length ? pairs : java.util.Arrays.copyOf(pairs, length);
    }
  }
}
