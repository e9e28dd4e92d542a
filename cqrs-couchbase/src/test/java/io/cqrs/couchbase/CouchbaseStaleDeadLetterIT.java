package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.ClaimLostException;
import io.cqrs.EventProcessingFailed;
import io.cqrs.EventProcessor;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.VersionedEvent;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * On Couchbase: process A, whose clock is behind, fails on an event and is replaced by B (its claim
 * ran out on B's clock) while A's last attempt runs; B handles the event. A's failure must not
 * become a dead letter that every process lists.
 */
class CouchbaseStaleDeadLetterIT extends RepositoryIT {
  private static final Duration TTL = Duration.ofHours(1);
  private final List<TrackingEventProcessor> started = new ArrayList<>();
  private final List<CouchbaseEventStreamRepository> opened = new ArrayList<>();
  private final List<CountDownLatch> toRelease = new ArrayList<>();
  private final CouchbaseEventStreamRepository writer = repository();

  @AfterEach
  void stop() {
    toRelease.forEach(CountDownLatch::countDown);
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

  @Test
  void a_process_replaced_during_its_last_attempt_does_not_dead_letter_what_the_new_owner_handled()
      throws Exception {
    List<VersionedEvent> saved = batch("acct-1", 0, 1);
    writer.save("acct-1", 0, saved);

    CouchbaseEventStreamRepository pa = process();
    CountDownLatch refused = new CountDownLatch(1);
    ForwardingProcessorStore storeA =
        new ForwardingProcessorStore(pa) {
          @Override
          public void saveCheckpoint(SegmentClaim claim, long position, Instant now) {
            try {
              super.saveCheckpoint(claim, position, now);
            } catch (ClaimLostException e) {
              refused.countDown();
              throw e;
            }
          }
        };
    MutableClock clockA = new MutableClock(); // stays behind
    CountDownLatch lastAttempt = new CountDownLatch(1);
    CountDownLatch failNow = new CountDownLatch(1);
    toRelease.add(failNow);
    AtomicInteger attempts = new AtomicInteger();
    TrackingEventProcessor a =
        EventProcessor.tracking("stale-letter", pa, storeA)
            .owner("A")
            .clock(clockA)
            .claimTtl(TTL)
            .maxAttempts(3)
            .idleWait(Duration.ofMillis(20))
            .handler(
                e -> {
                  if (e.version() == 0) {
                    return; // letters
                  }
                  if (attempts.incrementAndGet() == 3) {
                    lastAttempt.countDown();
                    failNow.await();
                  }
                  throw new IllegalStateException("A's database refuses it");
                })
            .build();
    started.add(a);
    a.start();
    assertThat(lastAttempt.await(30, TimeUnit.SECONDS)).isTrue();

    CouchbaseEventStreamRepository pb = process();
    MutableClock clockB = new MutableClock();
    clockB.advance(TTL.multipliedBy(2)); // A's claim and membership have run out here
    List<String> bGot = new CopyOnWriteArrayList<>();
    TrackingEventProcessor b =
        EventProcessor.tracking("stale-letter", pb, pb)
            .owner("B")
            .clock(clockB)
            .claimTtl(TTL)
            .idleWait(Duration.ofMillis(20))
            .handler(e -> bGot.add(e.id()))
            .build();
    started.add(b);
    b.start();
    Await.until(
        "B handled the event and checkpointed past it",
        () ->
            bGot.contains(saved.get(0).id())
                && pb.segments("stale-letter").get(0).checkpoint() > 0);

    failNow.countDown();
    assertThat(refused.await(30, TimeUnit.SECONDS)).as("A found its claim lost").isTrue();

    List<VersionedEvent> letters =
        writer.eventsByCorrelationId(saved.get(0).correlationId()).stream()
            .filter(e -> e.event() instanceof EventProcessingFailed)
            .toList();
    assertThat(letters).as("letters recorded by a process whose claim was taken over").isEmpty();
    assertThat(b.deadLetters()).isEmpty();
  }
}
