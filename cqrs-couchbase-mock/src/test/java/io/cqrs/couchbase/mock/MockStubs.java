package io.cqrs.couchbase.mock;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Path;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.description.modifier.Visibility;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.implementation.MethodCall;
import net.bytebuddy.implementation.StubMethod;

/** Stand-ins for another CouchbaseMock version's {@code MemcachedServer}. */
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

  /** A {@code MemcachedServer} whose {@code handleNewClient()} calls setTcpNoDelay twice. */
  static DynamicType.Unloaded<Object> withTwoSetTcpNoDelayCalls() {
    try {
      return new ByteBuddy()
          .subclass(Object.class)
          .name(TcpNoDelayPatch.TYPE)
          .defineField("socket", Socket.class, Visibility.PRIVATE)
          .defineMethod(TcpNoDelayPatch.METHOD, void.class, Visibility.PRIVATE)
          .intercept(
              MethodCall.invoke(Socket.class.getMethod("setTcpNoDelay", boolean.class))
                  .onField("socket")
                  .with(false)
                  .andThen(
                      MethodCall.invoke(Socket.class.getMethod("setTcpNoDelay", boolean.class))
                          .onField("socket")
                          .with(false)))
          .make();
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(e);
    }
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
