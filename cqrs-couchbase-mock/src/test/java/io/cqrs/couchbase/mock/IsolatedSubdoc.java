package io.cqrs.couchbase.mock;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;
import net.bytebuddy.dynamic.ClassFileLocator;

/**
 * CouchbaseMock's sub-document engine ({@code com.couchbase.mock.subdoc}) loaded in a class loader
 * of its own, as shipped or with {@link SubdocParsePatch} applied, so that one JVM can run both
 * side by side without ever loading the system class loader's {@code Executor}. Everything outside
 * that package (gson, json-simple, {@link SubdocParseMemo}) comes from the parent.
 */
final class IsolatedSubdoc {
  private static final String PACKAGE = "com.couchbase.mock.subdoc.";

  private final Method execute;
  private final Method matchString;
  private final Method newDocString;
  private final Class<? extends Enum<?>> operations;
  private final Class<?> subdocException;

  private IsolatedSubdoc(ClassLoader loader) {
    try {
      Class<?> executor = Class.forName(SubdocParsePatch.EXECUTOR, true, loader);
      @SuppressWarnings("unchecked")
      Class<? extends Enum<?>> operation =
          (Class<? extends Enum<?>>) Class.forName(PACKAGE + "Operation", true, loader);
      this.operations = operation;
      this.execute =
          executor.getMethod(
              "execute", String.class, String.class, operation, String.class, boolean.class);
      Class<?> result = Class.forName(SubdocParsePatch.RESULT, true, loader);
      this.matchString = result.getMethod("getMatchString");
      this.newDocString = result.getMethod("getNewDocString");
      this.subdocException = Class.forName(PACKAGE + "SubdocException", true, loader);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The engine as CouchbaseMock 1.5.27 ships it. */
  static IsolatedSubdoc original() {
    return new IsolatedSubdoc(new Loader(Map.of()));
  }

  /** The engine with {@link SubdocParsePatch} applied. */
  static IsolatedSubdoc patched() {
    ClassFileLocator classFiles =
        ClassFileLocator.ForClassLoader.of(IsolatedSubdoc.class.getClassLoader());
    return new IsolatedSubdoc(
        new Loader(
            Map.of(
                SubdocParsePatch.EXECUTOR, SubdocParsePatch.rewriteExecutor(classFiles),
                SubdocParsePatch.RESULT, SubdocParsePatch.rewriteResult(classFiles))));
  }

  /**
   * What one spec does to {@code document}, as the mock's command executors see it: the error's
   * class, or the matched value (if the operation returns one) and the new document (if it
   * mutates).
   */
  Outcome run(String document, SubdocRequests.Spec spec) {
    Object operation = operation(spec.operation());
    try {
      Object result =
          execute.invoke(
              null, document, spec.path(), operation, spec.value(), spec.createParents());
      String match = spec.returnsMatch() ? (String) matchString.invoke(result) : null;
      String newDocument = spec.isMutation() ? (String) newDocString.invoke(result) : null;
      return new Outcome(null, match, newDocument);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (subdocException.isInstance(cause)) {
        return new Outcome(cause.getClass().getSimpleName(), null, null);
      }
      return new Outcome("crash: " + cause, null, null);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  private Object operation(String name) {
    for (Enum<?> constant : operations.getEnumConstants()) {
      if (constant.name().equals(name)) {
        return constant;
      }
    }
    throw new IllegalArgumentException(name);
  }

  /**
   * What a spec did. {@code error} is the simple name of a {@code SubdocException}, which the mock
   * turns into a status, or "crash: ..." for anything else, which kills the mock's KV thread.
   */
  record Outcome(String error, String match, String newDocument) {
    boolean crashed() {
      return error != null && error.startsWith("crash: ");
    }

    boolean succeeded() {
      return error == null;
    }
  }

  /** Child-first for the sub-document package, with some class files replaced. */
  private static final class Loader extends ClassLoader {
    private final Map<String, byte[]> replaced;

    Loader(Map<String, byte[]> replaced) {
      super(IsolatedSubdoc.class.getClassLoader());
      this.replaced = replaced;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (!name.startsWith(PACKAGE)) {
        return super.loadClass(name, resolve);
      }
      synchronized (getClassLoadingLock(name)) {
        Class<?> loaded = findLoadedClass(name);
        if (loaded == null) {
          byte[] classFile = replaced.get(name);
          if (classFile == null) {
            classFile = original(name);
          }
          loaded = defineClass(name, classFile, 0, classFile.length);
        }
        if (resolve) {
          resolveClass(loaded);
        }
        return loaded;
      }
    }

    private byte[] original(String name) throws ClassNotFoundException {
      try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
        if (in == null) {
          throw new ClassNotFoundException(name);
        }
        return in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
