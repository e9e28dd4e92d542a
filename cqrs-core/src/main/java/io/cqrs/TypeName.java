package io.cqrs;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Overrides the logical type name under which an event, command or aggregate is stored and
 * transported. Without it the name is the class's simple name. Renaming or moving the class keeps
 * old data readable as long as this name stays.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface TypeName {
  /** The stable logical name; must not be blank. */
  String value();
}
