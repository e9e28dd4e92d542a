package io.cqrs.memory;

import io.cqrs.ClaimLostException;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.SegmentState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.ThreadIdGen;
import org.junit.jupiter.api.Test;

/**
 * Model-checks {@link ProcessorTable}, the in-memory {@link io.cqrs.spi.ProcessorStore}, against
 * {@link Model}, a sequential table written from the SPI's Javadoc: at most one live owner per
 * segment, a new claim's token above every earlier one, a checkpoint under a stale or expired claim
 * refused with {@link ClaimLostException}, checkpoints that only move forward except by a reset.
 *
 * <p>Each thread is one owner (its thread id), which keeps the claims it was granted, as an event
 * processor does, and writes checkpoints and releases under the last one of each segment. Every
 * operation names its own {@code now}: owners' clocks may disagree, and the fencing must hold
 * whatever they say.
 */
@Param(name = "owner", gen = ThreadIdGen.class)
@Param(name = "segment", gen = IntGen.class, conf = "0:1")
@Param(name = "now", gen = IntGen.class, conf = "0:5")
@Param(name = "position", gen = IntGen.class, conf = "1:4")
public class ProcessorTableLincheckTest {
  private static final String PROCESSOR = "p";
  private static final int SEGMENTS = 2;
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration TTL = Duration.ofSeconds(3);

  private static Instant at(int now) {
    return T0.plusSeconds(now);
  }

  private static long seconds(Instant instant) {
    return instant.getEpochSecond() - T0.getEpochSecond();
  }

  private static String owner(int thread) {
    return "owner" + thread;
  }

  private static String describe(SegmentClaim claim) {
    return "token "
        + claim.token()
        + " cp "
        + claim.checkpoint()
        + " until "
        + seconds(claim.expiresAt());
  }

  private final ProcessorTable table = new ProcessorTable();

  /** The last claim each owner (thread) was granted on each segment; each row its thread's own. */
  private final SegmentClaim[][] granted = new SegmentClaim[8][SEGMENTS];

  public ProcessorTableLincheckTest() {
    table.segmentCount(PROCESSOR, SEGMENTS);
  }

  @Operation
  public String claim(
      @Param(name = "owner") int owner,
      @Param(name = "segment") int segment,
      @Param(name = "now") int now) {
    Optional<SegmentClaim> claim = table.claim(PROCESSOR, segment, owner(owner), at(now), TTL);
    if (claim.isEmpty()) {
      return "held by another";
    }
    granted[owner][segment] = claim.get();
    return describe(claim.get());
  }

  @Operation
  public String saveCheckpoint(
      @Param(name = "owner") int owner,
      @Param(name = "segment") int segment,
      @Param(name = "position") int position,
      @Param(name = "now") int now) {
    SegmentClaim claim = granted[owner][segment];
    if (claim == null) {
      return "never claimed";
    }
    try {
      table.saveCheckpoint(claim, position, at(now));
      return "saved";
    } catch (ClaimLostException e) {
      return "claim lost";
    }
  }

  @Operation
  public String release(@Param(name = "owner") int owner, @Param(name = "segment") int segment) {
    SegmentClaim claim = granted[owner][segment];
    if (claim == null) {
      return "never claimed";
    }
    table.release(claim);
    return "released";
  }

  @Operation
  public String reset(@Param(name = "position") int position, @Param(name = "now") int now) {
    try {
      table.reset(PROCESSOR, position, at(now));
      return "reset";
    } catch (IllegalStateException e) {
      return "claimed";
    }
  }

  @Operation
  public List<String> segments() {
    List<String> described = new ArrayList<>();
    for (SegmentState s : table.segments(PROCESSOR)) {
      described.add(
          "cp "
              + s.checkpoint()
              + " owner "
              + s.owner()
              + " token "
              + s.token()
              + " until "
              + (s.expiresAt() == null ? "-" : seconds(s.expiresAt())));
    }
    return described;
  }

  /**
   * The races the fencing is for, then random scenarios. Owner 0 holds segment 0 until 3 from the
   * initial part on.
   */
  @Test
  void model_checking() {
    new ModelCheckingOptions()
        // a stalled holder's checkpoint racing the owner that takes over its expired claim
        .addCustomScenario(
            Scenarios.of(getClass())
                .initial("claim", 0, 0, 0)
                .thread("saveCheckpoint", 0, 0, 4, 1)
                .then("saveCheckpoint", 0, 0, 5, 2)
                .thread("claim", 1, 0, 4)
                .then("saveCheckpoint", 1, 0, 2, 4)
                .post("segments")
                .build())
        // three owners racing for a free segment, one of them late enough to take it over
        .addCustomScenario(
            Scenarios.of(getClass())
                .thread("claim", 0, 1, 0)
                .then("saveCheckpoint", 0, 1, 3, 1)
                .thread("claim", 1, 1, 0)
                .then("saveCheckpoint", 1, 1, 4, 1)
                .thread("claim", 2, 1, 3)
                .then("saveCheckpoint", 2, 1, 1, 3)
                .post("segments")
                .build())
        // a reset by a clock that sees the claim expired, racing the holder's checkpoint and
        // renewal
        .addCustomScenario(
            Scenarios.of(getClass())
                .initial("claim", 0, 0, 0)
                .initial("saveCheckpoint", 0, 0, 4, 1)
                .thread("saveCheckpoint", 0, 0, 5, 2)
                .then("claim", 0, 0, 2)
                .thread("reset", 1, 4)
                .then("segments")
                .post("segments")
                .build())
        // a release racing a takeover, each side writing a checkpoint after
        .addCustomScenario(
            Scenarios.of(getClass())
                .initial("claim", 0, 0, 0)
                .thread("release", 0, 0)
                .then("saveCheckpoint", 0, 0, 2, 1)
                .thread("claim", 1, 0, 1)
                .then("saveCheckpoint", 1, 0, 3, 1)
                .post("segments")
                .build())
        .iterations(3)
        .invocationsPerIteration(100)
        .threads(3)
        .actorsPerThread(2)
        .actorsBefore(2)
        .actorsAfter(1)
        .sequentialSpecification(Model.class)
        .check(getClass());
  }

  @Test
  void stress() {
    new StressOptions()
        .iterations(10)
        .invocationsPerIteration(500)
        .threads(3)
        .actorsPerThread(3)
        .actorsBefore(2)
        .sequentialSpecification(Model.class)
        .check(getClass());
  }

  /**
   * The table one operation at a time, from {@link io.cqrs.spi.ProcessorStore} and {@link
   * SegmentClaim}. A segment is held at {@code now} while its owner's claim ends after {@code now}.
   * The model numbers tokens densely (each new claim and each reset takes the next), which the SPI
   * only bounds from below ("greater than every earlier claim"); a reset fences every earlier
   * claim, so that a checkpoint its holder sent before the reset cannot undo it.
   */
  public static final class Model {
    private final long[] checkpoint = new long[SEGMENTS];
    private final long[] token = new long[SEGMENTS];
    private final String[] holder = new String[SEGMENTS];
    private final long[] until = new long[SEGMENTS];
    private final SegmentClaim[][] granted = new SegmentClaim[8][SEGMENTS];

    private boolean heldAt(int segment, long now) {
      return holder[segment] != null && until[segment] > now;
    }

    public String claim(int owner, int segment, int now) {
      String who = owner(owner);
      if (heldAt(segment, now) && !holder[segment].equals(who)) {
        return "held by another";
      }
      if (!heldAt(segment, now)) {
        token[segment]++;
        holder[segment] = who;
      }
      until[segment] = now + TTL.toSeconds();
      SegmentClaim claim =
          new SegmentClaim(
              PROCESSOR,
              segment,
              who,
              token[segment],
              checkpoint[segment],
              at((int) until[segment]));
      granted[owner][segment] = claim;
      return describe(claim);
    }

    public String saveCheckpoint(int owner, int segment, int position, int now) {
      SegmentClaim claim = granted[owner][segment];
      if (claim == null) {
        return "never claimed";
      }
      boolean current = holder[segment] != null && token[segment] == claim.token();
      if (!current || until[segment] <= now) {
        return "claim lost";
      }
      checkpoint[segment] = Math.max(checkpoint[segment], position);
      return "saved";
    }

    public String release(int owner, int segment) {
      SegmentClaim claim = granted[owner][segment];
      if (claim == null) {
        return "never claimed";
      }
      if (token[segment] == claim.token() && claim.owner().equals(holder[segment])) {
        holder[segment] = null;
      }
      return "released";
    }

    public String reset(int position, int now) {
      for (int s = 0; s < SEGMENTS; s++) {
        if (heldAt(s, now)) {
          return "claimed";
        }
      }
      for (int s = 0; s < SEGMENTS; s++) {
        checkpoint[s] = position;
        token[s]++;
        holder[s] = null;
      }
      return "reset";
    }

    public List<String> segments() {
      List<String> described = new ArrayList<>();
      for (int s = 0; s < SEGMENTS; s++) {
        described.add(
            "cp "
                + checkpoint[s]
                + " owner "
                + holder[s]
                + " token "
                + token[s]
                + " until "
                + (holder[s] == null ? "-" : until[s]));
      }
      return described;
    }
  }
}
