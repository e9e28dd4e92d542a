package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.Test;

class TypeRegistryTest {
  record MoneyDeposited(long amount) {}

  @TypeName("money-withdrawn-v2")
  record MoneyWithdrawn(long amount) {}

  @TypeName(" ")
  record BlankName() {}

  static final class FirstModule {
    record Created(String id) {}
  }

  static final class SecondModule {
    record Created(String id) {}
  }

  @TypeName("MoneyDeposited")
  record Impostor(long amount) {}

  record AccountFrozen() {}

  static final class Account extends EventSourceBased {
    Account(String id) {
      super(id);
    }

    private void handleMoneyDeposited(MoneyDeposited event) {}

    private void handleAccountFrozen(AccountFrozen event) {}
  }

  @Test
  void an_aggregate_handling_an_unregistered_event_type_fails_the_build_naming_both() {
    Cqrs.Builder builder = Cqrs.builder().aggregate(Account.class, MoneyDeposited.class);

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(Account.class.getName() + " handles " + AccountFrozen.class.getName())
        .hasMessageContaining("(handleAccountFrozen)")
        .hasMessageContaining("registerEvents");

    TypeRegistry complete =
        new TypeRegistry().registerAggregate(Account.class, MoneyDeposited.class);
    complete.registerEvents(AccountFrozen.class); // registered apart: as good
    complete.validateAggregates();
    Cqrs.builder().types(complete).build().close();
  }

  @Test
  void the_logical_name_is_the_simple_name_by_default() {
    assertThat(TypeRegistry.logicalName(MoneyDeposited.class)).isEqualTo("MoneyDeposited");
    assertThat(TypeRegistry.logicalName(FirstModule.Created.class)).isEqualTo("Created");
  }

  @Test
  void type_name_annotation_overrides_the_logical_name() {
    TypeRegistry registry = new TypeRegistry().registerEvents(MoneyWithdrawn.class);

    assertThat(TypeRegistry.logicalName(MoneyWithdrawn.class)).isEqualTo("money-withdrawn-v2");
    assertThat(registry.nameOf(MoneyWithdrawn.class)).isEqualTo("money-withdrawn-v2");
    assertThat(registry.typeOf("money-withdrawn-v2")).isEqualTo(MoneyWithdrawn.class);
    assertThatThrownBy(() -> registry.typeOf("MoneyWithdrawn"))
        .isInstanceOf(UnknownTypeException.class);
  }

  @Test
  void a_blank_type_name_is_rejected() {
    assertThatThrownBy(() -> new TypeRegistry().registerEvents(BlankName.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("@TypeName")
        .hasMessageContaining("BlankName");
  }

  @Test
  void anonymous_and_local_classes_are_rejected_for_lack_of_a_stable_name() {
    record Local(int n) {}
    Object anonymous = new Object() {};

    assertThatThrownBy(() -> new TypeRegistry().registerEvents(Local.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no stable simple name");
    assertThatThrownBy(() -> new TypeRegistry().registerEvents(anonymous.getClass()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no stable simple name");
  }

  @Test
  void registering_a_type_twice_is_harmless() {
    TypeRegistry registry =
        new TypeRegistry()
            .registerEvents(MoneyDeposited.class)
            .registerEvents(MoneyDeposited.class);

    assertThat(registry.nameOf(MoneyDeposited.class)).isEqualTo("MoneyDeposited");
    assertThat(registry.names()).containsOnlyOnce("MoneyDeposited");
  }

  @Test
  void a_batch_with_a_clashing_name_registers_none_of_its_types() {
    TypeRegistry registry = new TypeRegistry().registerEvents(FirstModule.Created.class);

    assertThatThrownBy(
            () -> registry.registerEvents(MoneyDeposited.class, SecondModule.Created.class))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(registry.isRegistered(MoneyDeposited.class)).isFalse();
    assertThat(registry.isRegistered(FirstModule.Created.class)).isTrue();
  }

  @Test
  void two_classes_with_the_same_simple_name_are_rejected_naming_both() {
    TypeRegistry registry = new TypeRegistry().registerEvents(FirstModule.Created.class);

    assertThatThrownBy(() -> registry.registerEvents(SecondModule.Created.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'Created'")
        .hasMessageContaining(FirstModule.Created.class.getName())
        .hasMessageContaining(SecondModule.Created.class.getName())
        .hasMessageContaining("@TypeName");
    assertThat(registry.typeOf("Created")).isEqualTo(FirstModule.Created.class);
    assertThat(registry.isRegistered(SecondModule.Created.class)).isFalse();
  }

  @Test
  void an_annotation_cannot_take_a_name_that_is_already_taken() {
    TypeRegistry registry = new TypeRegistry().registerCommands(MoneyDeposited.class);

    assertThatThrownBy(() -> registry.registerCommands(Impostor.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'MoneyDeposited'");
    assertThat(registry.typeOf("MoneyDeposited")).isEqualTo(MoneyDeposited.class);
  }

  @Test
  void an_unknown_name_throws_unknown_type_exception_naming_it() {
    TypeRegistry registry = new TypeRegistry();

    UnknownTypeException unknown =
        catchThrowableOfType(UnknownTypeException.class, () -> registry.typeOf("NoSuchEvent"));

    assertThat(unknown.typeName()).isEqualTo("NoSuchEvent");
    assertThat(unknown)
        .hasMessageContaining("'NoSuchEvent'")
        .hasMessageContaining("alias the name")
        .hasMessageContaining("rolling deploy");
    assertThat(unknown.isTransient()).isFalse();
  }

  @Test
  void an_unregistered_class_throws_unknown_type_exception_naming_it() {
    assertThatThrownBy(() -> new TypeRegistry().nameOf(MoneyDeposited.class))
        .isInstanceOf(UnknownTypeException.class)
        .hasMessageContaining(MoneyDeposited.class.getName())
        .hasMessageContaining("registerEvents")
        .hasMessageContaining("registerAggregate");
  }

  @Test
  void a_new_registry_knows_the_framework_events_and_nothing_else() {
    TypeRegistry registry = new TypeRegistry();

    assertThat(registry.names())
        .containsExactlyInAnyOrder(
            "CommandFailed", "CommandHandled", "EventProcessingFailed", "EventProcessingRetried");
    assertThat(registry.typeOf("CommandHandled")).isEqualTo(CommandHandled.class);
    assertThat(registry.typeOf("EventProcessingFailed")).isEqualTo(EventProcessingFailed.class);
    assertThat(registry.typeOf("EventProcessingRetried")).isEqualTo(EventProcessingRetried.class);
    assertThat(registry.typeOf("CommandFailed")).isEqualTo(CommandFailed.class);
    assertThat(registry.isRegistered(MoneyDeposited.class)).isFalse();
  }

  @Test
  void names_is_a_snapshot() {
    TypeRegistry registry = new TypeRegistry();
    var before = registry.names();

    registry.registerEvents(MoneyDeposited.class);

    assertThat(before).doesNotContain("MoneyDeposited");
    assertThat(registry.names()).contains("MoneyDeposited");
  }

  @Test
  void null_arguments_are_rejected_naming_them() {
    TypeRegistry registry = new TypeRegistry();

    assertThatThrownBy(() -> registry.registerEvents((Class<?>) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("eventTypes");
    assertThatThrownBy(() -> registry.registerCommands((Class<?>[]) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("commandTypes");
    assertThatThrownBy(() -> registry.typeOf(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("name");
    assertThatThrownBy(() -> registry.nameOf(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("type");
  }
}
