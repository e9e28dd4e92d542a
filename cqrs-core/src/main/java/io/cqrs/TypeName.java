package io.cqrs;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The logical type name under which an event, command or aggregate is stored and transported, and
 * the revision of its JSON shape. Without it the name is the class's simple name and the revision
 * 1. Renaming or moving the class keeps old data readable as long as the name stays (or the old
 * name is an {@linkplain TypeRegistry#alias alias}); changing its fields in a way old JSON no
 * longer reads as takes a new revision and an {@linkplain TypeRegistry#upcaster upcaster} from the
 * old one. See {@code docs/schema-evolution.md}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface TypeName {
  /** The stable logical name; empty (the default) for the class's simple name. */
  String value() default "";

  /**
   * The revision of the type's JSON shape, from 1 (the default). Written into every envelope of a
   * revision above 1; an envelope without one is at revision 1.
   */
  int revision() default 1;
}
