package io.cqrs.example.bank.request;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Whether request bytes are well-formed UTF-8, the only encoding JSON between systems may use (RFC
 * 8259, section 8.1). Jackson's UTF-8 parser reads some malformed sequences as characters: the
 * overlong {@code C0 B1} as {@code "1"}, {@code C0 AF} as {@code "/"}, so a body could mean to the
 * service what a filter or a log in front of it never saw. Java's decoder refuses overlong forms,
 * encoded surrogates, code points past U+10FFFF and truncated sequences.
 */
public final class Utf8 {
  private Utf8() {}

  /** The offset of the first byte that is not part of well-formed UTF-8, or -1 if none is. */
  public static int firstMalformedByte(byte[] bytes) {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(Math.max(16, Math.min(bytes.length, 8192)));
    while (true) {
      CoderResult result = decoder.decode(in, out, true);
      if (result.isError()) {
        return in.position();
      }
      if (result.isOverflow()) {
        out.clear();
      } else {
        break;
      }
    }
    out.clear();
    CoderResult flushed = decoder.flush(out);
    return flushed.isError() ? in.position() : -1;
  }
}
