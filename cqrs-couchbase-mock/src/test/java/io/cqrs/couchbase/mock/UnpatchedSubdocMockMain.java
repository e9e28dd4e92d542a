package io.cqrs.couchbase.mock;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * {@link CouchbaseMockMain} without {@link SubdocParsePatch}: the mock that {@code
 * SubdocParsePatchIT} compares the patched one with. TCP_NODELAY stays on, so both answer alike
 * fast.
 */
public final class UnpatchedSubdocMockMain {
  private UnpatchedSubdocMockMain() {}

  /** Patches TCP_NODELAY only, then runs CouchbaseMock with {@code args}. */
  public static void main(String[] args) throws Throwable {
    TcpNoDelayPatch.apply();
    System.out.println(TcpNoDelayPatch.APPLIED);
    System.out.flush();
    MethodHandle main =
        MethodHandles.publicLookup()
            .findStatic(
                Class.forName("com.couchbase.mock.CouchbaseMock"),
                "main",
                MethodType.methodType(void.class, String[].class));
    main.invokeExact(args);
  }
}
