package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventProcessor;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.testing.Await;
import io.cqrs.testing.ForwardingProcessorStore;
import io.cqrs.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * From an adversarial run against the processors on Couchbase: process A parks inside {@code
 * saveCheckpoint} with a frozen clock while C resets the processor and B takes the segment over;
 * A's late save is refused and B keeps the segment and its checkpoint.
 */
class CouchbaseFencingAdversaryIT extends RepositoryIT {
  private final List<TrackingEventProcessor> started = new ArrayList<>();
  private final List<CouchbaseEventStreamRepository> opened = new ArrayList<>();
  private final CouchbaseEventStreamRepository writer = repository();

  private Parking last;

  @AfterEach
  void stop() {
    if (last != null) last.go.countDown();
    started.forEach(TrackingEventProcessor::close);
    opened.forEach(CouchbaseEventStreamRepository::close);
  }

  private CouchbaseEventStreamRepository process() {
    CouchbaseEventStreamRepository repository =
        CouchbaseEventStreamRepository.builder(server.connectionString(), TestEvents.serializer())
            .credentials(server.username(), server.password())
            .bucket(server.bucketName())
            .keyPrefix(prefix)
            .gapGracePeriod(SHORT_GRACE)
            .build();
    opened.add(repository);
    return repository;
  }

  static final class Parking extends ForwardingProcessorStore {
    final List<String> saved = new CopyOnWriteArrayList<>();
    final List<String> refused = new CopyOnWriteArrayList<>();
    final CountDownLatch parked = new CountDownLatch(1);
    final CountDownLatch go = new CountDownLatch(1);
    volatile boolean park = true;

    Parking(ProcessorStore delegate) {
      super(delegate);
    }

    @Override
    public void saveCheckpoint(SegmentClaim claim, long position, Instant now) {
      if (park && position > 0) {
        park = false;
        parked.countDown();
        try {
          go.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      try {
        super.saveCheckpoint(claim, position, now);
        saved.add(claim.owner() + "@" + claim.token() + ":" + position);
      } catch (RuntimeException e) {
        refused.add(claim.owner() + "@" + claim.token() + ":" + position + " " + e);
        throw e;
      }
    }
  }

  @Test
  void a_checkpoint_parked_across_a_takeover_and_a_reset_is_refused() throws Exception {
    writer.save("acct-1", 0, batch("acct-1", 0, 5));
    CouchbaseEventStreamRepository pa = process();
    Parking parking = new Parking(pa);
    last = parking;
    MutableClock clockA = new MutableClock();
    List<Long> aGot = new CopyOnWriteArrayList<>();
    TrackingEventProcessor a =
        EventProcessor.tracking("fence", pa, parking)
            .owner("A")
            .clock(clockA)
            .claimTtl(Duration.ofMinutes(1))
            .checkpointInterval(Duration.ofHours(1))
            .idleWait(Duration.ofMillis(20))
            .handler(e -> aGot.add(e.version()))
            .build();
    started.add(a);
    a.start();
    assertThat(parking.parked.await(30, TimeUnit.SECONDS)).isTrue();

    // A reset by an operator whose clock finds A's claim run out
    CouchbaseEventStreamRepository pc = process();
    MutableClock clockC = new MutableClock();
    clockC.advance(Duration.ofMinutes(5));
    TrackingEventProcessor c =
        EventProcessor.tracking("fence", pc, pc).clock(clockC).handler(e -> {}).build();
    c.resetTo(0);

    // then B, with the same clock, takes the segment over and handles everything
    CouchbaseEventStreamRepository pb = process();
    List<Long> bGot = new CopyOnWriteArrayList<>();
    TrackingEventProcessor b =
        EventProcessor.tracking("fence", pb, pb)
            .owner("B")
            .clock(clockC)
            .claimTtl(Duration.ofMinutes(1))
            .idleWait(Duration.ofMillis(20))
            .handler(e -> bGot.add(e.version()))
            .build();
    started.add(b);
    b.start();
    Await.until("B handled all", () -> bGot.size() == 5);
    // B saves its checkpoint after its handler saw the events, not with them.
    Await.until("B's checkpoint saved", () -> pb.segments("fence").get(0).checkpoint() > 0);
    long bCheckpoint = pb.segments("fence").get(0).checkpoint();
    parking.go.countDown();
    Await.until("A's save decided", () -> !parking.refused.isEmpty() || !parking.saved.isEmpty());
    assertThat(parking.saved).isEmpty();
    assertThat(pb.segments("fence").get(0).owner()).isEqualTo(b.owner());
    assertThat(pb.segments("fence").get(0).checkpoint()).isEqualTo(bCheckpoint);
  }
}
