package io.cqrs.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.AggregateCache;
import io.cqrs.Command;
import io.cqrs.ConcurrencyException;
import io.cqrs.Cqrs;
import io.cqrs.interceptor.AggregateCall;
import io.cqrs.interceptor.AggregateInterceptor;
import io.cqrs.interceptor.InterceptorFailedException;
import io.cqrs.micrometer.Account.Deposit;
import io.cqrs.micrometer.Account.Open;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class AggregateMetricsTest {
  private static final String LOAD = "cqrs.aggregate.load";
  private static final String SAVE = "cqrs.aggregate.save";
  private static final String CACHE = "cqrs.aggregate.cache.gets";

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Meters meters = new Meters(registry);

  @Test
  void loads_and_saves_are_timed_cache_hits_counted_and_committed_events_counted_by_type()
      throws Exception {
    CqrsMetrics metrics = CqrsMetrics.of(registry);
    try (Cqrs cqrs =
        Account.cqrs()
            .aggregateCache(AggregateCache.maximumSize(100))
            .interceptors(metrics)
            .build()) {
      Account.handle(cqrs);
      metrics.bind(cqrs);
      cqrs.start();

      dispatch(cqrs, new Open("a-1"));
      dispatch(cqrs, new Open("b-1"));
      dispatch(cqrs, new Deposit("a-1", 5)); // a hit: the save of Open cached it
      dispatch(cqrs, new Deposit("a-1", 6)); // a hit
      assertThatThrownBy(() -> dispatch(cqrs, new Deposit("a-1", -1))) // a hit, then refused
          .isInstanceOf(IllegalArgumentException.class);
      cqrs.repository().cache().orElseThrow().invalidate("b-1");
      dispatch(cqrs, new Deposit("b-1", 7)); // a miss
      assertThat(cqrs.repository().find("nobody", Account::new)).isEmpty(); // a miss

      assertThat(meters.gauge("cqrs.aggregate.cache.size")).isEqualTo(2);
      assertThat(meters.counted("cqrs.aggregate.cache.evictions")).isZero();
    }

    assertThat(meters.timed(LOAD, "aggregate", "Account", "outcome", "succeeded")).isEqualTo(5);
    assertThat(meters.timed(LOAD)).isEqualTo(5);
    assertThat(meters.counted(CACHE, "aggregate", "Account", "result", "hit")).isEqualTo(3);
    assertThat(meters.counted(CACHE, "aggregate", "Account", "result", "miss")).isEqualTo(2);
    assertThat(meters.timed(SAVE, "aggregate", "Account", "outcome", "succeeded")).isEqualTo(5);
    assertThat(meters.timed(SAVE)).isEqualTo(5);
    assertThat(meters.counted("cqrs.events.appended", "event", "Opened")).isEqualTo(2);
    assertThat(meters.counted("cqrs.events.appended", "event", "Deposited")).isEqualTo(3);
    assertThat(published("Opened", "succeeded")).isEqualTo(2);
    assertThat(published("Deposited", "succeeded")).isEqualTo(3);
    assertThat(meters.timed("cqrs.events.published", "outcome", "failed")).isZero();
  }

  @Test
  void a_save_that_loses_to_another_writer_counts_as_a_conflict_and_its_events_are_not_counted()
      throws Exception {
    try (Cqrs cqrs = Account.cqrs().interceptors(CqrsMetrics.of(registry)).build()) {
      cqrs.start();
      Account first = new Account("a-1");
      first.deposit(1);
      cqrs.repository().save(first, "c-1");
      Account stale = cqrs.repository().get("a-1", Account::new);
      Account fresh = cqrs.repository().get("a-1", Account::new);
      fresh.deposit(2);
      cqrs.repository().save(fresh, "c-2");
      stale.deposit(3);
      assertThatThrownBy(() -> cqrs.repository().save(stale, "c-3"))
          .isInstanceOf(ConcurrencyException.class);
    }

    assertThat(meters.timed(SAVE, "aggregate", "Account", "outcome", "succeeded")).isEqualTo(2);
    assertThat(meters.timed(SAVE, "aggregate", "Account", "outcome", "conflict")).isEqualTo(1);
    assertThat(meters.counted("cqrs.events.appended", "event", "Deposited")).isEqualTo(2);
    assertThat(published("Deposited", "succeeded")).isEqualTo(2);
    assertThat(meters.counted(CACHE, "result", "miss"))
        .as("without a cache every load is a miss")
        .isEqualTo(2);
  }

  @Test
  void a_save_an_interceptor_inside_the_metrics_failed_counts_as_failed_not_as_rejected() {
    AggregateInterceptor refusing =
        call -> {
          if (call.kind() == AggregateCall.Kind.SAVE) {
            throw new IllegalArgumentException("the interceptor's own");
          }
          call.proceed();
        };
    try (Cqrs cqrs = Account.cqrs().interceptors(CqrsMetrics.of(registry), refusing).build()) {
      Account.handle(cqrs);
      cqrs.start();

      assertThatThrownBy(() -> dispatch(cqrs, new Open("a-1")))
          .isInstanceOf(InterceptorFailedException.class);
    }

    assertThat(meters.timed(SAVE, "aggregate", "Account", "outcome", "failed")).isEqualTo(1);
    assertThat(meters.timed(SAVE, "aggregate", "Account", "outcome", "rejected")).isZero();
    assertThat(meters.timed("cqrs.commands.handled", "command", "Open", "outcome", "failed"))
        .as("the command's failure, not the domain's rejection")
        .isEqualTo(1);
  }

  private static void dispatch(Cqrs cqrs, Object body) throws Exception {
    cqrs.commands().dispatch(Command.create(body));
  }

  private long published(String event, String outcome) {
    return meters.timed("cqrs.events.published", "event", event, "outcome", outcome);
  }
}
