package io.cqrs;

import java.util.ArrayList;
import java.util.List;

/**
 * An aggregate with fifty event types, {@code W0} to {@code W49}, whose handlers take every
 * visibility in turn (private, package, protected, public): more than the twenty that the generated
 * routing compares one by one, so its events are routed through the switch on their class's
 * identity hash. Each handler records its type's number and adds the event's value to its own slot,
 * so a test sees both the order of calls and that no event reached another type's handler.
 */
final class WideAggregate extends EventSourceBased {
  static final int TYPES = 50;

  record W0(long n) {}

  record W1(long n) {}

  record W2(long n) {}

  record W3(long n) {}

  record W4(long n) {}

  record W5(long n) {}

  record W6(long n) {}

  record W7(long n) {}

  record W8(long n) {}

  record W9(long n) {}

  record W10(long n) {}

  record W11(long n) {}

  record W12(long n) {}

  record W13(long n) {}

  record W14(long n) {}

  record W15(long n) {}

  record W16(long n) {}

  record W17(long n) {}

  record W18(long n) {}

  record W19(long n) {}

  record W20(long n) {}

  record W21(long n) {}

  record W22(long n) {}

  record W23(long n) {}

  record W24(long n) {}

  record W25(long n) {}

  record W26(long n) {}

  record W27(long n) {}

  record W28(long n) {}

  record W29(long n) {}

  record W30(long n) {}

  record W31(long n) {}

  record W32(long n) {}

  record W33(long n) {}

  record W34(long n) {}

  record W35(long n) {}

  record W36(long n) {}

  record W37(long n) {}

  record W38(long n) {}

  record W39(long n) {}

  record W40(long n) {}

  record W41(long n) {}

  record W42(long n) {}

  record W43(long n) {}

  record W44(long n) {}

  record W45(long n) {}

  record W46(long n) {}

  record W47(long n) {}

  record W48(long n) {}

  record W49(long n) {}

  final List<Integer> calls = new ArrayList<>();
  final long[] received = new long[TYPES];

  WideAggregate(String id) {
    super(id);
  }

  void raise(Object event) {
    update(event);
  }

  /** An event of type {@code W<type>} carrying {@code n}. */
  static Object event(int type, long n) {
    switch (type) {
      case 0:
        return new W0(n);
      case 1:
        return new W1(n);
      case 2:
        return new W2(n);
      case 3:
        return new W3(n);
      case 4:
        return new W4(n);
      case 5:
        return new W5(n);
      case 6:
        return new W6(n);
      case 7:
        return new W7(n);
      case 8:
        return new W8(n);
      case 9:
        return new W9(n);
      case 10:
        return new W10(n);
      case 11:
        return new W11(n);
      case 12:
        return new W12(n);
      case 13:
        return new W13(n);
      case 14:
        return new W14(n);
      case 15:
        return new W15(n);
      case 16:
        return new W16(n);
      case 17:
        return new W17(n);
      case 18:
        return new W18(n);
      case 19:
        return new W19(n);
      case 20:
        return new W20(n);
      case 21:
        return new W21(n);
      case 22:
        return new W22(n);
      case 23:
        return new W23(n);
      case 24:
        return new W24(n);
      case 25:
        return new W25(n);
      case 26:
        return new W26(n);
      case 27:
        return new W27(n);
      case 28:
        return new W28(n);
      case 29:
        return new W29(n);
      case 30:
        return new W30(n);
      case 31:
        return new W31(n);
      case 32:
        return new W32(n);
      case 33:
        return new W33(n);
      case 34:
        return new W34(n);
      case 35:
        return new W35(n);
      case 36:
        return new W36(n);
      case 37:
        return new W37(n);
      case 38:
        return new W38(n);
      case 39:
        return new W39(n);
      case 40:
        return new W40(n);
      case 41:
        return new W41(n);
      case 42:
        return new W42(n);
      case 43:
        return new W43(n);
      case 44:
        return new W44(n);
      case 45:
        return new W45(n);
      case 46:
        return new W46(n);
      case 47:
        return new W47(n);
      case 48:
        return new W48(n);
      case 49:
        return new W49(n);
      default:
        throw new IllegalArgumentException("No event type W" + type);
    }
  }

  private void record(int type, long n) {
    calls.add(type);
    received[type] += n;
  }

  private void handleW0(W0 e) {
    record(0, e.n());
  }

  void handleW1(W1 e) {
    record(1, e.n());
  }

  protected void handleW2(W2 e) {
    record(2, e.n());
  }

  public void handleW3(W3 e) {
    record(3, e.n());
  }

  private void handleW4(W4 e) {
    record(4, e.n());
  }

  void handleW5(W5 e) {
    record(5, e.n());
  }

  protected void handleW6(W6 e) {
    record(6, e.n());
  }

  public void handleW7(W7 e) {
    record(7, e.n());
  }

  private void handleW8(W8 e) {
    record(8, e.n());
  }

  void handleW9(W9 e) {
    record(9, e.n());
  }

  protected void handleW10(W10 e) {
    record(10, e.n());
  }

  public void handleW11(W11 e) {
    record(11, e.n());
  }

  private void handleW12(W12 e) {
    record(12, e.n());
  }

  void handleW13(W13 e) {
    record(13, e.n());
  }

  protected void handleW14(W14 e) {
    record(14, e.n());
  }

  public void handleW15(W15 e) {
    record(15, e.n());
  }

  private void handleW16(W16 e) {
    record(16, e.n());
  }

  void handleW17(W17 e) {
    record(17, e.n());
  }

  protected void handleW18(W18 e) {
    record(18, e.n());
  }

  public void handleW19(W19 e) {
    record(19, e.n());
  }

  private void handleW20(W20 e) {
    record(20, e.n());
  }

  void handleW21(W21 e) {
    record(21, e.n());
  }

  protected void handleW22(W22 e) {
    record(22, e.n());
  }

  public void handleW23(W23 e) {
    record(23, e.n());
  }

  private void handleW24(W24 e) {
    record(24, e.n());
  }

  void handleW25(W25 e) {
    record(25, e.n());
  }

  protected void handleW26(W26 e) {
    record(26, e.n());
  }

  public void handleW27(W27 e) {
    record(27, e.n());
  }

  private void handleW28(W28 e) {
    record(28, e.n());
  }

  void handleW29(W29 e) {
    record(29, e.n());
  }

  protected void handleW30(W30 e) {
    record(30, e.n());
  }

  public void handleW31(W31 e) {
    record(31, e.n());
  }

  private void handleW32(W32 e) {
    record(32, e.n());
  }

  void handleW33(W33 e) {
    record(33, e.n());
  }

  protected void handleW34(W34 e) {
    record(34, e.n());
  }

  public void handleW35(W35 e) {
    record(35, e.n());
  }

  private void handleW36(W36 e) {
    record(36, e.n());
  }

  void handleW37(W37 e) {
    record(37, e.n());
  }

  protected void handleW38(W38 e) {
    record(38, e.n());
  }

  public void handleW39(W39 e) {
    record(39, e.n());
  }

  private void handleW40(W40 e) {
    record(40, e.n());
  }

  void handleW41(W41 e) {
    record(41, e.n());
  }

  protected void handleW42(W42 e) {
    record(42, e.n());
  }

  public void handleW43(W43 e) {
    record(43, e.n());
  }

  private void handleW44(W44 e) {
    record(44, e.n());
  }

  void handleW45(W45 e) {
    record(45, e.n());
  }

  protected void handleW46(W46 e) {
    record(46, e.n());
  }

  public void handleW47(W47 e) {
    record(47, e.n());
  }

  private void handleW48(W48 e) {
    record(48, e.n());
  }

  void handleW49(W49 e) {
    record(49, e.n());
  }
}
