package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventRelay;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OwedMarksTest {
  private static final String RELAY = EventRelay.processorName("cqrs-relay");
  private static final Duration TTL = Duration.ofSeconds(10);

  private final AtomicLong now = new AtomicLong(1_000);
  private final OwedMarks marks = new OwedMarks(3, now::get);

  private static long position(long seq) {
    return LogReader.position(seq, 0);
  }

  @Test
  void only_a_relay_lease_counts() {
    assertThat(OwedMarks.isRelay(RELAY)).isTrue();
    assertThat(OwedMarks.isRelay("ledger")).isFalse();
    assertThat(OwedMarks.isRelay("my-relay:x")).isFalse();
  }

  @Test
  void nothing_is_owed_without_a_lease_of_this_process() {
    assertThat(marks.owe(1, "k1", 1, 1)).isFalse();
    assertThat(marks.covers(1, 1)).isFalse();
  }

  @Test
  void a_mark_owed_while_the_relay_leads_covers_its_commit_only() {
    marks.leased(RELAY, TTL, 0, 1, now.get());

    assertThat(marks.owe(5, "k5", 3, 4)).isTrue();

    assertThat(marks.covers(5, 3)).isTrue();
    assertThat(marks.covers(5, 4)).isTrue();
    assertThat(marks.covers(5, 5)).isFalse();
    assertThat(marks.covers(6, 3)).isFalse();
  }

  @Test
  void beyond_its_capacity_marks_are_written() {
    marks.leased(RELAY, TTL, 0, 1, now.get());
    for (long seq = 1; seq <= 3; seq++) {
      assertThat(marks.owe(seq, "k" + seq, 1, 1)).isTrue();
    }

    assertThat(marks.owe(4, "k4", 1, 1)).isFalse();
    assertThat(marks.covers(4, 1)).isFalse();
  }

  @Test
  void a_checkpoint_forgets_the_commits_before_it_and_keeps_the_one_it_is_in() {
    marks.leased(RELAY, TTL, 0, 1, now.get());
    marks.owe(1, "k1", 1, 1);
    marks.owe(2, "k2", 1, 2);
    marks.owe(3, "k3", 1, 1);

    marks.passed(RELAY, LogReader.position(2, 0)); // the first event of sequence 2 only

    assertThat(marks.size()).isEqualTo(2);
    assertThat(marks.covers(1, 1)).isFalse();
    assertThat(marks.covers(2, 2)).isTrue();
    // What is forgotten is not handed back to be written: the relay has passed it.
    assertThat(marks.lost(RELAY)).extracting(OwedMarks.Owed::seq).containsExactly(2L, 3L);
  }

  /**
   * A checkpoint at a commit's last event has passed it whole: kept, the mark of a log's last
   * commit stayed owed, and the run unrecorded, for as long as nothing was committed after it, so
   * that other processes' readers found that event unpublished (seen in the scale-out run).
   */
  @Test
  void a_checkpoint_at_the_last_event_of_a_commit_forgets_it_and_returns_the_run() {
    marks.leased(RELAY, TTL, 0, 1, now.get());
    marks.owe(2, "k2", 1, 2);

    assertThat(marks.passed(RELAY, LogReader.position(2, 0))).isNull(); // in part: kept
    assertThat(marks.passed(RELAY, LogReader.position(2, 1)))
        .containsExactly(0L, LogReader.position(2, 1));

    assertThat(marks.size()).isZero();
    assertThat(marks.covers(2, 2)).isFalse();
  }

  @Test
  void a_lease_taken_with_a_checkpoint_forgets_what_that_checkpoint_passed() {
    marks.leased(RELAY, TTL, 0, 1, now.get());
    marks.owe(1, "k1", 1, 1);
    marks.owe(2, "k2", 1, 2);

    marks.leased(RELAY, TTL, position(2), 1, now.get()); // the first of commit 2's two events

    assertThat(marks.drain()).extracting(OwedMarks.Owed::seq).containsExactly(2L);
  }

  @Test
  void a_lost_lease_hands_every_owed_mark_back_and_owes_no_more() {
    marks.leased(RELAY, TTL, 0, 1, now.get());
    marks.owe(1, "k1", 1, 1);
    marks.owe(2, "k2", 1, 1);

    assertThat(marks.lost(RELAY))
        .containsExactly(new OwedMarks.Owed(1, "k1", 1, 1), new OwedMarks.Owed(2, "k2", 1, 1));

    assertThat(marks.size()).isZero();
    assertThat(marks.covers(1, 1)).isFalse();
    assertThat(marks.owe(3, "k3", 1, 1)).isFalse();
  }

  @Test
  void while_another_relay_of_this_process_leads_nothing_is_handed_back() {
    String other = EventRelay.processorName("audit");
    marks.leased(RELAY, TTL, 0, 1, now.get());
    marks.leased(other, TTL, 0, 1, now.get());
    marks.owe(1, "k1", 1, 1);

    assertThat(marks.lost(RELAY)).isEmpty();
    assertThat(marks.covers(1, 1)).isTrue();
    assertThat(marks.lost(other)).hasSize(1);
  }

  @Test
  void a_lease_counts_here_for_two_thirds_of_its_time_from_when_it_was_asked_for() {
    long askedAt = now.get();
    now.addAndGet(1_000_000); // the claim took a millisecond
    marks.leased(RELAY, TTL, 0, 1, askedAt);
    marks.owe(1, "k1", 1, 1);
    now.set(askedAt + TTL.toNanos() / 3 * 2 - 1);
    assertThat(marks.expired()).isEmpty();
    assertThat(marks.nanosLeft()).isEqualTo(1);
    assertThat(marks.owe(2, "k2", 1, 1)).isTrue();

    now.addAndGet(1);

    assertThat(marks.nanosLeft()).isZero();
    assertThat(marks.owe(3, "k3", 1, 1)).isFalse();
    assertThat(marks.expired()).extracting(OwedMarks.Owed::seq).containsExactly(1L, 2L);
    assertThat(marks.expired()).isEmpty();
  }

  @Test
  void once_drained_nothing_is_owed_whatever_a_relay_still_does() {
    marks.leased(RELAY, TTL, 0, 1, now.get());
    marks.owe(1, "k1", 1, 1);

    assertThat(marks.drain()).hasSize(1);

    assertThat(marks.leased(RELAY, TTL, 0, 1, now.get())).isNull();
    assertThat(marks.owe(2, "k2", 1, 1)).isFalse();
    assertThat(marks.passedRun()).isNull();
  }

  @Test
  void a_renewal_extends_the_lease() {
    marks.leased(RELAY, TTL, 0, 1, now.get());
    now.addAndGet(TTL.toNanos() / 2);
    marks.leased(RELAY, TTL, 0, 1, now.get());
    now.addAndGet(TTL.toNanos() / 2);

    assertThat(marks.owe(1, "k1", 1, 1)).isTrue();
  }

  @Test
  void the_run_a_relay_passed_is_known_while_it_leads_and_recorded_when_marks_are_forgotten() {
    assertThat(marks.passedRun()).isNull();
    assertThat(marks.leased(RELAY, TTL, position(3), 1, now.get())).isNull(); // nothing to forget
    assertThat(marks.passedRun()).isNull(); // nothing passed yet in this run
    marks.owe(4, "k4", 1, 1);

    // Its only event: the commit is passed whole, and the run is recorded (the log may end here).
    assertThat(marks.passed(RELAY, position(4))).containsExactly(position(3), position(4));
    assertThat(marks.passed(RELAY, position(5))).isNull(); // nothing more forgotten
    assertThat(marks.passed(RELAY, position(6))).isNull();
    assertThat(marks.leased(RELAY, TTL, position(6), 1, now.get())).isNull(); // a renewal

    assertThat(marks.passedRun()).containsExactly(position(3), position(6));
    marks.lost(RELAY);
    assertThat(marks.passedRun()).isNull();
  }

  @Test
  void a_checkpoint_the_relay_did_not_reach_itself_starts_a_new_run() {
    marks.leased(RELAY, TTL, position(3), 1, now.get());
    marks.passed(RELAY, position(5));
    marks.owe(7, "k7", 1, 1);

    // Another relay passed on, or an operator reset the processor, between two leases.
    // The mark of 7 is forgotten (whoever moved the checkpoint passed it), but no run is recorded:
    // this relay passed nothing from there itself.
    assertThat(marks.leased(RELAY, TTL, position(9), 2, now.get())).isNull();
    assertThat(marks.size()).isZero();
    assertThat(marks.passedRun()).isNull();
    marks.owe(10, "k10", 1, 1);
    assertThat(marks.passed(RELAY, position(11))).containsExactly(position(9), position(11));
  }

  /**
   * The relay's checkpoint write landed but reported a failure, so this process never learnt the
   * checkpoint: the renewal, with the same token, finds it moved. Only this relay can have moved
   * it, so the run goes on and is recorded; a new run from there would drop what it passed.
   */
  @Test
  void a_checkpoint_saved_unknown_here_continues_the_run_when_the_token_is_the_same() {
    marks.leased(RELAY, TTL, position(3), 1, now.get());
    marks.owe(4, "k4", 1, 1);
    marks.owe(5, "k5", 1, 1);

    assertThat(marks.leased(RELAY, TTL, position(5), 1, now.get()))
        .containsExactly(position(3), position(5));
    assertThat(marks.size()).isZero();
    assertThat(marks.passedRun()).containsExactly(position(3), position(5));
  }

  @Test
  void a_checkpoint_of_a_relay_that_does_not_lead_here_changes_nothing() {
    marks.leased(RELAY, TTL, 0, 1, now.get());
    marks.owe(1, "k1", 1, 1);

    marks.passed(EventRelay.processorName("elsewhere"), position(5));

    assertThat(marks.covers(1, 1)).isTrue();
  }

  /**
   * A relay that lost its lease to another relay of the same name in this process (a stuck pass of
   * a closed relay, a second instance) must not record a run from the new lease's start: its
   * checkpoint write is about to be refused, and the run could cover an event the new lease's relay
   * has yet to publish (an operator reset it back for that).
   */
  @Test
  void only_the_lease_holder_s_checkpoint_records_a_run() {
    marks.leased(RELAY, TTL, position(3), 8, now.get()); // the new lease, token 8
    marks.owe(4, "k4", 1, 1);

    assertThat(marks.wouldPass(RELAY, 7, position(4))).as("the fenced relay, token 7").isNull();
    assertThat(marks.wouldPass(RELAY, 8, position(4))).containsExactly(position(3), position(4));
  }

  /**
   * An owed mark ends in one of three places: still owed, handed back to be written, or inside a
   * run returned for the record. Here a log reader of this process drops the expired lease's entry
   * without handing anything back; the relay, mid-pass, saves its checkpoint past the commit (no
   * lease found) and renews with the same token: the renewal starts a new run at the checkpoint,
   * which cannot cover the commit, so its mark must be handed back rather than forgotten.
   */
  @Test
  void an_owed_mark_is_never_forgotten_without_being_recorded_or_handed_back() {
    marks.leased(RELAY, TTL, position(1), 7, now.get());
    assertThat(marks.owe(2, "k2", 1, 1)).isTrue();

    now.addAndGet(TTL.toNanos() / 3 * 2); // a pause past two thirds of the lease
    assertThat(marks.passedRun()).isNull(); // another reader of this process
    long[] ahead = marks.wouldPass(RELAY, 7, position(2)); // the relay's save, past the commit
    long[] saved = marks.passed(RELAY, position(2));
    long[] renewed = marks.leased(RELAY, TTL, position(2), 7, now.get()); // same token

    assertThat(ahead).isNull();
    assertThat(saved).isNull();
    assertThat(renewed).isNull();
    assertThat(marks.takeToSend()).extracting(OwedMarks.Owed::seq).containsExactly(2L);
    assertThat(marks.unwrittenUpTo(2)).extracting(OwedMarks.Owed::seq).containsExactly(2L);
  }

  @Test
  void a_handed_back_mark_stays_unwritten_until_its_write_is_acknowledged() {
    marks.leased(RELAY, TTL, 0, 1, now.get());
    marks.owe(2, "k2", 1, 1);
    marks.owe(5, "k5", 1, 1);

    java.util.List<OwedMarks.Owed> back = marks.lost(RELAY);

    assertThat(marks.unwrittenUpTo(4)).extracting(OwedMarks.Owed::seq).containsExactly(2L);
    marks.written(back.get(0));
    assertThat(marks.unwrittenUpTo(5)).extracting(OwedMarks.Owed::seq).containsExactly(5L);
  }
}
