package io.cqrs.memory;

import io.cqrs.ClaimLostException;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.SegmentState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The {@link ProcessorStore} of {@link InMemoryEventStreamRepository}: each processor's segments
 * and members under the processor's own lock, so every operation is one atomic step.
 */
final class ProcessorTable implements ProcessorStore {
  private final Map<String, Processor> processors = new HashMap<>();

  /** One processor's state; guarded by its own monitor. */
  private static final class Processor {
    final Segment[] segments;
    final TreeMap<String, Instant> members = new TreeMap<>();

    Processor(int count) {
      segments = new Segment[count];
      for (int i = 0; i < count; i++) {
        segments[i] = new Segment();
      }
    }
  }

  /** One segment's checkpoint and claim. */
  private static final class Segment {
    long checkpoint;
    long token;
    String owner;
    Instant expiresAt;
  }

  @Override
  public int segmentCount(String processor, int segments) {
    Objects.requireNonNull(processor, "processor");
    if (segments < 1) {
      throw new IllegalArgumentException("segments must be >= 1, was " + segments);
    }
    synchronized (processors) {
      return processors.computeIfAbsent(processor, name -> new Processor(segments)).segments.length;
    }
  }

  @Override
  public Optional<SegmentClaim> claim(
      String processor, int segment, String owner, Instant now, Duration ttl) {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(now, "now");
    checkTtl(ttl);
    Processor state = processor(processor);
    synchronized (state) {
      Segment current = segment(state, processor, segment);
      boolean held = current.owner != null && current.expiresAt.isAfter(now);
      if (held && !current.owner.equals(owner)) {
        return Optional.empty();
      }
      if (!held) {
        current.token++;
        current.owner = owner;
      }
      current.expiresAt = now.plus(ttl);
      return Optional.of(
          new SegmentClaim(
              processor, segment, owner, current.token, current.checkpoint, current.expiresAt));
    }
  }

  @Override
  public void saveCheckpoint(SegmentClaim claim, long position, Instant now) {
    Objects.requireNonNull(claim, "claim");
    Objects.requireNonNull(now, "now");
    if (position < 0) {
      throw new IllegalArgumentException("position must be >= 0, was " + position);
    }
    Processor state = processor(claim.processor());
    synchronized (state) {
      Segment current = segment(state, claim.processor(), claim.segment());
      if (current.token != claim.token() || current.owner == null) {
        throw new ClaimLostException(
            claim.processor(),
            claim.segment(),
            "claimed since by '" + current.owner + "' (token " + current.token + ")");
      }
      if (!current.expiresAt.isAfter(now)) {
        throw new ClaimLostException(
            claim.processor(), claim.segment(), "it expired at " + current.expiresAt);
      }
      current.checkpoint = Math.max(current.checkpoint, position);
    }
  }

  @Override
  public void release(SegmentClaim claim) {
    Objects.requireNonNull(claim, "claim");
    Processor state = processor(claim.processor());
    synchronized (state) {
      Segment current = segment(state, claim.processor(), claim.segment());
      if (current.token == claim.token() && claim.owner().equals(current.owner)) {
        current.owner = null;
        current.expiresAt = null;
      }
    }
  }

  @Override
  public List<SegmentState> segments(String processor) {
    Objects.requireNonNull(processor, "processor");
    Processor state;
    synchronized (processors) {
      state = processors.get(processor);
    }
    if (state == null) {
      return List.of();
    }
    synchronized (state) {
      List<SegmentState> list = new ArrayList<>(state.segments.length);
      for (int i = 0; i < state.segments.length; i++) {
        Segment s = state.segments[i];
        list.add(new SegmentState(i, s.checkpoint, s.owner, s.token, s.expiresAt));
      }
      return list;
    }
  }

  @Override
  public void reset(String processor, long position, Instant now) {
    Objects.requireNonNull(now, "now");
    if (position < 0) {
      throw new IllegalArgumentException("position must be >= 0, was " + position);
    }
    Processor state = processor(processor);
    synchronized (state) {
      for (int i = 0; i < state.segments.length; i++) {
        Segment s = state.segments[i];
        if (s.owner != null && s.expiresAt.isAfter(now)) {
          throw new IllegalStateException(
              "Cannot reset processor '"
                  + processor
                  + "': segment "
                  + i
                  + " is claimed by '"
                  + s.owner
                  + "' until "
                  + s.expiresAt
                  + "; stop it everywhere first");
        }
      }
      for (Segment s : state.segments) {
        s.checkpoint = position;
        // Every earlier claim is fenced, as the Couchbase store's reset does: a checkpoint its
        // holder sent before the claim expired, arriving now, must not undo the reset.
        s.token++;
        s.owner = null;
        s.expiresAt = null;
      }
    }
  }

  @Override
  public List<String> heartbeat(String processor, String owner, Instant now, Duration ttl) {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(now, "now");
    checkTtl(ttl);
    Processor state = processor(processor);
    synchronized (state) {
      state.members.put(owner, now.plus(ttl));
      state.members.values().removeIf(until -> !until.isAfter(now));
      return List.copyOf(state.members.keySet());
    }
  }

  @Override
  public void leave(String processor, String owner) {
    Objects.requireNonNull(owner, "owner");
    Processor state;
    synchronized (processors) {
      state = processors.get(Objects.requireNonNull(processor, "processor"));
    }
    if (state != null) {
      synchronized (state) {
        state.members.remove(owner);
      }
    }
  }

  private Processor processor(String processor) {
    Objects.requireNonNull(processor, "processor");
    synchronized (processors) {
      Processor state = processors.get(processor);
      if (state == null) {
        throw new IllegalArgumentException(
            "Processor '" + processor + "' has no segment count yet: call segmentCount first");
      }
      return state;
    }
  }

  private static Segment segment(Processor state, String processor, int segment) {
    if (segment < 0 || segment >= state.segments.length) {
      throw new IllegalArgumentException(
          "Processor '"
              + processor
              + "' has segments 0.."
              + (state.segments.length - 1)
              + ", not "
              + segment);
    }
    return state.segments[segment];
  }

  private static void checkTtl(Duration ttl) {
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive, was " + ttl);
    }
  }
}
