package io.cqrs.example.bank;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import java.util.regex.Pattern;

/**
 * logback's {@code %ex} for the text log, with every line break in an exception's message (of the
 * exception, its causes and suppressed ones) written as a visible {@code \n}. A message quotes its
 * input ({@code "Unknown account 'x'"}), so without this a client's name or id holding a line break
 * could forge a log line below the one that reports it. The stack trace keeps its own lines: each
 * begins with a tab, {@code Caused by: } or {@code Suppressed: }, which no forged line can do
 * unescaped.
 */
public final class OneLineExceptions extends ThrowableProxyConverter {
  private static final Pattern LINE_BREAK = Pattern.compile("[\r\n\u0085\u2028\u2029]");

  @Override
  protected String throwableProxyToString(IThrowableProxy throwable) {
    return super.throwableProxyToString(new Escaped(throwable));
  }

  static String escape(String message) {
    return message == null ? null : LINE_BREAK.matcher(message).replaceAll("\\\\n");
  }

  /** An exception as logback sees it, its messages escaped, its causes wrapped the same way. */
  private record Escaped(IThrowableProxy delegate) implements IThrowableProxy {
    @Override
    public String getMessage() {
      return escape(delegate.getMessage());
    }

    @Override
    public String getOverridingMessage() {
      return escape(delegate.getOverridingMessage());
    }

    @Override
    public String getClassName() {
      return delegate.getClassName();
    }

    @Override
    public StackTraceElementProxy[] getStackTraceElementProxyArray() {
      return delegate.getStackTraceElementProxyArray();
    }

    @Override
    public int getCommonFrames() {
      return delegate.getCommonFrames();
    }

    @Override
    public IThrowableProxy getCause() {
      IThrowableProxy cause = delegate.getCause();
      return cause == null ? null : new Escaped(cause);
    }

    @Override
    public IThrowableProxy[] getSuppressed() {
      IThrowableProxy[] suppressed = delegate.getSuppressed();
      if (suppressed == null) {
        return null;
      }
      IThrowableProxy[] escaped = new IThrowableProxy[suppressed.length];
      for (int i = 0; i < suppressed.length; i++) {
        escaped[i] = new Escaped(suppressed[i]);
      }
      return escaped;
    }

    @Override
    public boolean isCyclic() {
      return delegate.isCyclic();
    }
  }
}
