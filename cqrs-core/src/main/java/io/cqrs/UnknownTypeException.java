package io.cqrs;

/**
 * A logical type name, or a class, that the {@link TypeRegistry} does not hold. Nothing of that
 * type is ever instantiated.
 */
public class UnknownTypeException extends NonTransientCqrsException {
  private static final long serialVersionUID = 1L;

  private final String typeName;

  public UnknownTypeException(String typeName) {
    this(typeName, "Unknown type '" + typeName + "': it is not registered in the TypeRegistry");
  }

  /** With a message of its own, which says what to do. */
  public UnknownTypeException(String typeName, String message) {
    super(message);
    this.typeName = typeName;
  }

  /** A class that is not registered, met where it is written. */
  static UnknownTypeException unregisteredClass(Class<?> type) {
    return new UnknownTypeException(
        type.getName(),
        "Unknown type '"
            + type.getName()
            + "': the class is not registered in the TypeRegistry; register it with"
            + " registerEvents or registerCommands, or list it among the aggregate's events"
            + " (registerAggregate, Cqrs.Builder.aggregate)");
  }

  /** A logical name no registered class has, met where it is read. */
  static UnknownTypeException unknownName(String name) {
    return new UnknownTypeException(
        name,
        "Unknown type '"
            + name
            + "': no class is registered under this name in this process's TypeRegistry (nor as"
            + " an alias of one); register the class it names, or alias the name to the class"
            + " that replaced it. During a rolling deploy a newer build may have written it");
  }

  /** The logical name (or class name) that was not found. */
  public String typeName() {
    return typeName;
  }
}
