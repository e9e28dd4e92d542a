package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Progress on a terminal (one line redrawn) and elsewhere (plain periodic lines). */
class ProgressTest {
  private static final long SECOND = 1_000_000_000L;

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private final AtomicLong clock = new AtomicLong(1_000 * SECOND);

  private String written() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void without_a_terminal_it_writes_a_plain_line_every_ten_seconds_and_one_at_the_end() {
    Progress progress = new Progress(out, "replay", "log positions", false, clock::get);

    progress.update(0, 5_000);
    clock.addAndGet(2 * SECOND);
    progress.update(1_600, 5_000); // too soon after the first line: not written
    clock.addAndGet(8 * SECOND);
    progress.update(4_000, 5_000);
    clock.addAndGet(2 * SECOND);
    progress.finish(5_000, 5_000);

    assertThat(written().lines())
        .containsExactly(
            "replay: 0 of 5000 log positions (0%)",
            "replay: 4000 of 5000 log positions (80%), 400/s, about 3 s left",
            "replay: 5000 of 5000 log positions (100%), 417/s");
    assertThat(written()).doesNotContain("\r");
  }

  @Test
  void on_a_terminal_it_redraws_one_line_in_place_and_ends_it() {
    Progress progress = new Progress(out, "replay", "log positions", true, clock::get);

    clock.addAndGet(SECOND);
    progress.update(100_000, 1_000_000);
    clock.addAndGet(SECOND / 10);
    progress.update(110_000, 1_000_000); // within 200 ms: not redrawn
    clock.addAndGet(SECOND);
    progress.update(700_000, 1_000_000);
    clock.addAndGet(SECOND);
    progress.finish(1_000_000, 1_000_000);

    String text = written();
    assertThat(text.chars().filter(c -> c == '\r').count()).isEqualTo(3);
    assertThat(text.chars().filter(c -> c == '\n').count()).isEqualTo(1); // only at the end
    assertThat(text).endsWith(System.lineSeparator());
    assertThat(text)
        .contains("\rreplay: 100000 of 1000000 log positions (10%), 100000/s, about 9 s left")
        .contains("\rreplay: 700000 of 1000000 log positions (70%), 333333/s, about 1 s left")
        .contains("\rreplay: 1000000 of 1000000 log positions (100%), 322581/s");
  }

  @Test
  void a_long_operation_shows_minutes_and_hours_left() {
    Progress progress = new Progress(out, "replay", "log positions", false, clock::get);

    clock.addAndGet(10 * SECOND);
    assertThat(progress.line(100, 4_000, clock.get())).endsWith("10/s, about 6 min 30 s left");
    assertThat(progress.line(10, 4_000, clock.get())).endsWith("1/s, about 1 h 6 min left");
    assertThat(progress.line(0, 0, clock.get())).isEqualTo("replay: 0 log positions");
  }
}
