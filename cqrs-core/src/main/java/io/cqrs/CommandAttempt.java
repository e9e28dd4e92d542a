package io.cqrs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the attempts at handling commands running on a thread have committed: the streams an {@link
 * EventSourcingRepository} saved each command's effect to. {@link CommandDispatchManager} reads the
 * store to tell whether a command took effect, and the store cannot tell an attempt's own commits
 * from those of an earlier delivery: a handler that committed to one stream and then failed (a
 * conflict on its second save, an exception after its first) looked like a delivery that lost a
 * race to an earlier one, and the rest of its effect was dropped while the command counted as
 * handled. With this record the manager knows the effect is the attempt's own, and partial ({@link
 * CommandPartiallyAppliedException}).
 *
 * <p>One per thread, reused: an attempt is a frame of it (a handler may dispatch another command on
 * its thread, whose attempt is a frame inside), so that the command path allocates nothing for it
 * unless a handler commits to a second stream. Thread-confined, like {@link CommandLookups}: a
 * handler that saves on another thread is not seen, and its failures are judged by the store alone,
 * as before.
 */
final class CommandAttempt {
  private static final ThreadLocal<CommandAttempt> CURRENT = new ThreadLocal<>();

  private String[] commands = new String[4];
  private String[] firstStreams = new String[4];
  private List<?>[] moreStreams = new List<?>[4];
  private int depth;

  private CommandAttempt() {}

  /** This thread's record. */
  static CommandAttempt onThisThread() {
    CommandAttempt attempts = CURRENT.get();
    if (attempts == null) {
      attempts = new CommandAttempt();
      CURRENT.set(attempts);
    }
    return attempts;
  }

  /** Starts an attempt at command {@code commandId}; returns its frame, for {@link #leave}. */
  int enter(String commandId) {
    if (depth == commands.length) {
      commands = Arrays.copyOf(commands, depth * 2);
      firstStreams = Arrays.copyOf(firstStreams, depth * 2);
      moreStreams = Arrays.copyOf(moreStreams, depth * 2);
    }
    commands[depth] = commandId;
    firstStreams[depth] = null;
    moreStreams[depth] = null;
    return depth++;
  }

  /**
   * Ends the attempt of {@code frame} (and any left open inside it). What it committed counts for
   * the attempt it ran inside as well if that one handles the same command (a handler that hands
   * its command on to another manager): those commits are that attempt's effect too.
   */
  void leave(int frame) {
    if (frame > 0 && firstStreams[frame] != null && commands[frame - 1].equals(commands[frame])) {
      for (String stream : committed(frame)) {
        record(frame - 1, commands[frame], stream);
      }
    }
    for (int i = frame; i < depth; i++) {
      commands[i] = null;
      firstStreams[i] = null;
      moreStreams[i] = null;
    }
    depth = frame;
  }

  /** The streams the attempt of {@code frame} committed its command's effect to, in order. */
  @SuppressWarnings("unchecked")
  List<String> committed(int frame) {
    if (frame >= depth || firstStreams[frame] == null) {
      return List.of();
    }
    List<String> streams = new ArrayList<>();
    streams.add(firstStreams[frame]);
    if (moreStreams[frame] != null) {
      streams.addAll((List<String>) moreStreams[frame]);
    }
    return streams;
  }

  /** The message id of the command whose handling runs on this thread (innermost), or null. */
  static String handling() {
    CommandAttempt attempts = CURRENT.get();
    return attempts == null || attempts.depth == 0 ? null : attempts.commands[attempts.depth - 1];
  }

  /**
   * Tells the innermost attempt running on this thread, if it handles {@code causationId}, of a
   * commit to {@code streamId}.
   */
  @SuppressWarnings("unchecked")
  static void committed(String causationId, String streamId) {
    CommandAttempt attempts = CURRENT.get();
    if (attempts != null && attempts.depth > 0) {
      attempts.record(attempts.depth - 1, causationId, streamId);
    }
  }

  @SuppressWarnings("unchecked")
  private void record(int frame, String causationId, String streamId) {
    if (!commands[frame].equals(causationId)) {
      return;
    }
    String first = firstStreams[frame];
    if (first == null) {
      firstStreams[frame] = streamId;
    } else if (!first.equals(streamId)) {
      List<String> more = (List<String>) moreStreams[frame];
      if (more == null) {
        more = new ArrayList<>(2);
        moreStreams[frame] = more;
      }
      if (!more.contains(streamId)) {
        more.add(streamId);
      }
    }
  }
}
