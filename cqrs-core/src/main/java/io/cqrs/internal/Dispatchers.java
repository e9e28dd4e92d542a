package io.cqrs.internal;

import io.cqrs.EventSourceBased;
import io.cqrs.VersionedEvent;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiPredicate;
import java.util.function.ToIntBiFunction;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.ClassFileVersion;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.modifier.FieldManifestation;
import net.bytebuddy.description.modifier.Ownership;
import net.bytebuddy.description.modifier.SyntheticState;
import net.bytebuddy.description.modifier.TypeManifestation;
import net.bytebuddy.description.modifier.Visibility;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.dynamic.loading.ClassLoadingStrategy;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.implementation.Implementation;
import net.bytebuddy.implementation.bytecode.ByteCodeAppender;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.Label;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;
import net.bytebuddy.matcher.ElementMatchers;

/**
 * Generates an aggregate class's event dispatcher with byte-buddy: one class per aggregate class,
 * in the aggregate's own package, whose {@code test(aggregate, event)} is the code a developer
 * would write by hand:
 *
 * <pre>{@code
 * Account account = (Account) aggregate;
 * if (event.getClass() == MoneyDeposited.class) {
 *   account.handleMoneyDeposited((MoneyDeposited) event);
 *   return true;
 * }
 * if (event.getClass() == MoneyWithdrawn.class) { ... }
 * return false;
 * }</pre>
 *
 * <p>For an aggregate (an {@link EventSourceBased} subclass) the class also holds the load's replay
 * loop, {@code applyAsInt(aggregate, events)} ({@link java.util.function.ToIntBiFunction}): the
 * same routing inside a loop over the stored events that checks each version and sets the
 * aggregate's after each event (through a {@link VarHandle} on {@code EventSourceBased.version},
 * which its static initializer looks up with {@code privateLookupIn}: cqrs-core must be on the
 * class path or an automatic module, whose packages are open). Generated per class, the loop calls
 * its handlers directly; the one call into generated code is then made per load, not per event,
 * which matters once several aggregate classes share a JVM and that call can no longer be inlined.
 *
 * <p>With more than {@value #CHAIN_LIMIT} event types, the comparisons are preceded by a {@code
 * switch} on the identity hash of the event's class, so that an event meets one comparison, or a
 * few if hashes collide, instead of half of them on average.
 *
 * <p>The class is defined through a {@link MethodHandles.Lookup} on the aggregate class, never
 * {@code Unsafe}. With a lookup of full privilege (the aggregate and cqrs in the same module, as on
 * the class path) it is a hidden class and a nestmate of the aggregate, so every handler of the
 * aggregate's nest, private ones included, is called with a plain {@code invokevirtual}. Otherwise
 * (the aggregate in a named module that opens its package to cqrs, or loaded by another class
 * loader than cqrs) it is an ordinary class of the aggregate's package ({@code
 * ClassLoadingStrategy.UsingLookup}), which calls private handlers through method handles. Handlers
 * it cannot call directly (a superclass's in another package or nest) it calls through a method
 * handle looked up once, in its static initializer, and held in a {@code static final} field, which
 * the JIT treats as a constant.
 *
 * <p>Why this shape, as measured with cqrs-benchmarks' {@code DispatchBenchmark} and CPU time per
 * event on JDK 17 (docs/benchmarks.md has the numbers):
 *
 * <ul>
 *   <li>A chain of class comparisons up to {@value #CHAIN_LIMIT} event types, and a switch on the
 *       event class's identity hash beyond: the switch loads the {@code Class} object and its
 *       header on every event, which made it 2.3 times slower than the chain with one event type
 *       and 1.8 times with five; the two took the same time with twenty, and with fifty the switch
 *       took 0.75 of the chain's time. (Both are faster than the hand-written {@code instanceof}
 *       chain from twenty event types on.)
 *   <li>{@code getClass()} again for every comparison rather than once into a local: a local keeps
 *       the {@code Class} object alive for deoptimisation, which costs a load of it on every event
 *       (1.6 times slower with five event types); repeated, the JIT compares class pointers only.
 *   <li>{@code invokevirtual} rather than method handles wherever the JVM allows it: the JIT
 *       inlines a handle's target through profiles that all handles of the same shape share, and in
 *       2 of 13 JVMs it did not, doubling the time per event.
 * </ul>
 */
final class Dispatchers {
  private static final AtomicLong GENERATED = new AtomicLong();
  private static final AtomicLong NAMES = new AtomicLong();

  private static final String OBJECT = Type.getInternalName(Object.class);
  private static final String CLASS = Type.getInternalName(Class.class);
  private static final String HANDLE = Type.getInternalName(MethodHandle.class);
  private static final String HANDLES = Type.getInternalName(MethodHandles.class);
  private static final String LOOKUP = Type.getInternalName(MethodHandles.Lookup.class);
  private static final String METHOD_TYPE = Type.getInternalName(MethodType.class);
  private static final String SYSTEM = Type.getInternalName(System.class);

  /**
   * The most event types routed by a chain of class comparisons; more are routed by a switch on the
   * event class's identity hash first (see the class comment for the measurements).
   */
  static final int CHAIN_LIMIT = 20;

  /** The generated replay loop's handle on {@code EventSourceBased.version}. */
  private static final String VERSION_FIELD = "VERSION";

  private Dispatchers() {}

  /** How many dispatcher classes this copy of cqrs has generated, for tests. */
  static long generated() {
    return GENERATED.get();
  }

  /**
   * Generates the dispatcher of {@code aggregateType}: its {@code test(aggregate, event)} calls the
   * handler whose parameter type is exactly {@code event}'s class on {@code aggregate} and returns
   * {@code true}, or returns {@code false} if no handler takes it. Whatever a handler throws
   * propagates unchanged. Thread-safe, and it allocates nothing.
   *
   * @param lookup a lookup on {@code aggregateType} with at least package access
   * @param handlers the handlers, one per event type, each declared by {@code aggregateType} or a
   *     superclass
   * @throws IllegalStateException if the class cannot be generated or defined, for example because
   *     an inherited handler's event type is not accessible from the aggregate's package
   */
  static BiPredicate<Object, Object> of(
      MethodHandles.Lookup lookup, Class<?> aggregateType, List<Method> handlers) {
    boolean nestmate = lookup.hasFullPrivilegeAccess();
    List<Entry> entries = new ArrayList<>(handlers.size());
    for (int i = 0; i < handlers.size(); i++) {
      entries.add(Entry.of(aggregateType, handlers.get(i), i, nestmate));
    }
    try (DynamicType.Unloaded<?> unloaded = generate(aggregateType, entries)) {
      MethodHandles.Lookup defined = define(lookup, aggregateType, unloaded, nestmate);
      @SuppressWarnings("unchecked")
      BiPredicate<Object, Object> dispatcher =
          (BiPredicate<Object, Object>)
              defined
                  .findConstructor(defined.lookupClass(), MethodType.methodType(void.class))
                  .invoke();
      GENERATED.incrementAndGet();
      return dispatcher;
    } catch (Throwable e) {
      throw cannotGenerate(aggregateType, e);
    }
  }

  /** Defines the class, initialised, and returns a lookup on it. */
  private static MethodHandles.Lookup define(
      MethodHandles.Lookup lookup,
      Class<?> aggregateType,
      DynamicType.Unloaded<?> unloaded,
      boolean nestmate)
      throws IllegalAccessException {
    if (nestmate) {
      return lookup.defineHiddenClass(
          unloaded.getBytes(), true, MethodHandles.Lookup.ClassOption.NESTMATE);
    }
    return lookup.in(
        unloaded
            .load(aggregateType.getClassLoader(), ClassLoadingStrategy.UsingLookup.of(lookup))
            .getLoaded());
  }

  private static IllegalStateException cannotGenerate(Class<?> aggregateType, Throwable e) {
    Throwable cause =
        e instanceof ExceptionInInitializerError && e.getCause() != null ? e.getCause() : e;
    return new IllegalStateException(
        "Cannot generate the event dispatcher of "
            + aggregateType.getName()
            + ": "
            + cause
            + (cause instanceof IllegalAccessError
                ? " (the event type of a handler inherited from another package must be public"
                    + " or in the aggregate's package)"
                : ""),
        e);
  }

  private static DynamicType.Unloaded<?> generate(Class<?> aggregateType, List<Entry> entries) {
    DynamicType.Builder<?> builder =
        new ByteBuddy(ClassFileVersion.JAVA_V17)
            .with(TypeValidation.DISABLED)
            .subclass(Object.class)
            // Unique even if two copies of cqrs route the same class through one class loader.
            .name(aggregateType.getName() + "$CqrsDispatcher" + NAMES.incrementAndGet())
            .modifiers(TypeManifestation.FINAL, SyntheticState.SYNTHETIC)
            // A JDK interface, so that the class depends on nothing in io.cqrs.internal, which a
            // module-info will not export to the aggregate's module.
            .implement(ofObjects(BiPredicate.class))
            .method(ElementMatchers.named("test"))
            .intercept(new Implementation.Simple(new Routing(aggregateType, entries)))
            .initializer(
                new Initializer(
                    aggregateType, entries, EventSourceBased.class.isAssignableFrom(aggregateType)))
            .visit(
                new AsmVisitorWrapper.ForDeclaredMethods()
                    .writerFlags(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS));
    if (EventSourceBased.class.isAssignableFrom(aggregateType)) {
      builder =
          constant(
              builder
                  .implement(ofObjects(ToIntBiFunction.class))
                  .method(ElementMatchers.named("applyAsInt"))
                  .intercept(new Implementation.Simple(new Replay(aggregateType, entries))),
              VERSION_FIELD,
              VarHandle.class);
    }
    for (Entry entry : entries) {
      if (!entry.direct()) {
        builder = constant(builder, entry.field(), MethodHandle.class);
      }
    }
    return builder.make();
  }

  /** {@code generic<Object, Object>}, such as {@code BiPredicate<Object, Object>}. */
  private static TypeDescription.Generic ofObjects(Class<?> generic) {
    return TypeDescription.Generic.Builder.parameterizedType(generic, Object.class, Object.class)
        .build();
  }

  /** Adds {@code private static final Type name}, which the static initializer sets. */
  private static DynamicType.Builder<?> constant(
      DynamicType.Builder<?> builder, String name, Class<?> type) {
    return builder.defineField(
        name, type, Visibility.PRIVATE, Ownership.STATIC, FieldManifestation.FINAL);
  }

  /**
   * One handler: the event class it takes, and whether the generated class calls it with {@code
   * invokevirtual} ({@code direct}) or through the method handle in its field {@code H<index>}.
   */
  private record Entry(Method method, Class<?> eventType, int index, boolean direct) {
    static Entry of(Class<?> aggregateType, Method method, int index, boolean nestmate) {
      Class<?> declaring = method.getDeclaringClass();
      int modifiers = method.getModifiers();
      boolean direct =
          Modifier.isPrivate(modifiers)
              ? nestmate && declaring.getNestHost() == aggregateType.getNestHost()
              : Modifier.isPublic(modifiers) || samePackage(declaring, aggregateType);
      return new Entry(method, method.getParameterTypes()[0], index, direct);
    }

    String field() {
      return "H" + index;
    }

    /** The handle's type, and the descriptor of its call: {@code (Aggregate, Event)void}. */
    String handleDescriptor(Class<?> aggregateType) {
      return Type.getMethodDescriptor(
          Type.VOID_TYPE, Type.getType(aggregateType), Type.getType(eventType));
    }
  }

  /** Whether two classes are in the same run-time package, where package access holds. */
  private static boolean samePackage(Class<?> a, Class<?> b) {
    return a.getClassLoader() == b.getClassLoader()
        && a.getPackageName().equals(b.getPackageName());
  }

  /**
   * {@code test(Object aggregate, Object event)}: the aggregate cast once to its class (local 3),
   * then the handler of the event's class ({@link EventRouting}), then {@code return false}.
   */
  private record Routing(Class<?> aggregateType, List<Entry> entries) implements ByteCodeAppender {
    @Override
    public Size apply(
        MethodVisitor code, Implementation.Context context, MethodDescription method) {
      String owner = context.getInstrumentedType().getInternalName();
      code.visitVarInsn(Opcodes.ALOAD, 1);
      code.visitTypeInsn(Opcodes.CHECKCAST, Type.getInternalName(aggregateType));
      code.visitVarInsn(Opcodes.ASTORE, 3);
      new EventRouting(owner, aggregateType, entries, 2, null).emit(code);
      code.visitInsn(Opcodes.ICONST_0);
      code.visitInsn(Opcodes.IRETURN);
      return new Size(0, 0);
    }
  }

  /**
   * The routing of the event in local {@code event} to the aggregate in local 3, cast to its class,
   * as the generated class {@code owner} does it in {@code test} and in its replay loop: up to
   * {@link #CHAIN_LIMIT} handlers it compares the event's class with each handled class in turn, in
   * discovery order; beyond, it switches on the identity hash of the event's class first, then
   * compares with the one or few classes of that hash. After a handler returns it jumps to {@code
   * applied}, or returns {@code true} if that is null; an event no handler takes falls through to
   * the code that follows.
   */
  private record EventRouting(
      String owner, Class<?> aggregateType, List<Entry> entries, int event, Label applied) {

    void emit(MethodVisitor code) {
      if (entries.size() <= CHAIN_LIMIT) {
        for (Entry entry : entries) {
          callIfExactly(code, entry);
        }
      } else {
        hashSwitch(code);
      }
    }

    /**
     * {@code switch (System.identityHashCode(event.getClass()))}, whose cases are the handled
     * classes' identity hashes (fixed for the life of a class), each a chain of the classes that
     * share it: one class, unless two hashes collide.
     */
    private void hashSwitch(MethodVisitor code) {
      Map<Integer, List<Entry>> byHash = new TreeMap<>();
      for (Entry entry : entries) {
        byHash
            .computeIfAbsent(System.identityHashCode(entry.eventType()), h -> new ArrayList<>())
            .add(entry);
      }
      int[] hashes = byHash.keySet().stream().mapToInt(Integer::intValue).toArray();
      Label[] cases = new Label[hashes.length];
      for (int i = 0; i < cases.length; i++) {
        cases[i] = new Label();
      }
      Label unhandled = new Label();
      code.visitVarInsn(Opcodes.ALOAD, event);
      code.visitMethodInsn(Opcodes.INVOKEVIRTUAL, OBJECT, "getClass", "()L" + CLASS + ";", false);
      code.visitMethodInsn(
          Opcodes.INVOKESTATIC, SYSTEM, "identityHashCode", "(L" + OBJECT + ";)I", false);
      code.visitLookupSwitchInsn(unhandled, hashes, cases);
      int i = 0;
      for (List<Entry> sameHash : byHash.values()) {
        code.visitLabel(cases[i++]);
        for (Entry entry : sameHash) {
          callIfExactly(code, entry);
        }
        code.visitJumpInsn(Opcodes.GOTO, unhandled);
      }
      code.visitLabel(unhandled);
    }

    /**
     * {@code if (event.getClass() == Type.class) { aggregate.handleType((Type) event); return true;
     * }} (or {@code goto applied}). It calls {@code getClass()} for each comparison: the JIT merges
     * the calls into one load of the class pointer, where a {@code Class} kept in a local would
     * stay live, and loaded, for deoptimisation.
     */
    private void callIfExactly(MethodVisitor code, Entry entry) {
      Label next = new Label();
      code.visitVarInsn(Opcodes.ALOAD, event);
      code.visitMethodInsn(Opcodes.INVOKEVIRTUAL, OBJECT, "getClass", "()L" + CLASS + ";", false);
      code.visitLdcInsn(Type.getType(entry.eventType()));
      code.visitJumpInsn(Opcodes.IF_ACMPNE, next);
      if (!entry.direct()) {
        code.visitFieldInsn(
            Opcodes.GETSTATIC, owner, entry.field(), Type.getDescriptor(MethodHandle.class));
      }
      code.visitVarInsn(Opcodes.ALOAD, 3);
      code.visitVarInsn(Opcodes.ALOAD, event);
      code.visitTypeInsn(Opcodes.CHECKCAST, Type.getInternalName(entry.eventType()));
      Method handler = entry.method();
      if (entry.direct()) {
        code.visitMethodInsn(
            Opcodes.INVOKEVIRTUAL,
            // A private method is not inherited: name the class that declares it.
            Modifier.isPrivate(handler.getModifiers())
                ? Type.getInternalName(handler.getDeclaringClass())
                : Type.getInternalName(aggregateType),
            handler.getName(),
            Type.getMethodDescriptor(handler),
            false);
        // A handler may return something (routing accepts any return type): drop it, so that every
        // path reaches the loop's labels with an empty stack.
        Class<?> returned = handler.getReturnType();
        if (returned == long.class || returned == double.class) {
          code.visitInsn(Opcodes.POP2);
        } else if (returned != void.class) {
          code.visitInsn(Opcodes.POP);
        }
      } else {
        code.visitMethodInsn(
            Opcodes.INVOKEVIRTUAL,
            HANDLE,
            "invokeExact",
            entry.handleDescriptor(aggregateType),
            false);
      }
      if (applied == null) {
        code.visitInsn(Opcodes.ICONST_1);
        code.visitInsn(Opcodes.IRETURN);
      } else {
        code.visitJumpInsn(Opcodes.GOTO, applied);
      }
      code.visitLabel(next);
    }
  }

  /**
   * {@code applyAsInt(Object aggregate, Object events)} of an {@code EventSourceBased} class: the
   * replay loop of {@link EventRouter#replay}, written as by hand:
   *
   * <pre>{@code
   * Account account = (Account) aggregate;
   * List list = (List) events;
   * int n = list.size();
   * long last = account.version();
   * for (int i = 0; i < n; i++) {
   *   VersionedEvent stored = (VersionedEvent) list.get(i);
   *   long version = stored.version();
   *   if (version != last + 1) return i;
   *   Object event = stored.event();
   *   if (event.getClass() == MoneyDeposited.class) account.handleMoneyDeposited(...);
   *   else if ... else return i;
   *   VERSION.set(account, version);   // EventSourceBased.version
   *   last = version;
   * }
   * return n;
   * }</pre>
   *
   * <p>Locals: 3 the aggregate, 4 the list, 5 its size, 6 the index, 7-8 the last version, 9 the
   * stored event, 10-11 its version, 12 the event.
   */
  private record Replay(Class<?> aggregateType, List<Entry> entries) implements ByteCodeAppender {
    private static final String LIST = Type.getInternalName(List.class);
    private static final String STORED = Type.getInternalName(VersionedEvent.class);
    private static final String BASE = Type.getInternalName(EventSourceBased.class);

    @Override
    public Size apply(
        MethodVisitor code, Implementation.Context context, MethodDescription method) {
      String owner = context.getInstrumentedType().getInternalName();
      Label loop = new Label();
      Label stop = new Label();
      Label applied = new Label();
      code.visitVarInsn(Opcodes.ALOAD, 1);
      code.visitTypeInsn(Opcodes.CHECKCAST, Type.getInternalName(aggregateType));
      code.visitVarInsn(Opcodes.ASTORE, 3);
      code.visitVarInsn(Opcodes.ALOAD, 2);
      code.visitTypeInsn(Opcodes.CHECKCAST, LIST);
      code.visitVarInsn(Opcodes.ASTORE, 4);
      code.visitVarInsn(Opcodes.ALOAD, 4);
      code.visitMethodInsn(Opcodes.INVOKEINTERFACE, LIST, "size", "()I", true);
      code.visitVarInsn(Opcodes.ISTORE, 5);
      code.visitVarInsn(Opcodes.ALOAD, 3);
      code.visitMethodInsn(Opcodes.INVOKEVIRTUAL, BASE, "version", "()J", false);
      code.visitVarInsn(Opcodes.LSTORE, 7);
      code.visitInsn(Opcodes.ICONST_0);
      code.visitVarInsn(Opcodes.ISTORE, 6);

      code.visitLabel(loop);
      code.visitVarInsn(Opcodes.ILOAD, 6);
      code.visitVarInsn(Opcodes.ILOAD, 5);
      code.visitJumpInsn(Opcodes.IF_ICMPGE, stop);
      code.visitVarInsn(Opcodes.ALOAD, 4);
      code.visitVarInsn(Opcodes.ILOAD, 6);
      code.visitMethodInsn(Opcodes.INVOKEINTERFACE, LIST, "get", "(I)L" + OBJECT + ";", true);
      code.visitTypeInsn(Opcodes.CHECKCAST, STORED);
      code.visitVarInsn(Opcodes.ASTORE, 9);
      code.visitVarInsn(Opcodes.ALOAD, 9);
      code.visitMethodInsn(Opcodes.INVOKEVIRTUAL, STORED, "version", "()J", false);
      code.visitVarInsn(Opcodes.LSTORE, 10);
      code.visitVarInsn(Opcodes.LLOAD, 10);
      code.visitVarInsn(Opcodes.LLOAD, 7);
      code.visitInsn(Opcodes.LCONST_1);
      code.visitInsn(Opcodes.LADD);
      code.visitInsn(Opcodes.LCMP);
      code.visitJumpInsn(Opcodes.IFNE, stop);
      code.visitVarInsn(Opcodes.ALOAD, 9);
      code.visitMethodInsn(Opcodes.INVOKEVIRTUAL, STORED, "event", "()L" + OBJECT + ";", false);
      code.visitVarInsn(Opcodes.ASTORE, 12);
      new EventRouting(owner, aggregateType, entries, 12, applied).emit(code);
      code.visitJumpInsn(Opcodes.GOTO, stop); // no handler here: the caller's to apply or fail

      code.visitLabel(applied);
      code.visitFieldInsn(
          Opcodes.GETSTATIC, owner, VERSION_FIELD, Type.getDescriptor(VarHandle.class));
      code.visitVarInsn(Opcodes.ALOAD, 3);
      code.visitVarInsn(Opcodes.LLOAD, 10);
      code.visitMethodInsn(
          Opcodes.INVOKEVIRTUAL,
          Type.getInternalName(VarHandle.class),
          "set",
          "(L" + BASE + ";J)V",
          false);
      code.visitVarInsn(Opcodes.LLOAD, 10);
      code.visitVarInsn(Opcodes.LSTORE, 7);
      code.visitIincInsn(6, 1);
      code.visitJumpInsn(Opcodes.GOTO, loop);

      code.visitLabel(stop);
      code.visitVarInsn(Opcodes.ILOAD, 6);
      code.visitInsn(Opcodes.IRETURN);
      return new Size(0, 0);
    }
  }

  /**
   * The static initializer. It resolves every event class, so that one the aggregate's package
   * cannot access fails now, while the dispatcher is generated, rather than on the first event; and
   * it looks up the handlers that are not called directly, each through the generated class's own
   * lookup into the class that declares it: {@code H<i> = privateLookupIn(Declaring.class,
   * lookup()).findVirtual(Declaring.class, name, (Event)void).asType((Aggregate, Event)void)}.
   */
  private record Initializer(Class<?> aggregateType, List<Entry> entries, boolean replays)
      implements ByteCodeAppender {
    @Override
    public Size apply(
        MethodVisitor code, Implementation.Context context, MethodDescription method) {
      String owner = context.getInstrumentedType().getInternalName();
      if (replays) {
        // VERSION = privateLookupIn(EventSourceBased.class, lookup())
        //     .findVarHandle(EventSourceBased.class, "version", long.class)
        Type base = Type.getType(EventSourceBased.class);
        privateLookupIn(code, base);
        code.visitLdcInsn(base);
        code.visitLdcInsn("version");
        code.visitFieldInsn(Opcodes.GETSTATIC, "java/lang/Long", "TYPE", "L" + CLASS + ";");
        code.visitMethodInsn(
            Opcodes.INVOKEVIRTUAL,
            LOOKUP,
            "findVarHandle",
            "(L"
                + CLASS
                + ";Ljava/lang/String;L"
                + CLASS
                + ";)"
                + Type.getDescriptor(VarHandle.class),
            false);
        code.visitFieldInsn(
            Opcodes.PUTSTATIC, owner, VERSION_FIELD, Type.getDescriptor(VarHandle.class));
      }
      for (Entry entry : entries) {
        code.visitLdcInsn(Type.getType(entry.eventType()));
        code.visitInsn(Opcodes.POP);
      }
      for (Entry entry : entries) {
        if (entry.direct()) {
          continue;
        }
        Method handler = entry.method();
        Type declaring = Type.getType(handler.getDeclaringClass());
        privateLookupIn(code, declaring);
        code.visitLdcInsn(declaring);
        code.visitLdcInsn(handler.getName());
        code.visitLdcInsn(Type.getMethodType(Type.getMethodDescriptor(handler)));
        code.visitMethodInsn(
            Opcodes.INVOKEVIRTUAL,
            LOOKUP,
            "findVirtual",
            "(L" + CLASS + ";Ljava/lang/String;L" + METHOD_TYPE + ";)L" + HANDLE + ";",
            false);
        code.visitLdcInsn(Type.getMethodType(entry.handleDescriptor(aggregateType)));
        code.visitMethodInsn(
            Opcodes.INVOKEVIRTUAL,
            HANDLE,
            "asType",
            "(L" + METHOD_TYPE + ";)L" + HANDLE + ";",
            false);
        code.visitFieldInsn(
            Opcodes.PUTSTATIC, owner, entry.field(), Type.getDescriptor(MethodHandle.class));
      }
      return new Size(0, 0);
    }

    /** {@code MethodHandles.privateLookupIn(Target.class, MethodHandles.lookup())}. */
    private static void privateLookupIn(MethodVisitor code, Type target) {
      code.visitLdcInsn(target);
      code.visitMethodInsn(Opcodes.INVOKESTATIC, HANDLES, "lookup", "()L" + LOOKUP + ";", false);
      code.visitMethodInsn(
          Opcodes.INVOKESTATIC,
          HANDLES,
          "privateLookupIn",
          "(L" + CLASS + ";L" + LOOKUP + ";)L" + LOOKUP + ";",
          false);
    }
  }
}
