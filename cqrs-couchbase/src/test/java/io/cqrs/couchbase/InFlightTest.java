package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Sinks;

/**
 * What {@link CouchbaseEventStreamRepository#close()} relies on to not cut off the head updates and
 * publication marks it sent without waiting: every tracked write counts until it ends, however it
 * ends, and a wait returns as soon as none is left, or at its timeout.
 */
class InFlightTest {
  private final InFlight inFlight = new InFlight();

  @Test
  void a_write_counts_from_when_it_is_tracked_until_it_ends_however_it_ends() {
    Sinks.One<String> succeeds = Sinks.one();
    Sinks.One<String> fails = Sinks.one();
    Sinks.One<String> cancelled = Sinks.one();

    inFlight.track(succeeds.asMono()).subscribe();
    inFlight.track(fails.asMono()).subscribe(null, e -> {});
    var subscription = inFlight.track(cancelled.asMono()).subscribe();
    assertThat(inFlight.count()).isEqualTo(3);

    succeeds.tryEmitValue("done");
    fails.tryEmitError(new IllegalStateException("lost"));
    assertThat(inFlight.count()).isEqualTo(1);
    subscription.dispose();
    assertThat(inFlight.count()).isZero();
  }

  @Test
  void a_wait_blocks_until_the_last_write_ends() throws Exception {
    Sinks.One<String> write = Sinks.one();
    inFlight.track(write.asMono()).subscribe();
    CountDownLatch waiting = new CountDownLatch(1);
    AtomicBoolean returned = new AtomicBoolean();
    Thread closer =
        new Thread(
            () -> {
              waiting.countDown();
              try {
                inFlight.await(Duration.ofMinutes(1));
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              returned.set(true);
            });
    closer.start();
    waiting.await();

    // Still in flight: the closer cannot have returned, whenever it is looked at.
    closer.join(50);
    assertThat(returned).isFalse();
    write.tryEmitValue("done");
    closer.join(TimeUnit.SECONDS.toMillis(10));

    assertThat(returned).isTrue();
    assertThat(closer.isAlive()).isFalse();
  }

  @Test
  void a_wait_gives_up_at_its_timeout_when_a_write_never_ends() throws Exception {
    inFlight.track(Sinks.<String>one().asMono()).subscribe();

    inFlight.await(Duration.ofMillis(20));

    assertThat(inFlight.count()).isEqualTo(1);
  }

  @Test
  void with_nothing_in_flight_a_wait_returns_at_once() throws Exception {
    inFlight.await(Duration.ofDays(1));

    assertThat(inFlight.count()).isZero();
  }
}
