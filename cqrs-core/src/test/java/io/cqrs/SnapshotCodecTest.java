package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotCodecTest {
  record Owner(String firstName, String lastName, Address address) {}

  record Address(String city) {}

  enum Tier {
    GOLD,
    SILVER
  }

  sealed interface Entry permits Credit, Debit {}

  record Credit(BigDecimal amount) implements Entry {}

  record Debit(BigDecimal amount, Tier tier) implements Entry {}

  @com.fasterxml.jackson.annotation.JsonTypeInfo(
      use = com.fasterxml.jackson.annotation.JsonTypeInfo.Id.NAME)
  @com.fasterxml.jackson.annotation.JsonSubTypes({
    @com.fasterxml.jackson.annotation.JsonSubTypes.Type(Circle.class)
  })
  abstract static class Shape {}

  static final class Circle extends Shape {
    double radius;
  }

  /** A value that holds itself: the walk over held classes ends. */
  static final class Node {
    Node next;
    String label;
  }

  static final class Household extends EventSourceBased {
    private Owner owner;
    private List<Entry> entries;
    private Map<String, Tier[]> tiers;
    private Node chain;
    private Shape shape;
    private String name;

    Household(String id) {
      super(id);
    }
  }

  static final class Plain extends EventSourceBased {
    private String owner;
    private BigDecimal balance;
    private List<String> tags;

    Plain(String id) {
      super(id);
    }
  }

  /**
   * The fingerprint named the aggregate's own fields only: Owner going from (name) to (firstName,
   * lastName) kept it, and the old snapshot read as an owner of nulls.
   */
  @Test
  void the_schema_names_the_shapes_of_the_classes_the_fields_hold_however_deep() {
    String schema = SnapshotCodec.schemaText(Household.class);

    assertThat(schema)
        .contains(Owner.class.getName() + ".firstName:class java.lang.String")
        .contains(Owner.class.getName() + ".lastName:class java.lang.String")
        .contains(Address.class.getName() + ".city:class java.lang.String")
        .contains(Tier.class.getName() + "{GOLD,SILVER,}")
        .contains("|permits " + Credit.class.getName() + "," + Debit.class.getName())
        .contains(Credit.class.getName() + ".amount:class java.math.BigDecimal")
        .contains(Debit.class.getName() + ".tier:")
        .contains(Node.class.getName() + ".next:")
        .contains("|subtypes " + Circle.class.getName())
        .contains(Circle.class.getName() + ".radius:double")
        .doesNotContain("java.lang.String{");
  }

  @Test
  void an_aggregate_of_jdk_types_only_keeps_the_fingerprint_it_had() {
    assertThat(SnapshotCodec.schemaText(Plain.class))
        .isEqualTo(
            Plain.class.getName()
                + ".balance:class java.math.BigDecimal;"
                + Plain.class.getName()
                + ".owner:class java.lang.String;"
                + Plain.class.getName()
                + ".tags:java.util.List<java.lang.String>");
  }
}
