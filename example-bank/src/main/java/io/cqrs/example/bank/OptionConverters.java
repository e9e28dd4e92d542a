package io.cqrs.example.bank;

import io.cqrs.example.bank.InfrastructureOptions.Bus;
import io.cqrs.example.bank.InfrastructureOptions.Store;
import io.cqrs.example.bank.readmodel.ReadModelGeneration;
import io.cqrs.rabbitmq.QueueType;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The command line's checked option types. Each refuses a wrong value with a message saying what is
 * accepted; picocli prefixes it with {@code Invalid value for option '--name': }.
 */
final class OptionConverters {
  private OptionConverters() {}

  /** A TCP port to listen on: 0 (any free port) to 65535. */
  static final class Port implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      return number(value, 0, 65_535);
    }
  }

  /** How many commands or events are handled at once: 1 to 64. */
  static final class Listeners implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      return number(value, 1, 64);
    }
  }

  /** How many HTTP connections may be open at once: 1 to 100,000. */
  static final class MaxConnections implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      return number(value, 1, 100_000);
    }
  }

  /** A key and name prefix, as {@link InfrastructureOptions#prefix()} takes it. */
  static final class Prefix implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      if (!value.matches("[A-Za-z0-9_.-]{1,40}")) {
        throw new TypeConversionException(
            "must be 1 to 40 characters of [A-Za-z0-9_.-], was '" + value + "'");
      }
      return value;
    }
  }

  /**
   * A read-model generation name for a rebuild: non-empty, as {@link ReadModelGeneration} takes.
   */
  static final class Generation implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      if (!value.matches("[A-Za-z0-9-]{1,40}")) {
        throw new TypeConversionException(
            "must be letters, digits and '-', 1 to 40 of them, was '" + value + "'");
      }
      return value;
    }
  }

  /** {@code memory} or {@code couchbase}, in any case. */
  static final class StoreName implements ITypeConverter<Store> {
    @Override
    public Store convert(String value) {
      return choice(value, Store.class);
    }
  }

  /** {@code memory} or {@code rabbitmq}, in any case. */
  static final class BusName implements ITypeConverter<Bus> {
    @Override
    public Bus convert(String value) {
      return choice(value, Bus.class);
    }
  }

  /** {@code classic} or {@code quorum}, in any case. */
  static final class QueueTypeName implements ITypeConverter<QueueType> {
    @Override
    public QueueType convert(String value) {
      return choice(value, QueueType.class);
    }
  }

  /** {@code true} or {@code false}, in any case: nothing else, not even {@code yes}. */
  static final class Bool implements ITypeConverter<Boolean> {
    @Override
    public Boolean convert(String value) {
      if (value.strip().equalsIgnoreCase("true")) {
        return true;
      }
      if (value.strip().equalsIgnoreCase("false")) {
        return false;
      }
      throw new TypeConversionException("expected one of true, false, was '" + value + "'");
    }
  }

  private static int number(String value, int lowest, int highest) {
    if (value.matches("\\d{1,9}")) {
      int number = Integer.parseInt(value);
      if (number >= lowest && number <= highest) {
        return number;
      }
    }
    throw new TypeConversionException(
        "must be a number from " + lowest + " to " + highest + ", was '" + value + "'");
  }

  /** The constant named {@code value} in any case, else an error listing the lower-case names. */
  static <E extends Enum<E>> E choice(String value, Class<E> type) {
    for (E constant : type.getEnumConstants()) {
      if (constant.name().equalsIgnoreCase(value.strip())) {
        return constant;
      }
    }
    throw new TypeConversionException("expected one of " + names(type) + ", was '" + value + "'");
  }

  /** The constants' names in lower case, separated by commas. */
  static String names(Class<? extends Enum<?>> type) {
    return Arrays.stream(type.getEnumConstants())
        .map(constant -> constant.name().toLowerCase(Locale.ROOT))
        .collect(Collectors.joining(", "));
  }
}
