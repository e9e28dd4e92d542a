package io.cqrs.scaleout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class CommandPlanTest {
  private static final List<String> ACCOUNTS = List.of("hot-01", "hot-02", "hot-03");

  @Test
  void a_tenth_of_the_commands_is_published_twice_half_right_after_and_half_later() {
    List<SentCommand> plan = CommandPlan.generate("p1", 7L, ACCOUNTS, 1_000);

    List<SentCommand> publications = CommandPlan.publications(plan, 10, 7L);

    assertThat(publications).hasSize(1_100);
    assertThat(publications.stream().filter(SentCommand::duplicate)).hasSize(100);
    int immediate = 0;
    int later = 0;
    for (int i = 0; i < publications.size(); i++) {
      SentCommand copy = publications.get(i);
      if (copy.duplicate()) {
        int original = firstPublication(publications, copy.messageId());
        assertThat(original).as("original of %s", copy.messageId()).isBetween(0, i - 1);
        if (original == i - 1) {
          immediate++;
        } else {
          later++;
          assertThat(i - original)
              .as("others between %s and its copy", copy.messageId())
              .isLessThanOrEqualTo(2 * CommandPlan.MAX_DUPLICATE_DELAY);
        }
      }
    }
    assertThat(immediate).isGreaterThanOrEqualTo(50);
    assertThat(later).isGreaterThanOrEqualTo(40);
    assertThat(SentCommand.distinct(publications)).isEqualTo(plan);
  }

  @Test
  void the_publications_are_the_same_for_the_same_seed_and_without_duplicates_the_plan() {
    List<SentCommand> plan = CommandPlan.generate("p2", 11L, ACCOUNTS, 200);

    assertThat(CommandPlan.publications(plan, 10, 3L))
        .isEqualTo(CommandPlan.publications(plan, 10, 3L));
    assertThat(CommandPlan.publications(plan, 0, 3L)).isEqualTo(plan);
  }

  @Test
  void a_duplicate_survives_its_json_line_and_is_dropped_from_the_distinct_commands() {
    SentCommand original = CommandPlan.generate("p1", 7L, ACCOUNTS, 1).get(0);
    SentCommand copy = SentCommand.fromJsonLine(original.asDuplicate().toJsonLine());

    assertThat(copy.duplicate()).isTrue();
    assertThat(copy).isEqualTo(original.asDuplicate());
    assertThat(SentCommand.fromJsonLine(original.toJsonLine())).isEqualTo(original);
    assertThat(SentCommand.distinct(List.of(original, copy))).containsExactly(original);
  }

  @Test
  void each_publication_keeps_its_send_time_and_the_command_keeps_its_first() {
    SentCommand original = CommandPlan.generate("p1", 7L, ACCOUNTS, 1).get(0).sentAt(1_000L);
    SentCommand copy = SentCommand.fromJsonLine(original.asDuplicate().sentAt(2_000L).toJsonLine());

    assertThat(SentCommand.fromJsonLine(original.toJsonLine()).sentAt()).isEqualTo(1_000L);
    assertThat(copy.sentAt()).isEqualTo(2_000L);
    assertThat(SentCommand.distinct(List.of(original, copy))).containsExactly(original);
  }

  @Test
  void a_duplicate_that_repeats_no_earlier_command_is_refused() {
    SentCommand original = CommandPlan.generate("p1", 7L, ACCOUNTS, 1).get(0);

    assertThatThrownBy(() -> SentCommand.distinct(List.of(original.asDuplicate(), original)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not repeat an earlier command");
  }

  private static int firstPublication(List<SentCommand> publications, String messageId) {
    for (int i = 0; i < publications.size(); i++) {
      if (publications.get(i).messageId().equals(messageId)) {
        return i;
      }
    }
    return -1;
  }
}
