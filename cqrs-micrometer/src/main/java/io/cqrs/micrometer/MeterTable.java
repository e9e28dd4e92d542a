package io.cqrs.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.noop.NoopMeter;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The meters of one kind of intercepted call, by component and message (or aggregate) type: one
 * {@link Row} per key, holding every meter that a call of that key records into, each in a slot of
 * its own (a timer per outcome, a counter) and registered on its first use. A call finds its row
 * with one map read and a walk of the components that share the type (usually one), then reads its
 * slots: the hot path builds no {@code Tags} and asks the registry nothing. Keys are bounded by the
 * application (registered types, configured component names), never by ids.
 *
 * <p>Thread-safe. Two threads that fill a slot at once both register its meter; the registry hands
 * both the same one, so either write is right.
 */
final class MeterTable {

  /** Registers the meter of one slot of one key. */
  @FunctionalInterface
  interface Factory {
    Meter register(String component, String type, int slot);
  }

  private final ConcurrentHashMap<String, Row> byType = new ConcurrentHashMap<>();
  private final int slots;
  private final Factory factory;

  /** A table whose rows have {@code slots} slots, filled by {@code factory}. */
  MeterTable(int slots, Factory factory) {
    this.slots = slots;
    this.factory = factory;
  }

  /** The row of a key, made now if this is its first use. */
  Row row(String component, String type) {
    for (Row row = byType.get(type); row != null; row = row.next) {
      if (row.component.equals(component)) {
        return row;
      }
    }
    return add(component, type);
  }

  private synchronized Row add(String component, String type) {
    Row first = byType.get(type);
    Row last = null;
    for (Row row = first; row != null; row = row.next) {
      if (row.component.equals(component)) {
        return row;
      }
      last = row;
    }
    Row row = new Row(component, type, new AtomicReferenceArray<>(slots), factory);
    if (last == null) {
      byType.put(type, row);
    } else {
      last.next = row;
    }
    return row;
  }

  /** The meters of one key. */
  static final class Row {
    private final String component;
    private final String type;
    private final AtomicReferenceArray<Meter> slots;
    private final Factory factory;
    private volatile Row next; // the row of the next component of the same type
    private final Row[] alone = {this};

    private Row(String component, String type, AtomicReferenceArray<Meter> slots, Factory factory) {
      this.component = component;
      this.type = type;
      this.slots = slots;
      this.factory = factory;
    }

    /**
     * This row alone, for a call of one message (the usual publish): one array made with the row,
     * which callers only read.
     */
    Row[] alone() {
      return alone;
    }

    /** The meter of a slot, registered now if this is its first use. */
    Meter meter(int slot) {
      Meter meter = slots.get(slot);
      if (meter == null) {
        meter = factory.register(component, type, slot);
        slots.set(slot, meter);
      }
      return meter;
    }

    /** The timer of a slot. */
    Timer timer(int slot) {
      return (Timer) meter(slot);
    }

    /** The counter of a slot. */
    Counter counter(int slot) {
      return (Counter) meter(slot);
    }

    /**
     * Whether the meter of a slot records anything: false where a {@code MeterFilter} of the
     * registry denied it, so that the caller can skip the work of measuring (reading the clock).
     */
    boolean live(int slot) {
      return !(meter(slot) instanceof NoopMeter);
    }
  }
}
