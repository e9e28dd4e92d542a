package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ForgetfulMapTest {
  @Test
  void it_keeps_up_to_its_capacity_then_forgets_everything_before_the_next_entry() {
    ForgetfulMap<String, Integer> map = new ForgetfulMap<>(3);
    map.put("a", 1);
    map.put("b", 2);
    map.merge("c", 3, Integer::sum);
    assertThat(map.size()).isEqualTo(3);
    assertThat(map.get("a")).isEqualTo(1);

    map.put("d", 4);

    assertThat(map.size()).isEqualTo(1);
    assertThat(map.get("a")).isNull();
    assertThat(map.get("d")).isEqualTo(4);
  }

  @Test
  void merge_and_remove_behave_as_the_concurrent_maps() {
    ForgetfulMap<String, Integer> map = new ForgetfulMap<>(8);
    map.merge("a", 1, Integer::sum);
    assertThat(map.merge("a", 5, Integer::max)).isEqualTo(5);
    assertThat(map.remove("a", 4)).isFalse();
    assertThat(map.remove("a", 5)).isTrue();
    map.put("b", 2);
    assertThat(map.remove("b")).isEqualTo(2);
    assertThat(map.size()).isZero();
  }

  @Test
  void a_capacity_below_one_is_refused() {
    assertThatThrownBy(() -> new ForgetfulMap<String, String>(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("capacity must be at least 1, was 0");
  }
}
