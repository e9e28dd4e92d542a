package io.cqrs.couchbase.mock;

import java.lang.invoke.MethodHandles;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.pool.TypePool;

/**
 * What the patches of CouchbaseMock ({@link TcpNoDelayPatch}, {@link SubdocParsePatch}) share:
 * finding a class that holds a patch point, rewriting the methods of it that match, and defining
 * the rewritten class in the mock's class loader and package before anything loads the original.
 * Each step fails loudly, naming the class, when CouchbaseMock is not there as the patch expects;
 * what a patch point must look like, and the message when it does not, stay with each patch.
 */
final class PatchPoints {
  private PatchPoints() {}

  /**
   * A class of CouchbaseMock's, loaded but not initialized: one that refers to no class to patch,
   * so that loading it loads none of them, and a lookup on it can define their rewritten versions.
   *
   * @throws IllegalStateException if CouchbaseMock is not on the class path
   */
  static Class<?> anchor(String name) {
    try {
      return Class.forName(name, false, PatchPoints.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(
          name + " is not on the class path: no CouchbaseMock to patch", e);
    }
  }

  /**
   * The class {@code name} as {@code classFiles} holds it, not loaded.
   *
   * @throws IllegalStateException if {@code classFiles} do not hold it
   */
  static TypeDescription describe(ClassFileLocator classFiles, String name) {
    TypePool.Resolution resolution = TypePool.Default.of(classFiles).describe(name);
    if (!resolution.isResolved()) {
      throw new IllegalStateException(
          name + " is not on the class path: no CouchbaseMock to patch");
    }
    return resolution.resolve();
  }

  /**
   * {@code type}'s class file with its methods rewritten by each of {@code methods} (several
   * patches may rewrite one class); types are not validated, since a patch keeps the class's shape
   * and only rewrites method bodies.
   */
  static byte[] redefine(
      TypeDescription type, ClassFileLocator classFiles, AsmVisitorWrapper... methods) {
    DynamicType.Builder<?> redefined =
        new ByteBuddy().with(TypeValidation.DISABLED).redefine(type, classFiles);
    for (AsmVisitorWrapper wrapper : methods) {
      redefined = redefined.visit(wrapper);
    }
    return redefined.make().getBytes();
  }

  /** Rewrites each method it is given to with {@code rewriter}. */
  static AsmVisitorWrapper.ForDeclaredMethods.MethodVisitorWrapper rewritten(
      UnaryOperator<MethodVisitor> rewriter) {
    return (type, method, visitor, context, pool, writerFlags, readerFlags) ->
        rewriter.apply(visitor);
  }

  /**
   * Inlines {@code advice} into each method it is given to, around the method's own code as {@code
   * rewriter} rewrites it, and counts those methods in {@code matches}, so that a patch can check
   * that its patch point was there exactly once.
   */
  static AsmVisitorWrapper.ForDeclaredMethods.MethodVisitorWrapper advised(
      AtomicInteger matches, Advice advice, UnaryOperator<MethodVisitor> rewriter) {
    return (type, method, visitor, context, pool, writerFlags, readerFlags) -> {
      matches.incrementAndGet();
      return advice.wrap(
          type, method, rewriter.apply(visitor), context, pool, writerFlags, readerFlags);
    };
  }

  /**
   * Defines the rewritten class {@code type} in {@code anchor}'s class loader and package.
   *
   * @param patch what the patch does, completing "{@code type} was loaded before ..."
   * @throws IllegalStateException if the original {@code type} is loaded already, naming it
   */
  static Class<?> define(Class<?> anchor, String type, byte[] classFile, String patch) {
    try {
      return MethodHandles.privateLookupIn(anchor, MethodHandles.lookup()).defineClass(classFile);
    } catch (LinkageError e) {
      throw new IllegalStateException(
          type
              + " was loaded before "
              + patch
              + "; start CouchbaseMock only through InProcessCouchbaseMock or"
              + " CouchbaseMockProcess",
          e);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("Cannot define the patched " + type, e);
    }
  }

  /**
   * Requires CouchbaseMock's class loader {@code loader} to resolve {@code type}'s name to this
   * module's {@code type}: a rewritten class of the mock calls it, so both must be on one class
   * path. Loading it does not initialize it.
   *
   * @param caller the rewritten class that calls {@code type}, for the message
   * @throws IllegalStateException naming the loader, the class and its caller otherwise
   */
  static void requireVisible(ClassLoader loader, Class<?> type, String caller) {
    Class<?> seen;
    try {
      seen = Class.forName(type.getName(), false, loader);
    } catch (ClassNotFoundException e) {
      seen = null;
    }
    if (seen != type) {
      throw new IllegalStateException(
          "CouchbaseMock's class loader "
              + loader
              + " does not see this module's "
              + type.getName()
              + ", which the patched "
              + caller
              + " calls: put both on one class path");
    }
  }
}
