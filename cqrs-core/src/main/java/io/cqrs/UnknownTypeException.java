package io.cqrs;

/**
 * A logical type name, or a class, that the {@link TypeRegistry} does not hold. Nothing of that
 * type is ever instantiated.
 */
public class UnknownTypeException extends NonTransientCqrsException {
  private static final long serialVersionUID = 1L;

  private final String typeName;

  public UnknownTypeException(String typeName) {
    super("Unknown type '" + typeName + "': it is not registered in the TypeRegistry");
    this.typeName = typeName;
  }

  /** The logical name (or class name) that was not found. */
  public String typeName() {
    return typeName;
  }
}
