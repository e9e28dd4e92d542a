package io.cqrs.couchbase.mock;

import com.couchbase.mock.deps.com.google.gson.JsonElement;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Path;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.description.modifier.Ownership;
import net.bytebuddy.description.modifier.Visibility;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.implementation.FixedValue;
import net.bytebuddy.implementation.Implementation;
import net.bytebuddy.implementation.MethodCall;
import net.bytebuddy.implementation.StubMethod;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.utility.OpenedClassReader;

/**
 * Stand-ins for another CouchbaseMock version's {@code MemcachedServer}, sub-document {@code
 * Executor} and {@code Result}.
 */
final class MockStubs {
  private MockStubs() {}

  /** A {@code MemcachedServer} whose {@code handleNewClient()} sets no socket option. */
  static DynamicType.Unloaded<Object> withoutSetTcpNoDelay() {
    return new ByteBuddy()
        .subclass(Object.class)
        .name(TcpNoDelayPatch.TYPE)
        .defineMethod(TcpNoDelayPatch.METHOD, void.class, Visibility.PRIVATE)
        .intercept(StubMethod.INSTANCE)
        .make();
  }

  /**
   * A {@code MemcachedServer} whose {@code handleNewClient()} calls setTcpNoDelay once, as 1.5.27's
   * does, but without the {@code execute} whose executor the GET_META patch wraps.
   */
  static DynamicType.Unloaded<Object> withoutExecute() {
    return withSetTcpNoDelayCalls(1);
  }

  /** A {@code MemcachedServer} whose {@code handleNewClient()} calls setTcpNoDelay twice. */
  static DynamicType.Unloaded<Object> withTwoSetTcpNoDelayCalls() {
    return withSetTcpNoDelayCalls(2);
  }

  /**
   * A {@code MemcachedServer} whose {@code handleNewClient()} calls setTcpNoDelay {@code n} times.
   */
  private static DynamicType.Unloaded<Object> withSetTcpNoDelayCalls(int n) {
    try {
      Implementation.Composable calls = null;
      for (int i = 0; i < n; i++) {
        MethodCall call =
            MethodCall.invoke(Socket.class.getMethod("setTcpNoDelay", boolean.class))
                .onField("socket")
                .with(false);
        calls = calls == null ? call : calls.andThen(call);
      }
      return new ByteBuddy()
          .subclass(Object.class)
          .name(TcpNoDelayPatch.TYPE)
          .defineField("socket", Socket.class, Visibility.PRIVATE)
          .defineMethod(TcpNoDelayPatch.METHOD, void.class, Visibility.PRIVATE)
          .intercept(calls)
          .make();
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An {@code Executor} without {@code parseStrictJson}. */
  static DynamicType.Unloaded<Object> executorWithoutParseStrictJson() {
    return new ByteBuddy().subclass(Object.class).name(SubdocParsePatch.EXECUTOR).make();
  }

  /**
   * An {@code Executor} whose {@code parseStrictJson(String, Class)} returns null, parsing nothing.
   */
  static DynamicType.Unloaded<Object> executorWhoseParseStrictJsonParsesNothing() {
    return new ByteBuddy()
        .subclass(Object.class)
        .name(SubdocParsePatch.EXECUTOR)
        .defineMethod(SubdocParsePatch.PARSE, Object.class, Visibility.PRIVATE, Ownership.STATIC)
        .withParameters(String.class, Class.class)
        .intercept(FixedValue.nullValue())
        .make();
  }

  /** A {@code Result} with its {@code document} field but no {@code getNewDocString()}. */
  static DynamicType.Unloaded<Object> resultWithoutGetNewDocString() {
    return new ByteBuddy()
        .subclass(Object.class)
        .name(SubdocParsePatch.RESULT)
        .defineField(SubdocParsePatch.DOCUMENT, JsonElement.class, Visibility.PRIVATE)
        .make();
  }

  /** A {@code Result} whose {@code getNewDocString()} has no {@code document} field to read. */
  static DynamicType.Unloaded<Object> resultWithoutDocumentField() {
    return new ByteBuddy()
        .subclass(Object.class)
        .name(SubdocParsePatch.RESULT)
        .defineMethod(SubdocParsePatch.NEW_DOC_STRING, String.class, Visibility.PUBLIC)
        .intercept(FixedValue.value("{}"))
        .make();
  }

  /** {@code classFile} without its constructors. */
  static byte[] withoutConstructors(byte[] classFile) {
    ClassWriter writer = new ClassWriter(0);
    new ClassReader(classFile)
        .accept(
            new ClassVisitor(OpenedClassReader.ASM_API, writer) {
              @Override
              public MethodVisitor visitMethod(
                  int access, String name, String descriptor, String signature, String[] ex) {
                return name.equals("<init>")
                    ? null
                    : super.visitMethod(access, name, descriptor, signature, ex);
              }
            },
            0);
    return writer.toByteArray();
  }

  /** Writes {@code type} as a class file under {@code directory}, a class path entry. */
  static Path saveIn(DynamicType.Unloaded<Object> type, Path directory) {
    try {
      type.saveIn(directory.toFile());
      return directory;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
