package io.cqrs.couchbase;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The document keys of one repository, all under its key prefix (see {@code docs/couchbase.md}).
 *
 * <p>Stream ids are validated here because they become part of keys, which Couchbase limits to 250
 * bytes: the longest key of a stream (its version claim with a 19-digit version) must fit.
 */
final class KeyLayout {
  /** Couchbase's limit on a document key, in UTF-8 bytes. */
  static final int MAX_KEY_BYTES = 250;

  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_.\\-]{1,64}");
  private static final int MAX_VERSION_DIGITS = String.valueOf(Long.MAX_VALUE).length();
  private static final int SHOWN_ID_CHARS = 80;

  private final String prefix;
  private final int maxStreamIdBytes;

  KeyLayout(String prefix) {
    Objects.requireNonNull(prefix, "keyPrefix");
    if (!PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException(
          "keyPrefix must be 1 to 64 characters of [A-Za-z0-9_.-], was '" + prefix + "'");
    }
    this.prefix = prefix;
    this.maxStreamIdBytes = MAX_KEY_BYTES - utf8Length(claim("", 0)) - MAX_VERSION_DIGITS + 1;
  }

  String prefix() {
    return prefix;
  }

  /** The longest stream id, in UTF-8 bytes, that this prefix leaves room for. */
  int maxStreamIdBytes() {
    return maxStreamIdBytes;
  }

  /**
   * Fails with a message naming the stream unless its id can be part of a key: not blank, and short
   * enough.
   */
  String checkStreamId(String streamId) {
    Objects.requireNonNull(streamId, "streamId");
    if (streamId.isBlank()) {
      throw new IllegalArgumentException("streamId must not be blank, was '" + streamId + "'");
    }
    int unpaired = unpairedSurrogate(streamId);
    if (unpaired >= 0) {
      // UTF-8 has no encoding for it: the SDK writes '?' instead, and two streams share keys.
      throw new IllegalArgumentException(
          "streamId '"
              + shown(streamId)
              + "' has an unpaired surrogate at index "
              + unpaired
              + " (no UTF-8 for it): it cannot be part of a Couchbase key");
    }
    int bytes = utf8Length(streamId);
    if (bytes > maxStreamIdBytes) {
      throw new IllegalArgumentException(
          "streamId '"
              + shown(streamId)
              + "' is "
              + bytes
              + " bytes long; with key prefix '"
              + prefix
              + "' stream ids may be at most "
              + maxStreamIdBytes
              + " bytes (Couchbase keys are limited to "
              + MAX_KEY_BYTES
              + " bytes)");
    }
    return streamId;
  }

  /** The global counter that hands out log sequence numbers. */
  String sequence() {
    return prefix + "::seq";
  }

  /**
   * The log positions relays passed without the marks their own process owed: {@code
   * {"f":1,"r":[[from,to],...]}} ({@link PassedRanges}, {@code docs/couchbase-relay.md}).
   */
  String relayed() {
    return prefix + "::relayed";
  }

  /** The document of log sequence {@code seq}: a commit, an integration event or a marker. */
  String log(long seq) {
    return prefix + "::log::" + seq;
  }

  /** The claim on a stream's version: it exists once a commit starting there is committed. */
  String claim(String streamId, long firstVersion) {
    return prefix + "::v::" + streamId + "::" + firstVersion;
  }

  /** The stream head: its version and the log sequences of its commits. */
  String head(String streamId) {
    return prefix + "::h::" + streamId;
  }

  /**
   * Page {@code page} (0, 1, …) of the commits a stream's head no longer lists: written once, never
   * changed.
   */
  String headPage(String streamId, long page) {
    return prefix + "::hp::" + streamId + "::" + page;
  }

  /**
   * The bucket of the commands a stream's head no longer lists whose {@linkplain #commandHash hash}
   * starts with {@code command}'s first hex digit: 16 per stream.
   */
  String commandBucket(String streamId, String command) {
    return prefix + "::hm::" + streamId + "::" + command.charAt(0);
  }

  /** The stream's snapshot. */
  String snapshot(String streamId) {
    return prefix + "::snap::" + streamId;
  }

  /**
   * The correlation index entry of a correlation id; ids too long for a key are hashed (readers
   * filter events by their actual correlation id, so a hash collision cannot leak events).
   */
  String correlation(String correlationId) {
    String key = prefix + "::corr::" + correlationId;
    // One with an unpaired surrogate is hashed too: the SDK would write '?' for it, sharing the key
    // of the id with '?' (harmless, as readers filter, but a needless read).
    if (utf8Length(key) <= MAX_KEY_BYTES && unpairedSurrogate(correlationId) < 0) {
      return key;
    }
    return prefix + "::corrh::" + sha256(correlationId);
  }

  /**
   * The document that fixes an event processor's segment count. Every key of a processor ends with
   * its name, or with the name's SHA-256 if the longest of them, a segment's, would not fit.
   */
  String processor(String processor) {
    return processorKey("::proc::", "::proch::", "", processor);
  }

  /** The claim and checkpoint of one segment of an event processor. */
  String processorSegment(String processor, int segment) {
    return processorKey("::pseg::", "::psegh::", segment + "::", processor);
  }

  /** The live members of an event processor. */
  String processorMembers(String processor) {
    return processorKey("::pmem::", "::pmemh::", "", processor);
  }

  private String processorKey(String infix, String hashedInfix, String segment, String processor) {
    // The segment goes before the name, so no name can make one processor's key another's.
    int longest = utf8Length(prefix + "::pseg::" + Integer.MAX_VALUE + "::" + processor);
    return longest <= MAX_KEY_BYTES && unpairedSurrogate(processor) < 0
        ? prefix + infix + segment + processor
        : prefix + hashedInfix + segment + sha256(processor);
  }

  /**
   * The name under which a stream's documents record a command id: the first 128 bits of its
   * SHA-256 in hex, so that ids of any length and characters become a fixed-size sub-document path
   * segment. Two command ids share a name only by a SHA-256 prefix collision.
   */
  static String commandHash(String commandId) {
    return sha256(commandId).substring(0, 32);
  }

  /**
   * The tag under which the correlation index records a commit's cause: the first 64 bits of the
   * causation id's SHA-256 in base64url (11 characters), so that an entry costs the same whatever
   * the id's length or characters. Two causes share a tag only by a SHA-256 prefix collision, and
   * then a look-up reads a commit it did not need, and filters its events by their own causation
   * id.
   */
  static String causeTag(String causationId) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(Arrays.copyOf(sha256Digest(causationId), 8));
  }

  /** A stream id shortened for messages, so a huge id does not flood a log. */
  static String shown(String streamId) {
    return streamId.length() <= SHOWN_ID_CHARS
        ? streamId
        : streamId.substring(0, SHOWN_ID_CHARS) + "…(" + streamId.length() + " chars)";
  }

  private static int utf8Length(String text) {
    return text.getBytes(StandardCharsets.UTF_8).length;
  }

  static String sha256(String text) {
    return HexFormat.of().formatHex(sha256Digest(text));
  }

  /** The index of the first surrogate in {@code text} that is not half of a pair, or -1. */
  static int unpairedSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The digest of {@code text}'s UTF-8 bytes; of a text UTF-8 cannot encode (an unpaired surrogate,
   * which {@code getBytes} turns into '?', so that {@code "order-\uD83D"} and {@code "order-?"}
   * hashed alike and the second command was refused as the first's duplicate), of a 0xFF byte,
   * which no UTF-8 text holds, and its UTF-16 code units.
   */
  private static byte[] sha256Digest(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      if (unpairedSurrogate(text) >= 0) {
        digest.update((byte) 0xFF);
        return digest.digest(text.getBytes(StandardCharsets.UTF_16BE));
      }
      return digest.digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
