package io.cqrs.example.bank.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PasswordHasherTest {
  private final PasswordHasher hasher = new PasswordHasher(1_000);

  @Test
  void a_hash_matches_its_password_and_no_other() {
    String hash = hasher.hash("$ThisIsAPassword");

    assertThat(hasher.matches("$ThisIsAPassword", hash)).isTrue();
    assertThat(hasher.matches("$ThisIsAnotherPassword", hash)).isFalse();
    assertThat(hash).doesNotContain("ThisIsAPassword");
  }

  @Test
  void each_hash_has_its_own_salt() {
    assertThat(hasher.hash("$ThisIsAPassword")).isNotEqualTo(hasher.hash("$ThisIsAPassword"));
  }

  @Test
  void a_hash_records_its_algorithm_and_cost_so_any_hasher_can_check_it() {
    String hash = new PasswordHasher(2_000).hash("$ThisIsAPassword");

    assertThat(hash).startsWith("pbkdf2-sha256$2000$");
    assertThat(PasswordHasher.isEncodedHash(hash)).isTrue();
    assertThat(hasher.matches("$ThisIsAPassword", hash)).isTrue();
  }

  @Test
  void the_default_cost_is_owasps_recommendation() {
    assertThat(new PasswordHasher().toString()).contains("600000 iterations");
  }

  @Test
  void short_or_blank_passwords_are_refused() {
    assertThatThrownBy(() -> hasher.hash("short"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("8 to 128 characters");
    assertThatThrownBy(() -> hasher.hash("          "))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> hasher.hash("x".repeat(129)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void plain_text_and_malformed_hashes_are_not_hashes() {
    assertThat(PasswordHasher.isEncodedHash("$ThisIsAPassword")).isFalse();
    assertThat(PasswordHasher.isEncodedHash("pbkdf2-sha256$1000$short$short")).isFalse();
    assertThat(PasswordHasher.isEncodedHash(null)).isFalse();
    assertThat(hasher.matches("anything", "not a hash")).isFalse();
  }
}
