package io.cqrs.couchbase.mock;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesNoArguments;

import com.couchbase.mock.memcached.CqrsGetMetaExecutor;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.utility.OpenedClassReader;

/**
 * Turns Nagle's algorithm off on CouchbaseMock's KV connections, as Couchbase Server does.
 *
 * <p>CouchbaseMock 1.5.27's {@code MemcachedServer.handleNewClient()} calls {@code
 * setTcpNoDelay(false)} on every socket it accepts. With two or more requests in flight on a
 * connection, the second response then waits for the client's delayed ACK, about 40 ms, so any
 * parallel fan-out (a load's gets, a save's writes) measures the mock, not the code under test.
 *
 * <p>{@link #apply} reads {@code MemcachedServer}'s class file from the class path, has byte-buddy
 * rewrite that one call to pass {@code true}, and defines the rewritten class in the mock's class
 * loader and package (through a {@link java.lang.invoke.MethodHandles.Lookup} on a class of that
 * package) before anything loads the original. No java agent is needed, so no JVM flag either:
 * self-attaching an agent warns on JDK 21+ and needs {@code -XX:+EnableDynamicAgentLoading}, which
 * JDK 17 does not know. The rewrite fails loudly, naming the class and method, when the call is not
 * there exactly once (another CouchbaseMock version), and when {@code MemcachedServer} was loaded
 * before the patch could take.
 *
 * <p>The same rewrite of {@code MemcachedServer} adds the protocol's {@code GET_META} command
 * ({@link GetMetaPatch}), which the SDK's {@code exists} sends; it fails as loudly when its patch
 * point is missing.
 */
final class TcpNoDelayPatch {
  /** The class and method holding the patch point. */
  static final String TYPE = "com.couchbase.mock.memcached.MemcachedServer";

  static final String METHOD = "handleNewClient";

  /** What a patched mock process prints before it starts; {@link CouchbaseMockProcess} checks. */
  static final String APPLIED =
      "[cqrs-couchbase-mock] TCP_NODELAY on: "
          + TYPE
          + "."
          + METHOD
          + "() patched; GET_META answered: "
          + TYPE
          + "."
          + GetMetaPatch.METHOD
          + "() patched";

  /**
   * A class of the mock's package that does not refer to {@code MemcachedServer}, so loading it
   * does not load the class to patch: the lookup that defines the rewritten class is taken on it.
   */
  private static final String ANCHOR = "com.couchbase.mock.memcached.CompressionMode";

  private static final Map<ClassLoader, Class<?>> PATCHED = new WeakHashMap<>();

  private TcpNoDelayPatch() {}

  /**
   * Defines the patched {@code MemcachedServer} in the class loader that holds CouchbaseMock for
   * this class; a second call for the same loader does nothing.
   *
   * @throws IllegalStateException if CouchbaseMock is not on the class path, if the patch point is
   *     missing, or if {@code MemcachedServer} is already loaded unpatched
   */
  static synchronized void apply() {
    Class<?> anchor = anchor();
    ClassLoader loader = anchor.getClassLoader();
    if (PATCHED.containsKey(loader)) {
      return;
    }
    // The rewritten execute() calls this class of the mock's package, which this module holds;
    // loading it (not initializing it) loads no class of the mock but its executor interface.
    PatchPoints.requireVisible(loader, CqrsGetMetaExecutor.class, TYPE);
    byte[] patched = rewrite(ClassFileLocator.ForClassLoader.of(loader));
    PATCHED.put(
        loader,
        PatchPoints.define(
            anchor, TYPE, patched, "its " + METHOD + "() could be patched to set TCP_NODELAY"));
  }

  /**
   * {@code MemcachedServer}'s class file, as {@code classFiles} holds it, with the {@code
   * Socket.setTcpNoDelay} call of {@code handleNewClient()} passing {@code true}.
   *
   * @throws IllegalStateException unless there is exactly one such call to rewrite
   */
  static byte[] rewrite(ClassFileLocator classFiles) {
    AtomicInteger rewrites = new AtomicInteger();
    AtomicInteger getMetaRewrites = new AtomicInteger();
    byte[] patched =
        PatchPoints.redefine(
            PatchPoints.describe(classFiles, TYPE),
            classFiles,
            new AsmVisitorWrapper.ForDeclaredMethods()
                .method(
                    named(METHOD).and(takesNoArguments()),
                    PatchPoints.rewritten(visitor -> new NoDelayRewriter(visitor, rewrites))),
            GetMetaPatch.visitor(getMetaRewrites));
    if (rewrites.get() != 1) {
      throw new IllegalStateException(
          TYPE
              + "."
              + METHOD
              + "() has "
              + rewrites.get()
              + " calls to java.net.Socket.setTcpNoDelay(boolean) where CouchbaseMock 1.5.27 has"
              + " exactly one: the TCP_NODELAY patch does not fit this CouchbaseMock, and without"
              + " it every second response in flight waits about 40 ms for a delayed ACK");
    }
    GetMetaPatch.check(TYPE, getMetaRewrites.get());
    return patched;
  }

  /** A class of CouchbaseMock's that loading does not patch too late, e.g. to find its jar. */
  static Class<?> anchor() {
    return PatchPoints.anchor(ANCHOR);
  }

  /**
   * Replaces the argument of every {@code Socket.setTcpNoDelay(boolean)} call with {@code true}:
   * {@code pop; iconst_1} before the call, which leaves the stack's depth and types as they were.
   */
  private static final class NoDelayRewriter extends MethodVisitor {
    private final AtomicInteger rewrites;

    NoDelayRewriter(MethodVisitor delegate, AtomicInteger rewrites) {
      super(OpenedClassReader.ASM_API, delegate);
      this.rewrites = rewrites;
    }

    @Override
    public void visitMethodInsn(
        int opcode, String owner, String name, String descriptor, boolean isInterface) {
      if (opcode == Opcodes.INVOKEVIRTUAL
          && owner.equals("java/net/Socket")
          && name.equals("setTcpNoDelay")
          && descriptor.equals("(Z)V")) {
        super.visitInsn(Opcodes.POP);
        super.visitInsn(Opcodes.ICONST_1);
        rewrites.incrementAndGet();
      }
      super.visitMethodInsn(opcode, owner, name, descriptor, isInterface);
    }
  }
}
