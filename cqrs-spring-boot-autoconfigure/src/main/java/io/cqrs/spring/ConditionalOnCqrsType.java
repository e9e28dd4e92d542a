package io.cqrs.spring;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Locale;
import java.util.Map;
import org.springframework.boot.autoconfigure.condition.ConditionMessage;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when {@code cqrs.store.type} or {@code cqrs.bus.type} names {@link #value()} in any
 * spelling the binder takes for the enum ({@code rabbitmq}, {@code RabbitMQ}, {@code rabbit-mq});
 * an unset type is {@code memory}. Spring Boot's {@code @ConditionalOnProperty} compares the text
 * (ignoring case only): {@code cqrs.bus.type=rabbit-mq} bound as RabbitMQ, yet no bus was made, and
 * the start failed asking whether cqrs-rabbitmq was on the class path.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Conditional(ConditionalOnCqrsType.OnCqrsType.class)
@interface ConditionalOnCqrsType {
  /** The property: {@code cqrs.store.type} or {@code cqrs.bus.type}. */
  String property();

  /** The type, as the enum's constant is written in lower case. */
  String value();

  /** The condition of {@link ConditionalOnCqrsType}. */
  final class OnCqrsType extends SpringBootCondition {
    @Override
    public ConditionOutcome getMatchOutcome(
        ConditionContext context, AnnotatedTypeMetadata metadata) {
      Map<String, Object> attributes =
          metadata.getAnnotationAttributes(ConditionalOnCqrsType.class.getName());
      String property = (String) attributes.get("property");
      String value = (String) attributes.get("value");
      String set = context.getEnvironment().getProperty(property, "memory");
      ConditionMessage.Builder message =
          ConditionMessage.forCondition(ConditionalOnCqrsType.class, property + "=" + value);
      return canonical(set).equals(canonical(value))
          ? ConditionOutcome.match(message.because("it is '" + set + "'"))
          : ConditionOutcome.noMatch(message.because("it is '" + set + "'"));
    }

    /** As Spring's lenient enum conversion compares names: letters and digits, in lower case. */
    static String canonical(String name) {
      StringBuilder canonical = new StringBuilder(name.length());
      name.codePoints()
          .filter(Character::isLetterOrDigit)
          .map(Character::toLowerCase)
          .forEach(canonical::appendCodePoint);
      return canonical.toString().toLowerCase(Locale.ROOT);
    }
  }
}
